"""Real clients against a real ``sluice serve`` process: the `sluice flags` CLI, the official
OpenFeature OFREP provider, and the OpenFeature SDK with ``SluicegateProvider`` syncing live."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import EventDetails, ProviderEvent
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from sluicegate.flags import check_flag_set
from sluicegate.sdk import SluicegateProvider

BOOL = {"on": True, "off": False}
FLAGS: dict[str, Any] = {
    "flags": {
        "static-on": {"state": "ENABLED", "variants": BOOL, "defaultVariant": "on"},
        "pro-only": {
            "state": "ENABLED",
            "variants": BOOL,
            "defaultVariant": "off",
            "targeting": {"if": [{"==": [{"var": "plan"}, "pro"]}, "on", None]},
        },
        "dark": {"state": "DISABLED", "variants": BOOL, "defaultVariant": "on"},
        "colour": {
            "state": "ENABLED",
            "variants": {"red": "red", "blue": "blue"},
            "defaultVariant": "red",
        },
        "broken": {
            "state": "ENABLED",
            "variants": BOOL,
            "defaultVariant": "off",
            "targeting": {"if": [{"/": [1, {"var": "zero"}]}, "on", "off"]},
        },
    }
}
DEADLINE = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    home: Path
    env: dict[str, str]
    tokens: dict[str, str]

    def sluice(self, *args: str, who: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sluicegate", *args],
            env={**self.env, "SLUICE_TOKEN": self.tokens[who]},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("ofrep")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SLUICE_HOME": str(home / "state"),
        "SLUICE_URL": url,
        "SLUICE_SSE_KEEPALIVE": "1",
        "SLUICE_SSE_POLL": "0.5",
        "SLUICE_SSE_MAX_SECONDS": "20",
        "SLUICE_FLAG_SCHEDULE_INTERVAL": "0.5",
        "COLUMNS": "200",
    }
    for name in ("SLUICE_TOKEN", "SLUICE_DATABASE_URL", "SLUICE_OFREP_RATE"):
        env.pop(name, None)
    init = subprocess.run(
        [sys.executable, "-m", "sluicegate", "init", "--admin", "root", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    root = json.loads(init.stdout)["token"]
    log_path = home / "serve.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sluicegate", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_healthy(url, proc, log_path)
        auth = {"authorization": f"Bearer {root}"}
        with httpx.Client(base_url=url, headers=auth, timeout=30) as http:
            assert http.post("/api/v1/teams", json={"key": "payments", "name": "P"}).is_success
            tokens = {"root": root}
            for user, role in (("alice", "contributor"), ("bob", "reviewer")):
                body: dict[str, Any] = {"username": user, "display_name": user, "role": role}
                if role == "contributor":
                    body["teams"] = ["payments"]
                assert http.post("/api/v1/users", json=body).is_success
                r = http.post("/api/v1/tokens", json={"name": "e2e", "username": user})
                tokens[user] = r.json()["token"]
        yield Server(url, home, env, tokens)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
            log.close()


@pytest.fixture(scope="module")
def staging(server: Server) -> str:
    """The `shop` flag set in staging, created with the CLI; returns a token scoped to it."""
    doc = server.home / "flags.json"
    doc.write_text(json.dumps(FLAGS))
    r = server.sluice(
        "flags", "create", "shop", "--env", "staging", "--team", "payments", "-f", str(doc),
        who="alice",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = server.sluice(
        "flags", "token", "create", "shop", "--env", "staging", "--name", "e2e", "--json",
        who="alice",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    token: str = json.loads(r.stdout)["token"]
    return token


def test_cli_export_import_diff_history_and_rollback(server: Server, staging: str) -> None:
    del staging
    r = server.sluice("flags", "get", "shop", "--env", "staging", who="alice")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == FLAGS  # export is the flagd document itself
    changed = json.loads(r.stdout)
    changed["flags"]["colour"]["defaultVariant"] = "blue"
    del changed["flags"]["broken"]
    path = server.home / "changed.json"
    path.write_text(json.dumps(changed))
    r = server.sluice("flags", "diff", "shop", "--env", "staging", "-f", str(path), who="alice")
    assert r.returncode == 0, r.stderr
    assert "- broken" in r.stdout
    assert "~ colour (defaultVariant)" in r.stdout

    r = server.sluice(
        "flags", "apply", "shop", "--env", "staging", "-f", str(path), "--reason", "blue",
        who="alice",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "revision 2" in r.stdout
    r = server.sluice("flags", "history", "shop", "--env", "staging", "--json", who="alice")
    history = json.loads(r.stdout)
    assert [(h["number"], h["reason"]) for h in history] == [(2, "blue"), (1, "created")]
    r = server.sluice("flags", "history", "shop", "--env", "staging", who="alice")
    assert "blue" in r.stdout

    r = server.sluice("flags", "rollback", "shop", "--env", "staging", "--to", "1", who="alice")
    assert r.returncode == 0, r.stderr
    r = server.sluice("flags", "get", "shop", "--env", "staging", who="alice")
    assert json.loads(r.stdout) == FLAGS

    bad = server.home / "bad.json"
    bad.write_text(json.dumps({"flags": {"x": {"state": "ON", "variants": {"a": 1}}}}))
    r = server.sluice("flags", "apply", "shop", "--env", "staging", "-f", str(bad), who="alice")
    assert r.returncode == 2
    assert "/flags/x/state" in r.stderr
    r = server.sluice("flags", "get", "nope", "--env", "staging", who="alice")
    assert r.returncode == 6


def test_cli_imports_flagds_own_flag_file(server: Server, staging: str) -> None:
    """issue #11: flagd's testkit file loads; its problems are warnings in staging (stderr and
    --json) and refusals, each with its JSON pointer, in production."""
    del staging
    path = Path(__file__).resolve().parents[1] / "fixtures" / "flagd" / "testkit-flags.json"
    expected = [f.pointer for f in check_flag_set(path.read_text("utf-8"))]
    args = ("flags", "create", "flagd-kit", "--team", "payments", "-f", str(path))
    r = server.sluice(*args, "--env", "staging", who="alice")
    assert r.returncode == 0, r.stderr
    for pointer in expected:
        assert f"warning (new) {pointer}:" in r.stderr
    r = server.sluice(
        "flags", "apply", "flagd-kit", "--env", "staging", "-f", str(path), "--json", who="alice"
    )
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["outcome"] == "unchanged"
    assert [f["pointer"] for f in result["findings"]] == expected
    r = server.sluice(*args, "--env", "production", who="alice")
    assert r.returncode == 2
    for pointer in expected:
        assert pointer in r.stderr

    policy = ("flags", "policy", "flagd-kit", "--env", "staging")
    r = server.sluice(*policy, "--json", who="alice")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["findings"] == "warn"
    assert server.sluice(*policy, "--findings", "refuse", who="alice").returncode == 3
    r = server.sluice(*policy, "--findings", "refuse", who="root")
    assert r.returncode == 0, r.stderr
    assert "new findings refused" in r.stdout
    worse = json.loads(path.read_text("utf-8"))
    worse["flags"]["string-flag"]["targeting"] = {"regex": [1]}
    worse_path = server.home / "worse.json"
    worse_path.write_text(json.dumps(worse))
    apply = ("flags", "apply", "flagd-kit", "--env", "staging", "-f")
    r = server.sluice(*apply, str(worse_path), who="alice")
    assert r.returncode == 2
    assert "/flags/string-flag/targeting/regex" in r.stderr
    unrelated = json.loads(path.read_text("utf-8"))
    unrelated["flags"]["string-flag"]["defaultVariant"] = "parting"
    worse_path.write_text(json.dumps(unrelated))
    r = server.sluice(*apply, str(worse_path), who="alice")
    assert r.returncode == 0, r.stderr  # the file's own problems are not new
    assert "warning (existing)" in r.stderr


def test_cli_four_eyes_in_production(server: Server, staging: str) -> None:
    del staging
    doc = server.home / "flags.json"
    r = server.sluice(
        "flags", "create", "shop", "--env", "production", "--team", "payments", "-f", str(doc),
        "--json", who="alice",
    )  # fmt: skip
    assert r.returncode == 5, r.stderr  # pending approval
    request_id = json.loads(r.stdout)["change_request"]["id"]
    r = server.sluice("flags", "request", "list", "shop", "--env", "production", who="bob")
    assert request_id in r.stdout
    args = ("flags", "request", "approve", "shop", request_id, "--env", "production")
    assert server.sluice(*args, who="alice").returncode == 3
    r = server.sluice(*args, "--comment", "ok", who="bob")
    assert r.returncode == 0, r.stderr
    r = server.sluice(
        "flags", "request", "apply", "shop", request_id, "--env", "production", who="alice"
    )
    assert r.returncode == 0, r.stderr
    r = server.sluice("flags", "get", "shop", "--env", "production", who="alice")
    assert json.loads(r.stdout) == FLAGS
    r = server.sluice("flags", "list", "--json", who="bob")
    listed = {(f["name"], f["environment"], f["requires_approval"]) for f in json.loads(r.stdout)}
    assert ("shop", "production", True) in listed


@pytest.fixture
def ofrep_client(server: Server, staging: str) -> Iterator[Any]:
    provider = OFREPProvider(
        server.url, headers_factory=lambda: {"Authorization": f"Bearer {staging}"}
    )
    api.set_provider(provider, "ofrep-e2e")
    try:
        yield api.get_client("ofrep-e2e")
    finally:
        api.clear_providers()
        provider.session.close()


def test_official_ofrep_provider_reasons_and_errors(ofrep_client: Any, server: Server) -> None:
    client = ofrep_client
    details = client.get_boolean_details("static-on", False)
    assert (details.value, details.variant, details.reason) == (True, "on", Reason.STATIC)
    pro = EvaluationContext("user-1", {"plan": "pro"})
    details = client.get_boolean_details("pro-only", False, pro)
    assert (details.value, details.reason) == (True, Reason.TARGETING_MATCH)
    details = client.get_boolean_details("pro-only", True, EvaluationContext("u", {"plan": "x"}))
    assert (details.value, details.variant, details.reason) == (False, "off", Reason.DEFAULT)
    details = client.get_boolean_details("dark", True)
    assert (details.value, details.reason, details.error_code) == (True, Reason.DISABLED, None)
    details = client.get_string_details("colour", "green")
    assert (details.value, details.reason) == ("red", Reason.STATIC)

    errors = [
        (client.get_boolean_details("missing", True), ErrorCode.FLAG_NOT_FOUND),
        (client.get_boolean_details("colour", True), ErrorCode.TYPE_MISMATCH),
        (
            client.get_boolean_details("broken", True, EvaluationContext("u", {"zero": 0})),
            ErrorCode.GENERAL,
        ),
        (
            client.get_boolean_details(
                "static-on", False, EvaluationContext("u", {"targetingKey": 7})
            ),
            ErrorCode.INVALID_CONTEXT,
        ),
    ]
    for details, code in errors:
        assert (details.reason, details.error_code) == (Reason.ERROR, code), details
        assert details.value in (True, False)
    assert errors[0][0].value is True  # the caller's default

    # PARSE_ERROR cannot come from the provider (it always sends JSON): a raw client shows it.
    with httpx.Client(base_url=server.url, timeout=10) as http:
        headers = {"authorization": f"Bearer {server.tokens['alice']}"}
        r = http.post(
            "/ofrep/v1/evaluate/flags",
            content=b"{oops",
            headers={
                **headers,
                "X-Sluicegate-Flag-Set": "shop",
                "X-Sluicegate-Environment": "staging",
            },
        )
        assert (r.status_code, r.json()["errorCode"]) == (400, "PARSE_ERROR")
        r = http.post(
            "/ofrep/v1/evaluate/flags/static-on", json={}, headers={"authorization": "Bearer x"}
        )
        assert r.status_code == 401


def _wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_sdk_provider_syncs_live_and_sees_changes(
    server: Server, staging: str, tmp_path: Path
) -> None:
    provider = SluicegateProvider(
        url=server.url, token=staging, flag_set="shop", cache_dir=tmp_path, poll_interval=60
    )
    changed = threading.Event()

    def on_change(details: EventDetails) -> None:
        del details
        changed.set()

    api.set_provider_and_wait(provider, "sdk-e2e")
    client = api.get_client("sdk-e2e")
    client.add_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, on_change)
    ofrep = OFREPProvider(
        server.url, headers_factory=lambda: {"Authorization": f"Bearer {staging}"}
    )
    api.set_provider(ofrep, "ofrep-compare")
    remote = api.get_client("ofrep-compare")
    try:
        # The same flags give the same answers in-process and over OFREP.
        for key, context in (
            ("static-on", None),
            ("pro-only", EvaluationContext("u", {"plan": "pro"})),
            ("pro-only", EvaluationContext("u", {"plan": "free"})),
            ("dark", None),
        ):
            local = client.get_boolean_details(key, True, context)
            over_http = remote.get_boolean_details(key, True, context)
            assert (local.value, local.variant, local.reason) == (
                over_http.value,
                over_http.variant,
                over_http.reason,
            ), key
        assert client.get_boolean_details("missing", True).error_code == ErrorCode.FLAG_NOT_FOUND

        # A change on the server reaches the provider through the event stream.
        r = server.sluice(
            "flags", "set", "shop", "static-on", "--env", "staging", "--default-variant", "off",
            who="alice",
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        _wait_for(changed.is_set, "PROVIDER_CONFIGURATION_CHANGED")
        assert client.get_boolean_value("static-on", True) is False

        # A scheduled change is applied by the server's job, and arrives the same way.
        changed.clear()
        soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
        r = server.sluice(
            "flags", "set", "shop", "static-on", "--env", "staging", "--default-variant", "on",
            "--apply-at", soon, who="alice",
        )  # fmt: skip
        assert r.returncode == 5, r.stderr
        _wait_for(changed.is_set, "the scheduled change")
        assert client.get_boolean_value("static-on", False) is True
    finally:
        api.clear_providers()
        ofrep.session.close()


def test_event_stream_and_revision_diff_over_the_wire(server: Server, staging: str) -> None:
    scoped = {"authorization": f"Bearer {staging}"}
    alice = {"authorization": f"Bearer {server.tokens['alice']}"}
    with httpx.Client(base_url=server.url, timeout=DEADLINE) as http:
        before = http.get("/api/v1/sync/flag-sets/shop", headers=scoped)
        revision = before.headers["x-sluicegate-revision"]
        with http.stream("GET", "/api/v1/sync/flag-sets/shop/events", headers=scoped) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            assert next(lines) == "event: revision"
            assert json.loads(next(lines).removeprefix("data: ")) == {
                "revision": revision,
                "flag_set": "shop",
            }
            changed = before.json()
            changed["flags"]["colour"]["defaultVariant"] = "blue"
            put = http.put(
                "/api/v1/flag-sets/shop/staging/document",
                json=changed,
                headers=alice,
                params={"reason": "stream"},
            )
            assert put.status_code == 200, put.text
            new_revision = put.json()["revision"]["revision"]
            seen = []
            for line in lines:
                seen.append(line)
                if line.startswith("data: "):
                    break
            assert seen[-2:] == [
                "event: revision",
                "data: " + json.dumps({"revision": new_revision, "flag_set": "shop"}),
            ]
            assert all(line in ("", ": keepalive") for line in seen[:-2]), seen
        number = put.json()["revision"]["number"]
    r = server.sluice(
        "flags", "diff", "shop", "--env", "staging", "--from", str(number - 1), "--to",
        str(number), "--json", who="alice",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert list(json.loads(r.stdout)["diff"]["flags"]["changed"]) == ["colour"]
    r = server.sluice(
        "flags", "rollback", "shop", "--env", "staging", "--to", str(number - 1), who="alice"
    )
    assert r.returncode == 0, r.stderr
    # A pending production request can be withdrawn by its author with reject.
    path = server.home / "withdraw.json"
    path.write_text(json.dumps(changed))
    r = server.sluice(
        "flags", "create", "withdrawn", "--env", "production", "--team", "payments",
        "-f", str(path), "--json", who="alice",
    )  # fmt: skip
    assert r.returncode == 5, r.stderr
    request_id = json.loads(r.stdout)["change_request"]["id"]
    r = server.sluice(
        "flags", "request", "reject", "withdrawn", request_id, "--env", "production", who="alice"
    )
    assert r.returncode == 0, r.stderr
    assert "rejected" in r.stdout
