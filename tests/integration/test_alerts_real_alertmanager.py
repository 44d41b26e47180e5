"""A real Alertmanager (Debian's prometheus-alertmanager) notifies a live Sluicegate server.

Sluicegate runs on loopback (``tests.support.schemathesis_run.live_server``: SQLite, seeded
tokens); Alertmanager runs on another loopback port with clustering off and one route to a
``webhook_config`` that posts to ``/api/v1/alerts/alertmanager`` with a contributor's bearer
token. An alert posted to Alertmanager's API becomes an incident; the same alert ended in the
past resolves it.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from tests.support.binaries import require_binary
from tests.support.schemathesis_run import live_server

DEADLINE_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _config(url: str, token: str) -> str:
    return f"""\
route:
  receiver: sluicegate
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: sluicegate
    webhook_configs:
      - url: {url}/api/v1/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


def _wait(what: str, check: Callable[[], Any], log: Path) -> Any:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(
        f"{what} within {DEADLINE_SECONDS} s; alertmanager log:\n{log.read_text()}"
    )


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_a_real_alertmanager_opens_and_resolves_an_incident(tmp_path: Path) -> None:
    binary = require_binary("prometheus-alertmanager", "/usr/bin/prometheus-alertmanager")
    with live_server(tmp_path / "home") as (base, tokens):
        config = tmp_path / "alertmanager.yml"
        config.write_text(_config(base, tokens["alice"]), encoding="utf-8")
        config.chmod(0o600)
        port = _free_port()
        am = f"http://127.0.0.1:{port}"
        log = tmp_path / "alertmanager.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    str(binary),
                    f"--config.file={config}",
                    f"--storage.path={tmp_path / 'am-data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--cluster.listen-address=",
                    "--log.level=debug",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            with httpx.Client(timeout=5.0) as http:

                def ready() -> bool:
                    if proc.poll() is not None:
                        raise AssertionError(f"alertmanager exited:\n{log.read_text()}")
                    try:
                        return http.get(f"{am}/-/ready").status_code == 200
                    except httpx.TransportError:
                        return False

                _wait("alertmanager is ready", ready, log)
                now = datetime.now(UTC).replace(microsecond=0)
                alert = {
                    "labels": {
                        "alertname": "CheckoutErrorBudgetBurn",
                        "service": "checkout",
                        "severity": "page",
                    },
                    "annotations": {"summary": "checkout burns its error budget"},
                    "startsAt": _iso(now - timedelta(minutes=1)),
                    "generatorURL": "http://prometheus.invalid/graph",
                }
                posted = http.post(f"{am}/api/v2/alerts", json=[alert])
                assert posted.status_code == 200, posted.text
                auth = {"authorization": f"Bearer {tokens['erin']}"}
                incidents = f"{base}/api/v1/delivery/incidents"

                def listed() -> list[dict[str, Any]]:
                    got = http.get(incidents, params={"source": "alertmanager"}, headers=auth)
                    assert got.status_code == 200, got.text
                    found: list[dict[str, Any]] = got.json()["incidents"]
                    return found

                (opened,) = _wait("the incident is recorded", listed, log)
                assert opened["services"] == ["checkout"]
                assert opened["severity"] == "page"
                assert opened["resolved_at"] is None
                assert opened["recorded_by"] == "user:alice"
                fingerprints = http.get(f"{am}/api/v2/alerts").json()
                assert opened["id"].startswith(fingerprints[0]["fingerprint"] + "@")

                ended = {**alert, "endsAt": _iso(datetime.now(UTC) - timedelta(seconds=1))}
                posted = http.post(f"{am}/api/v2/alerts", json=[ended])
                assert posted.status_code == 200, posted.text

                def resolved() -> dict[str, Any] | None:
                    found = listed()
                    return found[0] if found and found[0]["resolved_at"] else None

                closed = _wait("the incident is resolved", resolved, log)
                assert closed["id"] == opened["id"]
                assert closed["revision"] == 2
                assert closed["created_at"] == opened["created_at"]
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
