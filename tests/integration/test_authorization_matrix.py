"""Every endpoint x every role: authentication is required and authorisation matches the matrix."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.support.app import EXAMPLE_PROPOSAL, Harness

from sluicegate.domain.access.identity import PERMISSIONS, Action, Role, role_allows

ROLE_USER = {
    Role.VIEWER: "erin",
    Role.CONTRIBUTOR: "alice",
    Role.REVIEWER: "bob",
    Role.ADMIN: "admin",
}

_PROCESS = (
    "apiVersion: sluicegate.dev/v1\nkind: Process\nmetadata: {name: matrix}\n"
    "stages: [{name: sandbox}]\n"
)

_SLO = (
    'version: "prometheus/v1"\nservice: matrix\nslos:\n  - name: availability\n'
    "    objective: 99.9\n    sli:\n      raw:\n"
    "        error_ratio_query: sum(rate(errors[{{.window}}]))\n"
    "    alerting:\n      name: MatrixBurn\n"
)

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
    (Action.TOKEN_OWN, "GET", "/api/v1/tokens", {}),
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
    (Action.SETTINGS_WRITE, "PUT", "/api/v1/settings/tokens", {"json": {"max_lifetime_days": 30}}),
    (Action.FLAG_READ, "GET", "/api/v1/flag-sets", {}),
    (Action.FLAG_READ, "GET", "/api/v1/flag-sets/shop/staging/revisions", {}),
    (Action.FLAG_READ, "GET", "/api/v1/sync/flag-sets/shop", {}),
    (Action.FLAG_READ, "GET", "/api/v1/sync/flag-sets/shop/events", {}),
    (
        Action.FLAG_WRITE,
        "POST",
        "/api/v1/flag-sets",
        {"json": {"name": "matrix", "environment": "staging", "owner_team": "payments"}},
    ),
    (Action.FLAG_WRITE, "PUT", "/api/v1/flag-sets/shop/staging/document", {"json": {"flags": {}}}),
    (Action.FLAG_WRITE, "POST", "/api/v1/flag-sets/shop/staging/rollback", {"json": {"to": 1}}),
    (
        Action.FLAG_APPROVE,
        "POST",
        "/api/v1/flag-sets/shop/production/change-requests/none/approve",
        {"json": {}},
    ),
    (
        Action.FLAG_POLICY,
        "PATCH",
        "/api/v1/flag-sets/shop/staging",
        {"json": {"policy": {"require_approval": True}}},
    ),
    (Action.FLAG_EVALUATE, "POST", "/ofrep/v1/evaluate/flags", {"json": {}}),
    (Action.FLAG_EVALUATE, "POST", "/ofrep/v1/evaluate/flags/some-flag", {"json": {}}),
    (Action.WEBHOOK_READ, "GET", "/api/v1/webhooks", {}),
    (Action.WEBHOOK_READ, "GET", "/api/v1/webhooks/none", {}),
    (Action.WEBHOOK_READ, "GET", "/api/v1/webhooks/deliveries", {}),
    (Action.WEBHOOK_READ, "GET", "/api/v1/webhooks/dead-letters", {}),
    (
        Action.WEBHOOK_MANAGE,
        "POST",
        "/api/v1/webhooks",
        {"json": {"name": "m", "url": "http://127.0.0.1:9/hook", "events": ["*"]}},
    ),
    (Action.WEBHOOK_MANAGE, "PATCH", "/api/v1/webhooks/none", {"json": {"active": False}}),
    (Action.WEBHOOK_MANAGE, "DELETE", "/api/v1/webhooks/none", {}),
    (Action.WEBHOOK_MANAGE, "POST", "/api/v1/webhooks/dead-letters/none/retry", {}),
    (
        Action.JIT_REQUEST,
        "POST",
        "/api/v1/jit/requests",
        {
            "json": {
                "experiment": "seeded",
                "stage": "proposed",
                "role": "admin",
                "duration": "1h",
                "reason": "matrix",
            }
        },
    ),
    (Action.JIT_REQUEST, "POST", "/api/v1/jit/grants/none/revoke", {"json": {}}),
    (Action.JIT_READ, "GET", "/api/v1/jit/requests", {}),
    (Action.JIT_DECIDE, "POST", "/api/v1/jit/requests/none/approve", {"json": {}}),
    (Action.JIT_DECIDE, "POST", "/api/v1/jit/requests/none/deny", {"json": {}}),
    (Action.PROCESS_READ, "GET", "/api/v1/processes/default", {}),
    (Action.PROCESS_READ, "GET", "/api/v1/processes/default/diff", {}),
    (Action.PROCESS_READ, "POST", "/api/v1/processes/validate", {"json": {"source": _PROCESS}}),
    (Action.PROCESS_APPLY, "PUT", "/api/v1/processes/matrix", {"json": {"source": _PROCESS}}),
    (Action.PROCESS_APPLY, "PUT", "/api/v1/process-selector", {"json": {"default": "default"}}),
    (
        Action.PROCESS_APPLY,
        "POST",
        "/api/v1/experiments/seeded/process",
        {"json": {"process": "default", "reason": "matrix"}},
    ),
    (Action.GATE_CHECK, "POST", "/api/v1/experiments/seeded/gates/staging/check", {"json": {}}),
    (Action.EXPERIMENT_READ, "GET", "/api/v1/decisions/none", {}),
    (Action.EXPERIMENT_READ, "GET", "/api/v1/experiments/seeded/evidence", {}),
    (Action.EXPERIMENT_READ, "GET", "/api/v1/experiments/seeded/overrides", {}),
    (
        Action.EVIDENCE_ADD,
        "POST",
        "/api/v1/experiments/seeded/evidence",
        {
            "params": {"kind": "junit"},
            "content": b'<testsuite name="m"><testcase name="a"/></testsuite>',
        },
    ),
    (
        Action.OVERRIDE_MANAGE,
        "POST",
        "/api/v1/experiments/seeded/overrides",
        {
            "json": {
                "stage": "staging",
                "gate": "policies",
                "justification": "matrix",
                "expires_at": "2026-11-22T12:00:00+00:00",
            }
        },
    ),
    (Action.OVERRIDE_MANAGE, "POST", "/api/v1/overrides/none/revoke", {"json": {"reason": "m"}}),
    (Action.SETTINGS_WRITE, "PUT", "/api/v1/gate-settings/review-board", {"json": {"value": None}}),
    (
        Action.METRICS_PUSH,
        "POST",
        "/api/v1/metrics",
        {
            "json": {
                "samples": [
                    {
                        "experiment": "seeded",
                        "metric": "latency",
                        "variant": "canary",
                        "value": 0.1,
                        "ts": "2026-11-21T11:59:00Z",
                    }
                ]
            }
        },
    ),
    (Action.METRICS_READ, "GET", "/api/v1/metrics", {"params": {"experiment": "seeded"}}),
    (Action.DELIVERY_READ, "GET", "/api/v1/delivery/deployments", {}),
    (Action.DELIVERY_READ, "GET", "/api/v1/delivery/incidents", {}),
    (Action.DELIVERY_READ, "GET", "/api/v1/delivery/changes", {}),
    (Action.DELIVERY_READ, "GET", "/api/v1/delivery/changes/none", {}),
    (Action.DELIVERY_READ, "GET", "/api/v1/delivery/metrics", {}),
    (Action.DELIVERY_READ, "GET", "/api/v1/delivery/metrics/cfr/explain", {}),
    (Action.DELIVERY_READ, "GET", "/api/v1/delivery/kpis", {}),
    (Action.DELIVERY_READ, "GET", "/api/v1/experiments/seeded/impact", {}),
    (
        Action.DELIVERY_WRITE,
        "POST",
        "/api/v1/delivery/changes",
        {
            "json": {
                "id": "a1b2c3d",
                "kind": "commit",
                "repo": "shop/checkout",
                "sha": "a1b2c3d",
                "authored_at": "2026-11-21T09:00:00Z",
            }
        },
    ),
    (
        Action.DELIVERY_WRITE,
        "POST",
        "/api/v1/delivery/deployments",
        {
            "json": {
                "id": "d-matrix",
                "service": "checkout",
                "environment": "production",
                "status": "success",
                "started_at": "2026-11-21T10:00:00Z",
                "finished_at": "2026-11-21T10:05:00Z",
                "revisions": [{"repo": "shop/checkout", "sha": "a1b2c3d"}],
            }
        },
    ),
    (
        Action.DELIVERY_WRITE,
        "POST",
        "/api/v1/delivery/incidents",
        {
            "json": {
                "id": "inc-matrix",
                "services": ["checkout"],
                "severity": "sev3",
                "created_at": "2026-11-21T11:00:00Z",
            }
        },
    ),
    (Action.SLO_READ, "GET", "/api/v1/slos", {}),
    (Action.SLO_READ, "GET", "/api/v1/slos/none/none", {}),
    (Action.SLO_READ, "GET", "/api/v1/slos/none/none/rules", {}),
    (
        Action.SLO_WRITE,
        "POST",
        "/api/v1/slos",
        {
            "content": _SLO,
            "headers": {"content-type": "application/yaml"},
            "params": {"dry_run": "true"},
        },
    ),
    (Action.ROLLOUT_READ, "GET", "/api/v1/rollouts", {}),
    (Action.ROLLOUT_READ, "GET", "/api/v1/rollouts/none", {}),
    (Action.ROLLOUT_READ, "GET", "/api/v1/rollouts/none/weights", {}),
    (Action.ROLLOUT_READ, "GET", "/api/v1/rollouts/breakers", {}),
    (Action.ROLLOUT_READ, "GET", "/api/v1/incidents", {}),
    (
        Action.ROLLOUT_WRITE,
        "POST",
        "/api/v1/rollouts",
        {
            "json": {
                "experiment": "seeded",
                "plan": {"target": {"kind": "deployment", "service": "checkout"}},
            }
        },
    ),
    (Action.ROLLOUT_OPERATE, "POST", "/api/v1/rollouts/none/start", {}),
    (Action.ROLLOUT_OPERATE, "POST", "/api/v1/rollouts/none/pause", {"json": {}}),
    (Action.ROLLOUT_OPERATE, "POST", "/api/v1/rollouts/none/resume", {}),
    (Action.ROLLOUT_OPERATE, "POST", "/api/v1/rollouts/none/abort", {"json": {"reason": "x"}}),
    (Action.ROLLOUT_PROMOTE, "POST", "/api/v1/rollouts/none/promote", {"json": {}}),
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


def test_a_token_minted_through_a_token_dies_with_it(sqlite_harness: Harness) -> None:
    """Issue 11 §2: token A creates B through the API; B expires with A and is revoked with A."""
    h = sqlite_harness
    a = h.call("alice", "POST", "/api/v1/tokens", json={"name": "a", "expires_in_days": 2}).json()
    as_a = {"authorization": f"Bearer {a['token']}"}
    b = h.client.post("/api/v1/tokens", json={"name": "b"}, headers=as_a).json()
    assert b["parent_id"] == a["id"]
    assert b["expires_at"] == a["expires_at"]  # no default lifetime past its parent
    r = h.client.post("/api/v1/tokens", json={"name": "c", "expires_in_days": 3}, headers=as_a)
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "expires_in_days"
    r = h.client.post("/api/v1/tokens", json={"name": "d", "role": "reviewer"}, headers=as_a)
    assert r.status_code == 403
    assert h.call("alice", "POST", f"/api/v1/tokens/{a['id']}/revoke", json={}).status_code == 200
    as_b = {"authorization": f"Bearer {b['token']}"}
    r = h.client.get("/api/v1/me", headers=as_b)
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]
    # Viewers do not issue their own tokens unless the token policy says so.
    assert h.call("erin", "POST", "/api/v1/tokens", json={"name": "e"}).status_code == 403
    assert h.call("erin", "GET", "/api/v1/tokens").status_code == 200
    r = h.call("admin", "PUT", "/api/v1/settings/tokens", json={"self_service_role": "viewer"})
    assert r.json() == {
        "max_lifetime_days": 90,
        "max_active_per_user": 20,
        "self_service_role": "viewer",
    }
    assert h.call("erin", "POST", "/api/v1/tokens", json={"name": "e"}).status_code == 201
    r = h.call("admin", "PUT", "/api/v1/settings/tokens", json={"max_lifetime_days": 366})
    assert r.status_code == 422
    # A JSON boolean is not a count (schemathesis ST201: `true` was taken as 1).
    r = h.call("admin", "PUT", "/api/v1/settings/tokens", json={"max_active_per_user": True})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "max_active_per_user"
    # ...while 30.0 is an integer to JSON Schema, so it is one here too.
    r = h.call("admin", "PUT", "/api/v1/settings/tokens", json={"max_lifetime_days": 30.0})
    assert r.status_code == 200, r.text
    assert r.json()["max_lifetime_days"] == 30
    spec = h.call("erin", "GET", "/api/v1/openapi.json").json()["components"]["schemas"]
    bounds = spec["TokenPolicyIn"]["properties"]["max_active_per_user"]
    assert (bounds["minimum"], bounds["maximum"]) == (1, 1000)  # the bounds stay in the schema
