"""A uniqueness or state conflict says what it is; only a stale version says "fetch and retry".

Issue 12: a duplicate team, a duplicate sign-off, an already-revoked override and an existing
flag set all answered ``conflict`` with the optimistic-concurrency hint. Runs on SQLite and
PostgreSQL through the real API.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.integration.test_gates_api import (
    EXP,
    JUNIT_GREEN,
    apply,
    evidence,
    propose_and_reach_sandbox,
)
from tests.support.app import EXAMPLE_PROPOSAL, Harness

RETRY_HINT = "Fetch the current version and retry your change on top of it."


def _conflict(r: Any, code: str) -> dict[str, Any]:
    assert r.status_code == 409, r.text
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    assert body["hint"], body
    assert body["hint"] != RETRY_HINT, body
    return body


def test_duplicate_team_and_existing_flag_set_are_uniqueness_conflicts(harness: Harness) -> None:
    h = harness
    body = _conflict(
        h.call("admin", "POST", "/api/v1/teams", json={"key": "payments", "name": "P"}),
        "already-exists",
    )
    assert "sluice team list" in body["hint"]
    fs = {"name": "shop", "environment": "staging", "owner_team": "payments"}
    assert h.call("admin", "POST", "/api/v1/flag-sets", json=fs).status_code == 201
    before = h.counts()
    body = _conflict(h.call("admin", "POST", "/api/v1/flag-sets", json=fs), "already-exists")
    assert "sluice flags get" in body["hint"]
    assert h.counts() == before


def test_duplicate_sign_off_is_a_uniqueness_conflict(harness: Harness) -> None:
    h = harness
    proposed = h.call(
        "alice",
        "POST",
        "/api/v1/experiments",
        content=EXAMPLE_PROPOSAL.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert proposed.status_code == 201, proposed.text
    sign = {"domain": "product"}
    assert h.call("carol", "POST", f"{EXP}/approvals", json=sign).status_code == 201
    body = _conflict(h.call("carol", "POST", f"{EXP}/approvals", json=sign), "already-exists")
    assert "once" in body["hint"]


def test_already_revoked_override_is_a_state_conflict(harness: Harness) -> None:
    h = harness
    propose_and_reach_sandbox(h)
    assert apply(h).status_code == 201
    assert evidence(h, "junit", JUNIT_GREEN).status_code == 201
    soon = (h.clock.now() + timedelta(days=2)).isoformat()
    good = {"stage": "staging", "gate": "policies", "justification": "x", "expires_at": soon}
    created = h.call("bob", "POST", f"{EXP}/overrides", json=good)
    assert created.status_code == 201, created.text
    revoke = f"/api/v1/overrides/{created.json()['id']}/revoke"
    assert h.call("bob", "POST", revoke, json={"reason": "done"}).status_code == 200
    body = _conflict(h.call("bob", "POST", revoke, json={"reason": "again"}), "state-conflict")
    assert "already revoked" in body["detail"]


def test_a_stale_version_keeps_the_retry_hint(harness: Harness) -> None:
    h = harness
    proposed = h.call(
        "alice",
        "POST",
        "/api/v1/experiments",
        content=EXAMPLE_PROPOSAL.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert proposed.status_code == 201
    r = h.call(
        "carol", "POST", f"{EXP}/transitions", json={"to": "rejected", "expected_version": 9}
    )
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "conflict"
    assert r.json()["hint"] == RETRY_HINT
