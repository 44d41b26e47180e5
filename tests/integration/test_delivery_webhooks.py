"""Delivery webhooks over HTTP (issue 13 §1, §5) on SQLite and PostgreSQL: a delivery signed by
a configured source is recorded once; a bad signature, an unknown source, a bad body and a bad
sources file store nothing; redelivery and out-of-order status reports change nothing; each
token and each source is rate-limited."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.app import Harness

from sluicegate.api.ratelimit import RateLimiter

SECRET = "webhook-secret-0123456789"
HOOK = "/api/v1/delivery/webhooks"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "webhooks"

SOURCES = f"""
sources:
  github-acme:
    kind: github
    secret: {SECRET}
    services: {{acme/shop: checkout}}
    deploy_workflows: [Deploy]
  gitlab-acme:
    kind: gitlab
    secret: {SECRET}
  ado-acme:
    kind: azure-devops
    secret: {SECRET}
    username: sluice
"""


@pytest.fixture
def hooks(harness: Harness) -> Harness:
    path = harness.container.settings.sources_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SOURCES, encoding="utf-8")
    path.chmod(0o600)
    return harness


def _github(
    h: Harness, event: str, payload: Any, *, secret: str = SECRET, source: str = "github-acme"
) -> Any:
    body = json.dumps(payload).encode()
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "x-hub-signature-256": sig,
    }
    return h.client.post(f"{HOOK}/{source}", content=body, headers=headers)


def _status_payload(state: str, status_at: str = "2026-11-21T10:05:00Z") -> dict[str, Any]:
    return {
        "action": "created",
        "deployment_status": {
            "id": 2,
            "state": state,
            "environment": "production",
            "created_at": status_at,
            "updated_at": status_at,
        },
        "deployment": {
            "id": 145988746,
            "sha": "a10867b14bb761a232cd80139fbd4c0d33264240",
            "ref": "main",
            "task": "deploy",
            "environment": "production",
            "created_at": "2026-11-21T10:00:00Z",
            "updated_at": status_at,
            "payload": {},
        },
        "repository": {"id": 1, "full_name": "acme/shop", "default_branch": "main"},
        "sender": {"login": "octocat"},
    }


def _stored(h: Harness, deployment_id: str, source: str = "github-acme") -> Any:
    return h.call(
        "erin", "GET", f"/api/v1/delivery/deployments/{deployment_id}", params={"source": source}
    )


def test_a_signed_github_deployment_is_recorded_once(hooks: Harness) -> None:
    resp = _github(hooks, "deployment_status", _status_payload("success"))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["source"] == "github-acme"
    assert body["kind"] == "github"
    assert body["event"] == "deployment_status"
    assert body["ignored"] is None
    assert body["deployments"] == {"recorded": 1, "unchanged": 0}
    stored = _stored(hooks, "acme/shop/deployments/145988746")
    assert stored.status_code == 200, stored.text
    got = stored.json()
    assert got["service"] == "checkout"
    assert got["status"] == "success"
    assert got["recorded_by"] == "source:github-acme"
    assert got["revisions"] == [
        {"repo": "acme/shop", "sha": "a10867b14bb761a232cd80139fbd4c0d33264240"}
    ]
    counts = hooks.counts()
    again = _github(hooks, "deployment_status", _status_payload("success"))
    assert again.status_code == 200
    assert again.json()["deployments"] == {"recorded": 0, "unchanged": 1}
    assert hooks.counts() == counts


def test_status_reports_in_any_order_make_one_deployment(hooks: Harness) -> None:
    assert _github(hooks, "deployment_status", _status_payload("in_progress")).json()[
        "deployments"
    ] == {"recorded": 1, "unchanged": 0}
    done = _github(hooks, "deployment_status", _status_payload("success"))
    assert done.json()["deployments"] == {"recorded": 1, "unchanged": 0}
    counts = hooks.counts()
    # the queued report delivered late: an older state, nothing changes
    late = _github(hooks, "deployment_status", _status_payload("queued"))
    assert late.status_code == 200, late.text
    assert late.json()["deployments"] == {"recorded": 0, "unchanged": 1}
    assert hooks.counts() == counts
    stored = _stored(hooks, "acme/shop/deployments/145988746").json()
    assert stored["status"] == "success"
    assert stored["revision"] == 2


@pytest.mark.parametrize("how", ["wrong-secret", "unknown-source", "no-signature", "tampered"])
def test_a_bad_signature_is_401_and_stores_nothing(hooks: Harness, how: str) -> None:
    counts = hooks.counts()
    payload = _status_payload("success")
    if how == "wrong-secret":
        resp = _github(hooks, "deployment_status", payload, secret="not-the-secret-at-all")
    elif how == "unknown-source":
        resp = _github(hooks, "deployment_status", payload, source="github-other")
    elif how == "no-signature":
        resp = hooks.client.post(
            f"{HOOK}/github-acme", json=payload, headers={"x-github-event": "deployment_status"}
        )
    else:
        body = json.dumps(payload).encode()
        sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        tampered = body.replace(b"success", b"failure")
        resp = hooks.client.post(
            f"{HOOK}/github-acme",
            content=tampered,
            headers={"x-github-event": "deployment_status", "x-hub-signature-256": sig},
        )
    assert resp.status_code == 401, resp.text
    assert resp.json()["code"] == "unauthenticated"
    assert SECRET not in resp.text
    assert hooks.counts() == counts


def test_a_ping_is_answered_and_ignored(hooks: Harness) -> None:
    counts = hooks.counts()
    resp = _github(hooks, "ping", {"zen": "Keep it logically awesome.", "hook_id": 1})
    assert resp.status_code == 200, resp.text
    assert resp.json()["ignored"]
    assert hooks.counts() == counts


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        (b"not json at all", 400, None),
        (b"[1, 2, 3]", 422, "$"),
        (json.dumps({"deployment_status": {"state": "success"}}).encode(), 422, None),
    ],
)
def test_a_signed_bad_body_is_a_4xx_and_stores_nothing(
    hooks: Harness, payload: bytes, status: int, field: str | None
) -> None:
    counts = hooks.counts()
    sig = "sha256=" + hmac.new(SECRET.encode(), payload, hashlib.sha256).hexdigest()
    resp = hooks.client.post(
        f"{HOOK}/github-acme",
        content=payload,
        headers={
            "x-github-event": "deployment_status",
            "x-hub-signature-256": sig,
            "content-type": "application/json",
        },
    )
    assert resp.status_code == status, resp.text
    errors = resp.json().get("errors", [])
    if status == 422:
        assert errors, resp.text
    if field is not None:
        assert [e["field"] for e in errors] == [field]
    assert hooks.counts() == counts


def test_a_push_records_its_commits_in_one_transaction(hooks: Harness) -> None:
    payload = {
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": "b" * 40,
        "created": False,
        "deleted": False,
        "forced": False,
        "repository": {
            "id": 1,
            "full_name": "acme/shop",
            "default_branch": "main",
            "pushed_at": 1795255200,
        },
        "commits": [
            {
                "id": "a" * 40,
                "message": "Add the cart\n\nLonger text",
                "timestamp": "2026-11-21T09:00:00Z",
                "author": {"name": "Ada", "email": "ada@example.com"},
            },
            {
                "id": "b" * 40,
                "message": "Fix the cart",
                "timestamp": "2026-11-21T09:30:00Z",
                "author": {"name": "Ada", "email": "ada@example.com"},
            },
        ],
        "head_commit": {
            "id": "b" * 40,
            "timestamp": "2026-11-21T09:30:00Z",
            "message": "Fix the cart",
        },
        "pusher": {"name": "ada"},
        "sender": {"login": "ada"},
    }
    resp = _github(hooks, "push", payload)
    assert resp.status_code == 200, resp.text
    assert resp.json()["changes"] == {"recorded": 2, "unchanged": 0}
    listed = hooks.call("erin", "GET", "/api/v1/delivery/changes", params={"source": "github-acme"})
    assert listed.status_code == 200, listed.text
    assert sorted(c["id"] for c in listed.json()["changes"]) == ["a" * 40, "b" * 40]
    other = dict(payload, ref="refs/heads/feature")
    counts = hooks.counts()
    ignored = _github(hooks, "push", other)
    assert ignored.status_code == 200
    assert ignored.json()["ignored"]
    assert hooks.counts() == counts


def test_gitlab_checks_its_token(hooks: Harness) -> None:
    payload = {
        "object_kind": "deployment",
        "status": "success",
        "status_changed_at": "2026-11-21 10:05:00 +0100",
        "deployment_id": 15,
        "deployable_id": 796,
        "environment": "production",
        "project": {
            "id": 30,
            "name": "shop",
            "path_with_namespace": "acme/shop",
            "default_branch": "main",
        },
        "short_sha": "a1b2c3d4",
        "sha": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        "ref": "main",
    }
    counts = hooks.counts()
    bad = hooks.client.post(
        f"{HOOK}/gitlab-acme",
        json=payload,
        headers={"x-gitlab-event": "Deployment Hook", "x-gitlab-token": "wrong"},
    )
    assert bad.status_code == 401
    assert hooks.counts() == counts
    good = hooks.client.post(
        f"{HOOK}/gitlab-acme",
        json=payload,
        headers={"x-gitlab-event": "Deployment Hook", "x-gitlab-token": SECRET},
    )
    assert good.status_code == 200, good.text
    assert good.json()["deployments"] == {"recorded": 1, "unchanged": 0}
    assert _stored(hooks, "acme/shop/deployments/15", "gitlab-acme").json()["service"] == "shop"


def test_azure_devops_checks_basic_authentication(hooks: Harness) -> None:
    payload = {
        "subscriptionId": "x",
        "notificationId": 1,
        "id": "y",
        "eventType": "unknown.event",
        "resource": {},
    }
    counts = hooks.counts()
    for user, password in (("sluice", "wrong"), ("other", SECRET)):
        auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        resp = hooks.client.post(f"{HOOK}/ado-acme", json=payload, headers={"authorization": auth})
        assert resp.status_code == 401, (user, resp.text)
    auth = "Basic " + base64.b64encode(f"sluice:{SECRET}".encode()).decode()
    resp = hooks.client.post(f"{HOOK}/ado-acme", json=payload, headers={"authorization": auth})
    assert resp.status_code == 200, resp.text
    assert resp.json()["ignored"]
    assert hooks.counts() == counts


def test_a_bad_sources_file_refuses_every_webhook_with_503(hooks: Harness) -> None:
    hooks.container.settings.sources_file.chmod(0o644)
    counts = hooks.counts()
    resp = _github(hooks, "deployment_status", _status_payload("success"))
    assert resp.status_code == 503, resp.text
    assert SECRET not in resp.text
    assert hooks.counts() == counts


def test_no_sources_file_means_every_webhook_is_refused(harness: Harness) -> None:
    resp = _github(harness, "ping", {"zen": "x"})
    assert resp.status_code == 401


def test_sources_and_tokens_are_rate_limited(hooks: Harness) -> None:
    hooks.client.app.state.ingest_limiter = RateLimiter(rate=0.001, burst=2)  # type: ignore[attr-defined]
    for _ in range(2):
        assert _github(hooks, "ping", {"zen": "x"}).status_code == 200
    limited = _github(hooks, "ping", {"zen": "x"})
    assert limited.status_code == 429, limited.text
    assert limited.json()["code"] == "rate-limited"
    assert int(limited.headers["retry-after"]) >= 1
    # an unsigned flood does not spend the source's budget: it is refused before the limiter
    hooks.client.app.state.ingest_limiter = RateLimiter(rate=0.001, burst=1)  # type: ignore[attr-defined]
    for _ in range(3):
        assert (
            _github(hooks, "ping", {"zen": "x"}, secret="not-the-secret-at-all").status_code == 401
        )
    assert _github(hooks, "ping", {"zen": "x"}).status_code == 200
    # the API's delivery writes: per token
    body = {
        "id": "d-1",
        "source": "ci",
        "service": "checkout",
        "environment": "production",
        "status": "success",
        "started_at": "2026-11-21T10:00:00Z",
        "finished_at": "2026-11-21T10:05:00Z",
        "revisions": [{"repo": "shop/checkout", "sha": "a1b2c3d4e5f6"}],
    }
    assert hooks.call("alice", "POST", "/api/v1/delivery/deployments", json=body).status_code == 201
    counts = hooks.counts()
    again = hooks.call("alice", "POST", "/api/v1/delivery/deployments", json=dict(body, id="d-2"))
    assert again.status_code == 429, again.text
    assert hooks.counts() == counts
    assert (
        hooks.call(
            "zoe", "POST", "/api/v1/delivery/deployments", json=dict(body, id="d-3")
        ).status_code
        == 201
    )


# every recorded fixture, through the HTTP route, in any order

REPLAY_SOURCES = f"""
sources:
  gh:
    kind: github
    secret: {SECRET}
    environments: {{prod: production}}
    deploy_workflows: [Deploy]
  gl:
    kind: gitlab
    secret: {SECRET}
    environments: {{production: production}}
    deploy_workflows: [deploy-production]
  ado:
    kind: azure-devops
    secret: {SECRET}
    environments: {{Production: production}}
    deploy_workflows: [catalog-service-deploy]
"""
_GITLAB_EVENTS = {
    "deployment": "Deployment Hook",
    "merge_request": "Merge Request Hook",
    "pipeline": "Pipeline Hook",
    "push": "Push Hook",
}
_GITHUB_EVENTS = (
    "deployment_status",
    "pull_request_review",
    "pull_request",
    "workflow_run",
    "push",
    "ping",
)


def _deliveries() -> list[tuple[str, dict[str, str], bytes]]:
    """(source, headers, body) of every fixture, signed as its provider signs."""
    out: list[tuple[str, dict[str, str], bytes]] = []
    for path in sorted(FIXTURES.glob("*/*.json")):
        body = path.read_bytes()
        headers = {"content-type": "application/json"}
        if path.parent.name == "github":
            event = next(e for e in _GITHUB_EVENTS if path.stem.startswith(e))
            sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            headers |= {"x-github-event": event, "x-hub-signature-256": sig}
            out.append(("gh", headers, body))
        elif path.parent.name == "gitlab":
            kind = json.loads(body)["object_kind"]
            headers |= {"x-gitlab-event": _GITLAB_EVENTS[kind], "x-gitlab-token": SECRET}
            out.append(("gl", headers, body))
        else:
            auth = base64.b64encode(f"hook:{SECRET}".encode()).decode()
            headers |= {"authorization": f"Basic {auth}"}
            out.append(("ado", headers, body))
    return out


def _deliver_all(h: Harness, order: list[int]) -> list[dict[str, Any]]:
    deliveries = _deliveries()
    answers = []
    for i in order:
        source, headers, body = deliveries[i]
        resp = h.client.post(f"{HOOK}/{source}", content=body, headers=headers)
        assert resp.status_code == 200, (i, resp.text)
        answers.append(resp.json())
    return answers


def _facts(h: Harness) -> dict[str, Any]:
    """What the store says, without what depends on arrival (revision numbers, times)."""
    facts: dict[str, Any] = {}
    for kind in ("deployments", "changes"):
        resp = h.call("erin", "GET", f"/api/v1/delivery/{kind}", params={"limit": 1000})
        assert resp.status_code == 200, resp.text
        rows = [
            {k: v for k, v in row.items() if k not in ("revision", "recorded_at")}
            for row in resp.json()[kind]
        ]
        facts[kind] = sorted(rows, key=lambda r: (r["source"], r["id"]))
    metrics = h.call(
        "erin",
        "GET",
        "/api/v1/delivery/metrics",
        params={"from": "2025-01-01T00:00:00Z", "to": "2026-06-01T00:00:00Z"},
    )
    assert metrics.status_code == 200, metrics.text
    facts["metrics"] = metrics.json()
    return facts


def _with_sources(h: Harness, text: str) -> Harness:
    path = h.container.settings.sources_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return h


def test_every_recorded_payload_is_accepted_and_redelivery_changes_nothing(
    harness: Harness,
) -> None:
    h = _with_sources(harness, REPLAY_SOURCES)
    n = len(_deliveries())
    answers = _deliver_all(h, list(range(n)))
    stored = sum(a[k]["recorded"] for a in answers for k in ("deployments", "changes"))
    ignored = [a for a in answers if a["ignored"]]
    assert stored >= 10, answers
    assert ignored, "the ping and the unmerged pull request are ignored"
    facts = _facts(h)
    assert {d["source"] for d in facts["deployments"]} == {"gh", "gl", "ado"}
    assert {c["source"] for c in facts["changes"]} == {"gh", "gl", "ado"}
    assert all(d["recorded_by"].startswith("source:") for d in facts["deployments"])
    counts = h.counts()
    again = _deliver_all(h, list(range(n)))
    assert all(a[k]["recorded"] == 0 for a in again for k in ("deployments", "changes"))
    assert h.counts() == counts
    assert _facts(h) == facts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_order_of_deliveries_changes_no_figure(tmp_path: Path, seed: int) -> None:
    import random

    from tests.support.app import make_harness

    n = len(_deliveries())
    results = []
    for i, order in enumerate([list(range(n)), random.Random(seed).sample(range(n), n)]):
        home = tmp_path / f"h{i}"
        h = make_harness(home / "home", f"sqlite:///{home / 'db.sqlite'}")
        try:
            _with_sources(h, REPLAY_SOURCES)
            _deliver_all(h, order)
            results.append(_facts(h))
        finally:
            h.close()
    assert results[0] == results[1]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _mutate(doc: Any, data: st.DataObject) -> Any:
    """``doc`` with one value somewhere inside it replaced by arbitrary JSON, or dropped."""
    if not isinstance(doc, (dict, list)) or not doc or data.draw(st.integers(0, 4)) == 0:
        return data.draw(_JSON)
    keys = list(doc) if isinstance(doc, dict) else list(range(len(doc)))
    key = data.draw(st.sampled_from(keys))
    out = dict(doc) if isinstance(doc, dict) else list(doc)
    if isinstance(out, dict) and data.draw(st.booleans()):
        del out[key]
        return out
    out[key] = _mutate(doc[key], data)
    return out


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_signed_body_however_odd_is_a_server_error(
    sqlite_harness: Harness, data: st.DataObject
) -> None:
    h = _with_sources(sqlite_harness, REPLAY_SOURCES)
    source, headers, body = data.draw(st.sampled_from(_deliveries()))
    raw = json.dumps(_mutate(json.loads(body), data)).encode()
    headers = dict(headers)
    if "x-hub-signature-256" in headers:
        headers["x-hub-signature-256"] = (
            "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        )
    counts = h.counts()
    resp = h.client.post(f"{HOOK}/{source}", content=raw, headers=headers)
    assert resp.status_code in (200, 400, 409, 422), resp.text
    if resp.status_code != 200:
        assert h.counts() == counts, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
