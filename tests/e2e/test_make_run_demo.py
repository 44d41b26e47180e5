"""`make run`'s main job, `sluice demo`, as a newcomer meets it: the printed banner, the README's
walkthrough run line by line, live rollouts that keep coming, and a token that survives restarts.

The demo runs in a scratch directory that holds a `.venv` link to this interpreter's venv, so
`.venv/bin/sluice` and the default `./.sluicegate` home resolve there exactly as they do in a
checkout. The README's lines run as they stand; the only substitution is the port (8080 there, a
free one here).
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

README = Path(__file__).resolve().parents[2] / "README.md"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(port: int) -> dict[str, str]:
    env = {**os.environ, "SLUICE_PORT": str(port), "COLUMNS": "200"}
    for name in (
        "SLUICE_HOME",
        "SLUICE_DATABASE_URL",
        "SLUICE_TOKEN",
        "SLUICE_URL",
        "SLUICE_CONTROLLER_INTERVAL",
        "SLUICE_POLICY_DIR",
    ):
        env.pop(name, None)
    return env


def _start(work: Path, port: int, log: IO[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sluicegate", "demo", "--round-seconds", "5"],
        cwd=work,
        env=_env(port),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_token(proc: subprocess.Popen[str], log_path: Path, port: int) -> str:
    deadline = time.monotonic() + 90
    token = None
    while token is None:
        assert proc.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, "the demo printed no token"
        found = re.search(r"admin token: (sg_\S+)", log_path.read_text())
        token = found.group(1) if found else None
        time.sleep(0.2)
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return token
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the demo server did not come up"
        time.sleep(0.2)


def _walkthrough_lines() -> list[str]:
    """The shell lines of the README's "A first session" and "Watch a rollout" sections."""
    text = README.read_text(encoding="utf-8")
    lines: list[str] = []
    for section in ("## A first session", "## Watch a rollout"):
        body = text.split(section, 1)[1].split("\n## ", 1)[0]
        for block in re.findall(r"```sh\n(.*?)```", body, flags=re.DOTALL):
            lines += [ln for ln in block.splitlines() if ln.strip()]
    return lines


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def test_a_newcomer_walks_the_demo_and_the_readme(tmp_path: Path) -> None:
    work = tmp_path / "checkout"
    work.mkdir()
    (work / ".venv").symlink_to(Path(sys.prefix))
    port = _free_port()
    log_path = tmp_path / "demo.log"
    base = f"http://127.0.0.1:{port}/api/v1"
    with log_path.open("w+") as log:
        proc = _start(work, port, log)
        try:
            token = _wait_for_token(proc, log_path, port)
            printed = log_path.read_text()
            assert f"http://127.0.0.1:{port}/api/v1/docs" in printed
            # Every command the banner prints names the venv's sluice, never a bare `sluice`.
            for line in printed.splitlines():
                assert not re.search(r"(^|\s)sluice\s", line), line
            assert "examples/policies" in printed  # the demo configures the example bundle
            token_file = work / ".sluicegate" / "demo-admin-token"
            assert token_file.read_text().strip() == token
            assert stat.S_IMODE(token_file.stat().st_mode) == 0o600

            auth = {"authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=auth, timeout=10) as client:
                states = {e["key"]: e["state"] for e in client.get("/experiments").json()["items"]}
                assert states["checkout-redesign"] == "staging"
                assert states["payments-ci-cache"] == "general-availability"
                assert states["payments-pii-export"] == "rejected"
                assert states["search-ranking-v2"] == "proposed"
                assert len(client.get("/rollouts").json()["items"]) == 2
                slos = client.get("/slos").json()
                assert {(x["service"], x["name"]) for x in slos["slos"]} >= {
                    ("checkout", "availability"),
                    ("search", "requests-availability"),
                }, slos

                # The README's walkthrough, line by line, as a newcomer pastes it.
                lines = _walkthrough_lines()
                assert any("SLUICE_TOKEN=$(cat .sluicegate/demo-admin-token)" in ln for ln in lines)
                script = "set -euo pipefail\nset -x\n" + "\n".join(
                    ln.replace("127.0.0.1:8080", f"127.0.0.1:{port}") for ln in lines
                )
                walk = subprocess.run(
                    ["bash", "-c", script],
                    cwd=work,
                    env=_env(port),
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
                assert walk.returncode == 0, walk.stdout[-3000:] + walk.stderr[-3000:]
                assert "checkout-redesign" in walk.stdout
                assert "Change failure rate" in walk.stdout  # `sluice dora show` has data
                figures = client.get("/delivery/metrics").json()
                assert figures["deployment_frequency"]["deployments"] > 0, figures
                assert figures["lead_time"]["n"] > 0, figures
                assert figures["recovery_time"]["n"] > 0, figures

                # The bad canary is judged and rolled back by the in-process controller, and a
                # new round follows once the first has ended: there is always something to watch.
                deadline = time.monotonic() + 300
                while True:
                    keys = {
                        e["key"]: e["state"] for e in client.get("/experiments").json()["items"]
                    }
                    if keys.get("search-semantic") == "rolled-back" and "search-semantic-2" in keys:
                        break
                    assert time.monotonic() < deadline, (keys, log_path.read_text()[-3000:])
                    time.sleep(1)
                incidents = client.get("/incidents").json()["items"]
                assert any(i.get("experiment") == "search-semantic" for i in incidents), incidents
                names = [r["name"] for r in client.get("/rollouts").json()["items"]]
                assert any("round 2" in n for n in names), names
                report = client.post("/audit/verify").json()
                assert report["ok"], report
        finally:
            _stop(proc)

        # A restart reuses the stored token instead of minting another admin token.
        log.seek(0)
        log.truncate()
        proc = _start(work, port, log)
        try:
            assert _wait_for_token(proc, log_path, port) == token
            with httpx.Client(
                base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=10
            ) as client:
                mine = client.get("/tokens").json()["items"]
                live = [t for t in mine if t.get("revoked_at") is None]
                assert len(live) == 1, mine
        finally:
            _stop(proc)

    # A lost token is recovered on the database host; --local is required to say so.
    sluice = [sys.executable, "-m", "sluicegate"]
    refused = subprocess.run(
        [*sluice, "admin", "token"],
        cwd=work,
        env=_env(port),
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2, refused.stderr
    assert "--local" in refused.stderr
    issued = subprocess.run(
        [*sluice, "admin", "token", "--local", "--json"],
        cwd=work,
        env=_env(port),
        capture_output=True,
        text=True,
        check=False,
    )
    assert issued.returncode == 0, issued.stderr
    body = json.loads(issued.stdout)
    assert body["user"] == "admin"
    assert body["token"].startswith("sg_")
