"""Just-in-time access over the real API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.support.app import EXAMPLE_PROPOSAL, Harness

from sluicegate.bootstrap import Settings
from sluicegate.domain.errors import InvalidInput
from sluicegate.service.access import jit
from sluicegate.service.access.identity import authenticate
from sluicegate.service.context import RequestContext

EXP = "/api/v1/experiments/checkout-redesign"


def _at_stage(h: Harness, stage: str, key: str = "checkout-redesign") -> None:
    doc = EXAMPLE_PROPOSAL.replace("key: checkout-redesign", f"key: {key}")
    r = h.call(
        "alice", "POST", "/api/v1/experiments", content=doc, headers={"content-type": "text/yaml"}
    )
    assert r.status_code == 201, r.text
    path = f"/api/v1/experiments/{key}"
    for domain in ("product", "operations"):
        assert h.call("carol", "POST", f"{path}/approvals", json={"domain": domain}).is_success
    for state in ("approved", "sandbox", "staging", "canary", "rollout"):
        if h.call("erin", "GET", path).json()["state"] == stage:
            return
        r = h.call("alice", "POST", f"{path}/transitions", json={"to": state})
        assert r.status_code == 200, r.text


def _request(
    h: Harness,
    who: str,
    role: str,
    stage: str,
    duration: Any = "2h",
    key: str = "checkout-redesign",
) -> Any:
    return h.call(
        who,
        "POST",
        "/api/v1/jit/requests",
        json={
            "experiment": key,
            "stage": stage,
            "role": role,
            "duration": duration,
            "reason": "on-call triage",
        },
    )


def _granted(h: Harness, who: str, role: str, stage: str, approver: str = "bob") -> str:
    r = _request(h, who, role, stage)
    assert r.status_code == 201, r.text
    req_id: str = r.json()["id"]
    r = h.call(approver, "POST", f"/api/v1/jit/requests/{req_id}/approve", json={})
    assert r.status_code == 200, r.text
    return req_id


def _grant(h: Harness, grant_id: str) -> dict[str, Any]:
    items = h.call("admin", "GET", "/api/v1/jit/requests").json()["items"]
    found: dict[str, Any] = next(i for i in items if i["id"] == grant_id)
    return found


def _audit(h: Harness, grant_id: str) -> list[tuple[str, str]]:
    items = h.call(
        "admin", "GET", "/api/v1/audit", params={"entity_type": "jit-grant", "entity_id": grant_id}
    ).json()["items"]
    return [(e["action"], e["actor"]) for e in items]


def test_grant_elevates_on_its_stage_and_ends_when_the_experiment_leaves_it(
    harness: Harness,
) -> None:
    h = harness
    hook = h.call(
        "admin",
        "POST",
        "/api/v1/webhooks",
        json={"name": "jit", "url": "http://127.0.0.1:9/h", "events": ["jit.*"]},
    )
    assert hook.status_code == 201
    _at_stage(h, "sandbox")
    # Erin is a viewer: she may not move the experiment.
    r = h.call("erin", "POST", f"{EXP}/transitions", json={"to": "staging"})
    assert r.status_code == 403
    r = _request(h, "erin", "contributor", "sandbox")
    assert r.status_code == 201, r.text
    req = r.json()
    assert (req["state"], req["role"], req["duration"]) == ("pending", "contributor", "2h")
    # Pending is not granted.
    assert h.call("erin", "POST", f"{EXP}/transitions", json={"to": "staging"}).status_code == 403
    r = h.call("bob", "POST", f"/api/v1/jit/requests/{req['id']}/approve", json={"comment": "ok"})
    assert r.status_code == 200, r.text
    granted = r.json()
    assert granted["state"] == "active"
    assert granted["decided_by"] == "bob"
    assert granted["expires_at"] == (h.clock.now() + timedelta(hours=2)).isoformat()
    # Elevation is scoped: the base role still applies everywhere else.
    assert h.call("erin", "POST", "/api/v1/experiments", content="{}").status_code == 403
    r = h.call("erin", "POST", f"{EXP}/transitions", json={"to": "staging"})
    assert r.status_code == 200, r.text
    # Leaving the granted stage ended the grant in the same transaction.
    ended = _grant(h, req["id"])
    assert ended["state"] == "revoked"
    assert ended["end_reason"] == "the experiment left sandbox (now staging)"
    assert h.call("erin", "POST", f"{EXP}/transitions", json={"to": "canary"}).status_code == 403
    assert _audit(h, req["id"]) == [
        ("jit.request", "user:erin"),
        ("jit.approve", "user:bob"),
        ("jit.use", "user:erin"),
        ("jit.revoke", "user:erin"),
    ]
    transitions = h.call(
        "admin", "GET", "/api/v1/audit", params={"entity_id": "checkout-redesign"}
    ).json()["items"]
    assert transitions[-1]["actor"] == "user:erin"
    events = h.call("admin", "GET", "/api/v1/webhooks/deliveries").json()["items"]
    # (Queued at the same instant of the test clock, so compared without their order.)
    by_type = {e["event_type"]: e for e in events}
    # every audited change is notified, the use of the grant too (jit.use -> jit.used)
    assert sorted(by_type) == ["jit.granted", "jit.requested", "jit.revoked", "jit.used"]
    assert len(events) == 4
    assert by_type["jit.granted"]["data"]["decided_by"] == "bob"


def test_contributor_grant_counts_as_owner_team_membership(harness: Harness) -> None:
    h = harness
    _at_stage(h, "staging")
    # Zoe is a contributor in another team.
    assert h.call("zoe", "POST", f"{EXP}/transitions", json={"to": "canary"}).status_code == 403
    r = _request(h, "zoe", "contributor", "staging")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "role"
    grant_id = _granted(h, "zoe", "reviewer", "staging")
    r = h.call("zoe", "PATCH", EXP, json={"title": "Checkout, reviewed"})
    assert r.status_code == 200, r.text
    assert _audit(h, grant_id)[-1] == ("jit.use", "user:zoe")


def test_a_longer_duration_than_allowed_is_refused_precisely_and_stores_nothing(
    harness: Harness,
) -> None:
    h = harness
    _at_stage(h, "proposed")
    before = h.counts()
    for duration in ("8h1m", "1d", 9 * 3600):
        r = _request(h, "erin", "contributor", "proposed", duration=duration)
        assert r.status_code == 422, r.text
        (error,) = r.json()["errors"]
        assert error["field"] == "duration"
        assert "longer than the allowed maximum 8h" in error["reason"]
    for duration in ("forever", 0, "-1h"):
        r = _request(h, "erin", "contributor", "proposed", duration=duration)
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["duration"]
    assert h.counts() == before
    assert _request(h, "erin", "contributor", "proposed", duration="8h").status_code == 201


def test_the_maximum_is_configurable(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    assert Settings.from_env({"SLUICE_JIT_MAX_HOURS": "1.5"}).jit_max_hours == 1.5
    assert Settings.from_env({}).jit_max_hours == 8
    _at_stage(h, "proposed")
    ctx = RequestContext(authenticate(h.container.deps, h.tokens["erin"]))
    with pytest.raises(InvalidInput) as info:
        jit.request_access(
            h.container.deps,
            ctx,
            experiment="checkout-redesign",
            stage="proposed",
            role="contributor",
            duration="2h",
            reason="x",
            max_duration=timedelta(minutes=90),
        )
    assert info.value.errors[0].field == "duration"
    assert "1h30m" in info.value.errors[0].reason


def test_who_may_approve_deny_and_revoke(harness: Harness) -> None:
    h = harness
    _at_stage(h, "proposed")
    admin_req = _request(h, "carol", "admin", "proposed").json()
    # Never the requester; admin elevation needs an admin.
    r = h.call("carol", "POST", f"/api/v1/jit/requests/{admin_req['id']}/approve", json={})
    assert r.status_code == 403
    assert "cannot approve" in r.json()["detail"]
    r = h.call("dave", "POST", f"/api/v1/jit/requests/{admin_req['id']}/approve", json={})
    assert r.status_code == 403
    assert "needs an approver with role admin" in r.json()["detail"]
    r = h.call("alice", "POST", f"/api/v1/jit/requests/{admin_req['id']}/deny", json={})
    assert r.status_code == 403
    r = h.call("admin", "POST", f"/api/v1/jit/requests/{admin_req['id']}/deny", json={})
    assert r.json()["state"] == "denied"
    r = h.call("admin", "POST", f"/api/v1/jit/requests/{admin_req['id']}/approve", json={})
    assert r.status_code == 409
    # A duplicate open request is a conflict.
    grant_id = _granted(h, "erin", "contributor", "proposed")
    assert _request(h, "erin", "reviewer", "proposed").status_code == 409
    # Someone who could not have approved it may not revoke it; the holder and reviewers may.
    r = h.call("zoe", "POST", f"/api/v1/jit/grants/{grant_id}/revoke", json={})
    assert r.status_code == 403
    r = h.call("erin", "POST", f"/api/v1/jit/grants/{grant_id}/revoke", json={"reason": "done"})
    assert (r.json()["state"], r.json()["end_reason"]) == ("revoked", "done")
    r = h.call("bob", "POST", f"/api/v1/jit/grants/{grant_id}/revoke", json={})
    assert r.status_code == 409
    # Stage must be the experiment's current stage.
    r = _request(h, "erin", "contributor", "canary")
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "stage")
    r = _request(h, "erin", "contributor", "rolled-back")
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "stage")


def test_grant_expires_at_use_time_and_the_job_records_it(harness: Harness) -> None:
    h = harness
    _at_stage(h, "sandbox")
    grant_id = _granted(h, "erin", "contributor", "sandbox")
    h.clock.advance(hours=2)
    r = h.call("erin", "POST", f"{EXP}/transitions", json={"to": "staging"})
    assert r.status_code == 403
    assert _grant(h, grant_id)["state"] == "active"  # not yet marked, but no longer effective
    assert jit.expire_due(h.container.deps) == [grant_id]
    assert jit.expire_due(h.container.deps) == []
    assert _grant(h, grant_id)["state"] == "expired"
    assert _audit(h, grant_id)[-1] == ("jit.expire", "system:jit-expiry")


def test_rollback_revokes_grants_and_the_job_catches_other_exits(harness: Harness) -> None:
    h = harness
    _at_stage(h, "canary")
    _at_stage(h, "canary", key="other")
    rolled = _granted(h, "erin", "contributor", "canary")
    waiting = _request(h, "zoe", "reviewer", "canary").json()["id"]
    r = h.call(
        "alice", "POST", f"{EXP}/transitions", json={"to": "rolled-back", "reason": "errors up"}
    )
    assert r.status_code == 200, r.text
    assert _grant(h, rolled)["state"] == "revoked"
    assert _audit(h, rolled)[-1] == ("jit.revoke", "user:alice")
    # A pending request for the stage it left can never apply: it is closed as denied.
    closed = _grant(h, waiting)
    assert (closed["state"], closed["decided_by"]) == ("denied", "system")
    assert closed["decision_comment"] == "the experiment left canary (now rolled-back)"
    assert _audit(h, waiting)[-1] == ("jit.deny", "user:alice")
    # The time-box job moves experiments through the same one writer, so it ends the grants of
    # the stage it left itself; the grant job finds nothing left to sweep up.
    r = _request(h, "erin", "contributor", "canary", key="other")
    other = r.json()["id"]
    h.call("bob", "POST", f"/api/v1/jit/requests/{other}/approve", json={})
    from sluicegate.service.experiments import expire_due as expire_experiments

    h.clock.advance(days=365 * 2)
    assert "other" in expire_experiments(h.container.deps)
    h.clock.moment -= timedelta(days=365 * 2)
    assert _grant(h, other)["state"] == "revoked"
    assert _grant(h, other)["end_reason"] == "the experiment left canary (now expired)"
    assert _audit(h, other)[-1] == ("jit.revoke", "system:expiry")
    assert jit.expire_due(h.container.deps) == []


def test_listing_shows_own_requests_unless_reviewer(harness: Harness) -> None:
    h = harness
    _at_stage(h, "proposed")
    mine = _request(h, "erin", "contributor", "proposed").json()["id"]
    h.clock.advance(seconds=1)
    zoes = _request(h, "zoe", "reviewer", "proposed").json()["id"]
    assert [i["id"] for i in h.call("erin", "GET", "/api/v1/jit/requests").json()["items"]] == [
        mine
    ]
    everyone = h.call("bob", "GET", "/api/v1/jit/requests", params={"state": "pending"})
    assert [i["id"] for i in everyone.json()["items"]] == [mine, zoes]
    r = h.call("bob", "GET", "/api/v1/jit/requests", params={"state": "bogus"})
    assert r.status_code == 422


def test_a_token_scoped_below_its_user_is_not_elevated(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    _at_stage(h, "sandbox")
    _granted(h, "zoe", "reviewer", "sandbox")
    scoped = h.call("zoe", "POST", "/api/v1/tokens", json={"name": "ro", "role": "viewer"})
    headers = {"authorization": f"Bearer {scoped.json()['token']}"}
    r = h.client.post(f"{EXP}/transitions", json={"to": "staging"}, headers=headers)
    assert r.status_code == 403
    r = h.call("zoe", "POST", f"{EXP}/transitions", json={"to": "staging"})
    assert r.status_code == 200, r.text
