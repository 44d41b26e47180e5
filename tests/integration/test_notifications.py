"""Webhooks end to end: a real HTTP receiver on loopback, the outbox and the dispatcher."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.support.app import EXAMPLE_PROPOSAL, FakeClock, Harness

from sluicegate.adapters.db.notifications import webhook_deliveries
from sluicegate.adapters.webhooks import HttpxWebhookSender
from sluicegate.api.app import create_app
from sluicegate.bootstrap import Settings, prepare
from sluicegate.domain.events import EventType
from sluicegate.domain.notifications import verify
from sluicegate.service.context import SYSTEM, RequestContext
from sluicegate.service.notifications import (
    DispatchSettings,
    create_subscription,
    enqueue,
    run_once,
)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A loopback HTTP server that records requests and answers from a script of statuses."""

    statuses: list[int] = field(default_factory=list)
    default_status: int = 200
    hang: bool = False
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else self.default_status


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            with state.lock:
                state.received.append(Received(self.path, dict(self.headers.items()), body))
            if state.hang:
                state.release.wait(timeout=30)
                return
            self.send_response(state.next_status())
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = False
    server.block_on_close = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def sender() -> Iterator[HttpxWebhookSender]:
    s = HttpxWebhookSender()
    try:
        yield s
    finally:
        s.close()


def _subscribe(h: Harness, url: str, events: list[str], fmt: str = "generic") -> dict[str, Any]:
    r = h.call(
        "admin",
        "POST",
        "/api/v1/webhooks",
        json={"name": f"{fmt} hook", "url": url, "events": events, "format": fmt},
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _emit(h: Harness, event_type: str, payload: dict[str, Any]) -> None:
    deps = h.container.deps
    with deps.uow() as uow:
        enqueue(uow, EventType(event_type), payload, deps=deps)


def _outbox(h: Harness) -> int:
    with h.container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(webhook_deliveries)).scalar_one())


SETTINGS = DispatchSettings(max_attempts=3, backoff_base_seconds=10, timeout_seconds=5)


def test_subscriptions_crud_audited_and_secret_shown_once(harness: Harness) -> None:
    h = harness
    created = _subscribe(h, "https://hooks.example/services/T000/B000/XXXX", ["jit.*", "*"])
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert created["events"] == ["*", "jit.*"]
    listed = h.call("admin", "GET", "/api/v1/webhooks").json()["items"]
    assert [s["id"] for s in listed] == [created["id"]]
    assert "secret" not in listed[0]
    shown = h.call("admin", "GET", f"/api/v1/webhooks/{created['id']}").json()
    assert "secret" not in shown
    patched = h.call(
        "admin", "PATCH", f"/api/v1/webhooks/{created['id']}", json={"active": False}
    ).json()
    assert patched["active"] is False
    assert h.call("admin", "DELETE", f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert h.call("admin", "GET", f"/api/v1/webhooks/{created['id']}").status_code == 404
    events = h.call(
        "admin",
        "GET",
        "/api/v1/audit",
        params={"entity_type": "webhook", "entity_id": created["id"]},
    ).json()["items"]
    assert [e["action"] for e in events] == ["webhook.create", "webhook.update", "webhook.delete"]
    # Neither the secret nor the credential-bearing URL path reaches the audit ledger.
    assert secret not in json.dumps(events)
    assert "XXXX" not in json.dumps(events)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x", "events": ["*"]}, "url"),
        ({"url": "http://u:p@example.com/x", "events": ["*"]}, "url"),
        ({"url": "https://example.com/x", "events": ["jit.granted", "nope"]}, "events[1]"),
        ({"url": "https://example.com/x", "events": ["*"], "format": "email"}, "format"),
    ],
)
def test_invalid_subscription_is_refused_and_stores_nothing(
    sqlite_harness: Harness, body: dict[str, Any], field: str
) -> None:
    h = sqlite_harness
    before = h.counts()
    r = h.call("admin", "POST", "/api/v1/webhooks", json={"name": "bad", **body})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert h.counts() == before


def test_generic_delivery_is_signed_and_only_matching_events_are_sent(
    harness: Harness, receiver: Receiver, sender: HttpxWebhookSender
) -> None:
    h = harness
    sub = _subscribe(h, receiver.url, ["jit.*"])
    # (not "*": a subscription to everything also hears of its own creation, webhook.created)
    paused = _subscribe(h, receiver.url + "/paused", ["jit.*", "gate.*"])
    h.call("admin", "PATCH", f"/api/v1/webhooks/{paused['id']}", json={"active": False})
    _emit(h, "jit.granted", {"experiment": "checkout", "role": "reviewer"})
    _emit(h, "gate.decision", {"experiment": "checkout", "decision": "pass"})
    report = run_once(h.container.deps, sender, SETTINGS)
    assert len(report.delivered) == 1
    assert [r.path for r in receiver.received] == ["/hook"]
    got = receiver.received[0]
    assert got.headers["X-Sluicegate-Event"] == "jit.granted"
    assert got.headers["X-Sluicegate-Delivery"] == report.delivered[0]
    assert got.headers["X-Sluicegate-Signature"].startswith("sha256=")
    assert verify(
        sub["secret"],
        got.headers["X-Sluicegate-Timestamp"],
        got.body,
        got.headers["X-Sluicegate-Signature"],
    )
    assert not verify("whsec_wrong", got.headers["X-Sluicegate-Timestamp"], got.body, "sha256=0")
    tampered = got.body.replace(b"reviewer", b"admin")
    assert not verify(
        sub["secret"],
        got.headers["X-Sluicegate-Timestamp"],
        tampered,
        got.headers["X-Sluicegate-Signature"],
    )
    doc = got.json()
    assert doc["type"] == "jit.granted"
    assert doc["data"] == {"experiment": "checkout", "role": "reviewer"}
    assert int(got.headers["X-Sluicegate-Timestamp"]) == int(h.clock.now().timestamp())
    # Delivered rows are not sent again.
    assert run_once(h.container.deps, sender, SETTINGS).attempted == 0
    deliveries = h.call("admin", "GET", "/api/v1/webhooks/deliveries").json()["items"]
    assert [(d["state"], d["attempts"]) for d in deliveries] == [("delivered", 1)]


def test_slack_and_teams_formats(
    harness: Harness, receiver: Receiver, sender: HttpxWebhookSender
) -> None:
    h = harness
    slack = _subscribe(h, receiver.url + "/slack", ["rollout.rolled-back"], "slack")
    teams = _subscribe(h, receiver.url + "/teams", ["rollout.*"], "teams")
    _emit(h, "rollout.rolled-back", {"experiment": "checkout", "state": "rolled-back"})
    assert len(run_once(h.container.deps, sender, SETTINGS).delivered) == 2
    by_path = {r.path: r for r in receiver.received}
    slack_doc = by_path["/hook/slack"].json()
    assert "rollout.rolled-back" in slack_doc["text"]
    assert "checkout" in slack_doc["text"]
    assert slack_doc["blocks"][0]["type"] == "header"
    assert all("type" in block for block in slack_doc["blocks"])
    teams_doc = by_path["/hook/teams"].json()
    assert teams_doc["@type"] == "MessageCard"
    assert teams_doc["@context"] == "https://schema.org/extensions"
    facts = {f["name"]: f["value"] for f in teams_doc["sections"][0]["facts"]}
    assert facts == {"experiment": "checkout", "state": "rolled-back"}
    for sub, path in ((slack, "/hook/slack"), (teams, "/hook/teams")):
        got = by_path[path]
        assert verify(
            sub["secret"],
            got.headers["X-Sluicegate-Timestamp"],
            got.body,
            got.headers["X-Sluicegate-Signature"],
        )


def test_retries_with_backoff_until_the_receiver_recovers(
    harness: Harness, receiver: Receiver, sender: HttpxWebhookSender
) -> None:
    h = harness
    receiver.statuses = [500, 500, 200]
    _subscribe(h, receiver.url, ["incident.opened"])
    _emit(h, "incident.opened", {"experiment": "checkout"})
    deps = h.container.deps
    first = run_once(deps, sender, SETTINGS)
    assert len(first.retrying) == 1
    # Not due before the backoff (10 s after the first failure, then 20 s).
    assert run_once(deps, sender, SETTINGS).attempted == 0
    h.clock.advance(seconds=10)
    assert run_once(deps, sender, SETTINGS).retrying == first.retrying
    h.clock.advance(seconds=19)
    assert run_once(deps, sender, SETTINGS).attempted == 0
    h.clock.advance(seconds=1)
    assert run_once(deps, sender, SETTINGS).delivered == first.retrying
    assert len(receiver.received) == 3
    assert {r.headers["X-Sluicegate-Delivery"] for r in receiver.received} == set(first.retrying)
    (delivery,) = h.call("admin", "GET", "/api/v1/webhooks/deliveries").json()["items"]
    assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == (
        "delivered",
        3,
        200,
    )


def test_dead_letter_after_the_last_attempt_then_retry(
    harness: Harness,
    receiver: Receiver,
    sender: HttpxWebhookSender,
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = harness
    receiver.default_status = 503
    sub = _subscribe(h, receiver.url, ["override.*"])
    _emit(h, "override.created", {"experiment": "checkout"})
    deps = h.container.deps
    with caplog.at_level(logging.WARNING, logger="sluicegate.notifications"):
        for _ in range(SETTINGS.max_attempts):
            run_once(deps, sender, SETTINGS)
            h.clock.advance(hours=1)
    assert len(receiver.received) == SETTINGS.max_attempts
    assert "dead-lettered after 3 attempts: HTTP 503" in caplog.text
    assert sub["secret"] not in caplog.text
    # Nothing more is attempted for a dead letter.
    assert run_once(deps, sender, SETTINGS).attempted == 0
    dead = h.call("admin", "GET", "/api/v1/webhooks/dead-letters").json()["items"]
    assert [(d["event_type"], d["attempts"], d["last_status"]) for d in dead] == [
        ("override.created", 3, 503)
    ]
    assert h.call("bob", "GET", "/api/v1/webhooks/dead-letters").status_code == 403
    receiver.default_status = 204
    r = h.call("admin", "POST", f"/api/v1/webhooks/dead-letters/{dead[0]['id']}/retry")
    assert (r.json()["state"], r.json()["attempts"]) == ("pending", 0)
    again = h.call("admin", "POST", f"/api/v1/webhooks/dead-letters/{dead[0]['id']}/retry")
    assert again.status_code == 409
    assert run_once(deps, sender, SETTINGS).delivered == [dead[0]["id"]]
    assert h.call("admin", "GET", "/api/v1/webhooks/dead-letters").json()["items"] == []
    audit = h.call(
        "admin", "GET", "/api/v1/audit", params={"entity_type": "webhook-delivery"}
    ).json()["items"]
    assert [e["action"] for e in audit] == ["webhook.delivery-retry"]


def test_a_rolled_back_transaction_enqueues_nothing(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    _subscribe(h, "http://127.0.0.1:9/hook", ["gate.*"])
    deps = h.container.deps

    def failing_use_case() -> None:
        with deps.uow() as uow:
            enqueue(uow, EventType.GATE_DECISION, {"experiment": "x"}, deps=deps)
            raise RuntimeError("the use case failed after enqueueing")

    with pytest.raises(RuntimeError, match="the use case failed"):
        failing_use_case()
    assert _outbox(h) == 0
    _emit(h, "gate.decision", {"experiment": "x"})
    assert _outbox(h) == 1


def test_enqueue_refuses_a_payload_that_is_not_json(sqlite_harness: Harness) -> None:
    deps = sqlite_harness.container.deps
    with pytest.raises(TypeError), deps.uow() as uow:
        enqueue(uow, EventType.GATE_DECISION, {"when": object()}, deps=deps)
    with pytest.raises(ValueError, match="malformed event type"), deps.uow() as uow:
        enqueue(uow, "Gate Decision", {}, deps=deps)  # type: ignore[arg-type]  # on purpose


def test_requests_never_wait_for_a_hanging_receiver(
    harness: Harness, receiver: Receiver, sender: HttpxWebhookSender
) -> None:
    h = harness
    receiver.hang = True
    _subscribe(h, receiver.url, ["jit.requested"])
    r = h.call(
        "alice",
        "POST",
        "/api/v1/experiments",
        content=_proposal(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    r = h.call(
        "erin",
        "POST",
        "/api/v1/jit/requests",
        json={
            "experiment": "hooked",
            "stage": "proposed",
            "role": "contributor",
            "duration": "1h",
            "reason": "triage",
        },
    )
    # The request returned while the receiver hangs: enqueueing did not contact it at all.
    assert r.status_code == 201, r.text
    assert receiver.received == []
    assert _outbox(h) == 1
    # The dispatcher does contact it, and gives up on this attempt at its timeout.
    report = run_once(
        h.container.deps,
        sender,
        # 1 s, not less: on a loaded machine the hanging receiver must get the request first
        DispatchSettings(max_attempts=3, backoff_base_seconds=1, timeout_seconds=1.0),
    )
    assert len(report.retrying) == 1
    assert len(receiver.received) == 1
    (delivery,) = h.call("admin", "GET", "/api/v1/webhooks/deliveries").json()["items"]
    assert delivery["last_error"].startswith("ReadTimeout")
    assert delivery["data"]["requester"] == "erin"


def _proposal() -> str:
    return EXAMPLE_PROPOSAL.replace("key: checkout-redesign", "key: hooked")


def test_claims_are_exclusive_and_leases_expire(database_url: str, harness: Harness) -> None:
    h = harness
    _subscribe(h, "http://127.0.0.1:9/hook", ["incident.*"])
    _emit(h, "incident.opened", {"experiment": "x"})
    deps = h.container.deps
    now = h.clock.now()
    lease = now + timedelta(minutes=2)
    if database_url.startswith("postgresql"):
        # Two replicas at once: the second skips the rows the first holds (SKIP LOCKED).
        with deps.uow() as first:
            claimed = first.webhooks.claim_due(now, lease, 10)
            with deps.uow() as second:
                assert second.webhooks.claim_due(now, lease, 10) == []
        assert len(claimed) == 1
    else:
        with deps.uow() as first:
            claimed = first.webhooks.claim_due(now, lease, 10)
        assert len(claimed) == 1
    assert claimed[0].secret.startswith("whsec_")
    # Claimed and leased: nobody else takes it until the lease runs out.
    with deps.uow() as uow:
        assert uow.webhooks.claim_due(now, lease, 10) == []
    with deps.uow() as uow:
        again = uow.webhooks.claim_due(lease, lease + timedelta(minutes=2), 10)
    assert [c.delivery.id for c in again] == [claimed[0].delivery.id]


def test_the_app_lifespan_runs_the_dispatcher(tmp_path: Path, receiver: Receiver) -> None:
    settings = Settings(
        home=tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'lifespan.db'}",
        expiry_interval_seconds=0,
        webhook_interval_seconds=0.05,
    )
    container = prepare(settings, clock=FakeClock())
    try:
        admin_ctx = RequestContext(SYSTEM)
        create_subscription(
            container.deps, admin_ctx, name="life", url=receiver.url, events=["incident.*"]
        )
        with container.deps.uow() as uow:
            enqueue(uow, EventType.INCIDENT_OPENED, {"experiment": "x"}, deps=container.deps)
        with TestClient(create_app(container)):
            deadline = time.monotonic() + 30
            while not receiver.received and time.monotonic() < deadline:
                time.sleep(0.05)
        assert [r.headers["X-Sluicegate-Event"] for r in receiver.received] == ["incident.opened"]
    finally:
        container.close()


def _sluice(env: dict[str, str], *args: str, token: str | None = None) -> Any:
    run_env = {**env, **({"SLUICE_TOKEN": token} if token else {})}
    return subprocess.run(
        [sys.executable, "-m", "sluicegate", *args],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cli_webhooks_and_jit_against_a_real_server(tmp_path: Path, receiver: Receiver) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "SLUICE_HOME": str(tmp_path / "state"),
        "SLUICE_URL": f"http://127.0.0.1:{port}",
        "SLUICE_WEBHOOK_INTERVAL": "0",  # delivered by `sluice webhook dispatch` below
        "COLUMNS": "200",
    }
    env.pop("SLUICE_TOKEN", None)
    env.pop("SLUICE_DATABASE_URL", None)
    init = _sluice(env, "init", "--admin", "root", "--json")
    assert init.returncode == 0, init.stderr
    root = json.loads(init.stdout)["token"]
    with (tmp_path / "serve.log").open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sluicegate", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_healthy(port, proc, tmp_path / "serve.log")
            _cli_flow(env, root, receiver)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _wait_healthy(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).is_success:
                return
        except httpx.TransportError:
            pass
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.2)


def _cli_flow(env: dict[str, str], root: str, receiver: Receiver) -> None:
    r = _sluice(env, "webhook", "create", receiver.url, "-e", "jit.*", "--json", token=root)
    assert r.returncode == 0, r.stderr
    secret = json.loads(r.stdout)["secret"]
    listed = json.loads(_sluice(env, "webhook", "list", "--json", token=root).stdout)
    assert [s["url"] for s in listed] == [receiver.url]
    assert secret not in json.dumps(listed)

    # Set-up over the API; the commands under test run as the CLI.
    with httpx.Client(base_url=env["SLUICE_URL"], headers=_bearer(root)) as api:
        assert api.post("/api/v1/teams", json={"key": "payments", "name": "P"}).is_success
        tokens = {}
        for user, role in (("alice", "contributor"), ("erin", "viewer"), ("bob", "reviewer")):
            teams = ["payments"] if user == "alice" else []
            body = {"username": user, "display_name": user, "role": role, "teams": teams}
            assert api.post("/api/v1/users", json=body).is_success
            r = api.post("/api/v1/tokens", json={"name": "t", "username": user})
            tokens[user] = r.json()["token"]
        r = api.post(
            "/api/v1/experiments",
            content=EXAMPLE_PROPOSAL,
            headers={**_bearer(tokens["alice"]), "content-type": "application/yaml"},
        )
        assert r.status_code == 201, r.text

    args = ["jit", "request", "checkout-redesign", "--role", "contributor", "--reason", "triage"]
    r = _sluice(env, *args, "--duration", "9h", token=tokens["erin"])
    assert r.returncode == 2
    assert "duration" in r.stderr
    r = _sluice(env, *args, "--duration", "2h", token=tokens["erin"])
    assert r.returncode == 0, r.stderr
    req_id = r.stdout.strip()
    r = _sluice(env, "jit", "approve", req_id, "--comment", "ok", token=tokens["bob"])
    assert r.returncode == 0, r.stderr
    items = json.loads(_sluice(env, "jit", "list", "--json", token=tokens["erin"]).stdout)
    assert [(i["id"], i["state"]) for i in items] == [(req_id, "active")]
    r = _sluice(env, "jit", "revoke", req_id, "--reason", "done", token=tokens["erin"])
    assert r.returncode == 0, r.stderr
    r = _sluice(env, "jit", "revoke", req_id, token=tokens["erin"])
    assert r.returncode == 7

    assert receiver.received == []  # the server's dispatcher is off
    r = _sluice(env, "webhook", "dispatch", "--json")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["delivered"]) == 3
    events = [x.headers["X-Sluicegate-Event"] for x in receiver.received]
    assert events == ["jit.requested", "jit.granted", "jit.revoked"]
    for got in receiver.received:
        ts, sig = got.headers["X-Sluicegate-Timestamp"], got.headers["X-Sluicegate-Signature"]
        assert verify(secret, ts, got.body, sig)
    dead = _sluice(env, "webhook", "dead-letters", "--json", token=root)
    assert json.loads(dead.stdout) == []


def test_experiment_and_flag_changes_can_be_subscribed_to(
    harness: Harness, receiver: Receiver, sender: HttpxWebhookSender
) -> None:
    """Issue 12 §3: every audited state change has an event type a subscription can name."""
    h = harness
    sub = _subscribe(h, receiver.url, ["experiment.*", "flag-set.*", "flag-change.*"])
    r = h.call(
        "alice",
        "POST",
        "/api/v1/experiments",
        content=EXAMPLE_PROPOSAL.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    r = h.call(
        "carol",
        "POST",
        "/api/v1/experiments/checkout-redesign/approvals",
        json={"domain": "product"},
    )
    assert r.status_code == 201, r.text
    flags = {
        "on": {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "on"}
    }
    body = {
        "name": "shop",
        "environment": "staging",
        "owner_team": "payments",
        "document": {"flags": flags},
    }
    r = h.call("alice", "POST", "/api/v1/flag-sets", json=body)
    assert r.status_code == 201, r.text
    report = run_once(h.container.deps, sender, SETTINGS)
    got = {g.headers["X-Sluicegate-Event"]: g for g in receiver.received}
    # creating a flag set records its creation and its first revision
    assert sorted(got) == [
        "experiment.created",
        "experiment.signed-off",
        "flag-set.created",
        "flag-set.revised",
    ]
    assert len(report.delivered) == 4
    created = got["experiment.created"].json()["data"]
    assert created["action"] == "experiment.create"
    assert (created["entity_type"], created["entity_id"]) == ("experiment", "checkout-redesign")
    assert created["actor"] == "user:alice"
    assert created["after"]["key"] == "checkout-redesign"
    assert isinstance(created["audit_seq"], int)
    signed = got["experiment.signed-off"].json()["data"]
    assert (signed["action"], signed["after"]["domain"]) == ("experiment.approve", "product")
    flag_set = got["flag-set.created"]
    assert flag_set.json()["data"]["after"]["name"] == "shop"
    assert verify(
        sub["secret"],
        flag_set.headers["X-Sluicegate-Timestamp"],
        flag_set.body,
        flag_set.headers["X-Sluicegate-Signature"],
    )
