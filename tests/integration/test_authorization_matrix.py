"""Every endpoint x every role: authentication is required and authorisation matches the matrix."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.support.app import EXAMPLE_PROPOSAL, Harness

from sluicegate.domain.identity import PERMISSIONS, Action, Role, role_allows

ROLE_USER = {
    Role.VIEWER: "erin",
    Role.CONTRIBUTOR: "alice",
    Role.REVIEWER: "bob",
    Role.ADMIN: "admin",
}

# (action, method, path, request kwargs). Bodies are valid, so only authorisation can refuse.
ENDPOINTS: list[tuple[Action, str, str, dict[str, Any]]] = [
    (Action.TEAM_READ, "GET", "/api/v1/teams", {}),
    (Action.TEAM_WRITE, "POST", "/api/v1/teams", {"json": {"key": "newteam", "name": "N"}}),
    (Action.USER_READ, "GET", "/api/v1/users", {}),
    (
        Action.USER_WRITE,
        "POST",
        "/api/v1/users",
        {"json": {"username": "newbie", "display_name": "N", "role": "viewer"}},
    ),
    (
        Action.TOKEN_CREATE_OWN,
        "POST",
        "/api/v1/tokens",
        {"json": {"name": "mine", "role": "viewer"}},
    ),
    (Action.TOKEN_CREATE_OWN, "GET", "/api/v1/tokens", {}),
    (
        Action.TOKEN_MANAGE,
        "POST",
        "/api/v1/tokens",
        {"json": {"name": "x", "username": "dave", "role": "viewer"}},
    ),
    (Action.TOKEN_MANAGE, "GET", "/api/v1/tokens", {"params": {"username": "dave"}}),
    (Action.EXPERIMENT_READ, "GET", "/api/v1/experiments", {}),
    (Action.EXPERIMENT_READ, "GET", "/api/v1/experiments/seeded", {}),
    (
        Action.EXPERIMENT_PROPOSE,
        "POST",
        "/api/v1/experiments",
        {
            "content": EXAMPLE_PROPOSAL.replace("owner_team: payments", "owner_team: payments"),
            "headers": {"content-type": "application/yaml"},
        },
    ),
    (Action.EXPERIMENT_UPDATE, "PATCH", "/api/v1/experiments/seeded", {"json": {"title": "T2"}}),
    (
        Action.EXPERIMENT_APPROVE,
        "POST",
        "/api/v1/experiments/seeded/approvals",
        {"json": {"domain": "security"}},
    ),
    (
        Action.EXPERIMENT_TRANSITION,
        "POST",
        "/api/v1/experiments/seeded/transitions",
        {"json": {"to": "expired"}},
    ),
    (
        Action.EXPERIMENT_REJECT,
        "POST",
        "/api/v1/experiments/seeded/transitions",
        {"json": {"to": "rejected", "reason": "no"}},
    ),
    (Action.AUDIT_READ, "GET", "/api/v1/audit", {}),
    (Action.AUDIT_READ, "GET", "/api/v1/audit/export", {}),
    (Action.AUDIT_READ, "GET", "/api/v1/audit/checkpoints", {}),
    (Action.AUDIT_READ, "GET", "/api/v1/audit/public-keys", {}),
    (Action.AUDIT_READ, "POST", "/api/v1/audit/verify", {}),
    (Action.AUDIT_CHECKPOINT, "POST", "/api/v1/audit/checkpoints", {}),
    (Action.RISK_MATRIX_READ, "GET", "/api/v1/risk-matrix", {}),
    (
        Action.RISK_MATRIX_READ,
        "POST",
        "/api/v1/risk-matrix/assess",
        {
            "json": {
                "data_classification": "public",
                "user_impact": "none",
                "system_criticality": "low",
            }
        },
    ),
    (Action.RISK_MATRIX_WRITE, "PUT", "/api/v1/risk-matrix", {"json": "SEED_MATRIX"}),
    (Action.SETTINGS_WRITE, "PUT", "/api/v1/settings/priority-weights", {"json": {"value": 1}}),
]


def test_matrix_covers_every_action() -> None:
    assert {a for a, *_ in ENDPOINTS} == set(PERMISSIONS)


def _seed(h: Harness) -> None:
    doc = EXAMPLE_PROPOSAL.replace("key: checkout-redesign", "key: seeded")
    r = h.call(
        "carol",
        "POST",
        "/api/v1/experiments",
        content=doc,
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    ("action", "method", "path", "kwargs"),
    ENDPOINTS,
    ids=[f"{m} {p} {a}" for a, m, p, _ in ENDPOINTS],
)
def test_role_action_matrix(
    sqlite_harness: Harness,
    role: Role,
    action: Action,
    method: str,
    path: str,
    kwargs: dict[str, Any],
) -> None:
    h = sqlite_harness
    _seed(h)
    if kwargs.get("json") == "SEED_MATRIX":
        kwargs = {"json": h.call("erin", "GET", "/api/v1/risk-matrix").json()["matrix"]}
    r = h.call(ROLE_USER[role], method, path, **kwargs)
    allowed = role_allows(role, action)
    if allowed:
        assert r.status_code < 400 or r.json()["code"] not in {"forbidden", "unauthenticated"}, (
            r.text
        )
    else:
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "forbidden"


@pytest.mark.parametrize(("action", "method", "path", "kwargs"), ENDPOINTS)
def test_every_endpoint_needs_a_token(
    sqlite_harness: Harness, action: Action, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    del action
    kwargs = {k: v for k, v in kwargs.items() if v != "SEED_MATRIX"}
    for headers in (
        {},
        {"authorization": "Bearer sg_not-a-real-token"},
        {"authorization": "Basic abc"},
    ):
        r = sqlite_harness.client.request(
            method, path, headers={**kwargs.pop("headers", {}), **headers}, **kwargs
        )
        assert r.status_code == 401, (headers, r.text)
        assert r.headers["www-authenticate"] == "Bearer"


def test_health_needs_no_token(sqlite_harness: Harness) -> None:
    r = sqlite_harness.client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["database"] == "ok"
    assert sqlite_harness.client.get("/api/v1/openapi.json").status_code == 200


def test_tokens_are_hashed_expire_and_revoke(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    issued = h.call(
        "alice", "POST", "/api/v1/tokens", json={"name": "ci", "expires_in_days": 1}
    ).json()
    secret = issued["token"]
    auth = {"authorization": f"Bearer {secret}"}
    assert h.client.get("/api/v1/me", headers=auth).json()["role"] == "contributor"
    from sqlalchemy import text

    with h.container.engine.connect() as conn:
        stored = [r[0] for r in conn.execute(text("SELECT token_hash FROM api_tokens"))]
    assert secret not in stored
    assert all(len(s) == 64 for s in stored)
    # A contributor cannot mint a token above their own role.
    r = h.call("alice", "POST", "/api/v1/tokens", json={"name": "x", "role": "admin"})
    assert r.status_code == 403
    h.clock.advance(days=1, seconds=1)
    assert h.client.get("/api/v1/me", headers=auth).status_code == 401
    h.clock.moment -= timedelta(days=1, seconds=1)
    assert (
        h.call(
            "alice", "POST", f"/api/v1/tokens/{issued['id']}/revoke", json={"reason": "leak"}
        ).status_code
        == 200
    )
    r = h.client.get("/api/v1/me", headers=auth)
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]
    events = h.call(
        "bob", "GET", "/api/v1/audit", params={"entity_type": "token", "entity_id": issued["id"]}
    ).json()
    assert [e["action"] for e in events["items"]] == ["token.issue", "token.revoke"]
    assert secret not in str(events)


def test_viewer_scoped_token_of_an_admin_acts_as_viewer(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    viewer = h.call(
        "admin", "POST", "/api/v1/tokens", json={"name": "ro", "role": "viewer"}
    ).json()["token"]
    r = h.client.post(
        "/api/v1/teams",
        json={"key": "zzz", "name": "Z"},
        headers={"authorization": f"Bearer {viewer}"},
    )
    assert r.status_code == 403
