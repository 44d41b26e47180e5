"""Intake, risk, approvals and lifecycle over the real API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from tests.support.app import EXAMPLE_PROPOSAL, Harness

from sluicegate.service import audit as audit_svc

YAML = {"content-type": "application/yaml"}


def propose(h: Harness, who: str = "alice", doc: str = EXAMPLE_PROPOSAL, **kw: Any) -> Any:
    return h.call(who, "POST", "/api/v1/experiments", content=doc.encode(), headers=YAML, **kw)


def test_example_proposal_is_accepted_as_yaml_and_as_json(harness: Harness) -> None:
    r = propose(harness)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "proposed"
    assert body["version"] == 1
    assert body["risk"]["level"] == "medium"
    assert body["risk"]["decided_by"] == "band:medium"
    assert body["missing_signoffs"] == ["product", "operations"]
    assert body["proposal"]["rollback_plan"]["expected_minutes"] == 5

    as_json = yaml.safe_load(EXAMPLE_PROPOSAL) | {"key": "checkout-redesign-json"}
    r2 = harness.call(
        "alice",
        "POST",
        "/api/v1/experiments",
        content=json.dumps(as_json),
        headers={"content-type": "application/json"},
    )
    assert r2.status_code == 201, r2.text
    assert r2.json()["risk"] == body["risk"]


def test_full_lifecycle_with_signoffs_and_audit(harness: Harness) -> None:
    assert propose(harness).status_code == 201
    path = "/api/v1/experiments/checkout-redesign"
    # Not approvable until every required domain signed off.
    r = harness.call("alice", "POST", f"{path}/transitions", json={"to": "approved"})
    assert r.status_code == 409
    assert r.json()["code"] == "approvals-missing"
    assert r.json()["missing"] == ["product", "operations"]
    for domain in ("product", "operations"):
        r = harness.call("carol", "POST", f"{path}/approvals", json={"domain": domain})
        assert r.status_code == 201, r.text
    for state in ("approved", "sandbox", "staging", "canary", "rollout", "general-availability"):
        r = harness.call("alice", "POST", f"{path}/transitions", json={"to": state})
        assert r.status_code == 200, r.text
        assert r.json()["state"] == state
    final = harness.call("erin", "GET", path).json()
    assert final["version"] == 7
    assert final["allowed_transitions"] == ["retired"]
    events = harness.call("bob", "GET", "/api/v1/audit", params={"entity_id": "checkout-redesign"})
    actions = [e["action"] for e in events.json()["items"]]
    assert (
        actions
        == ["experiment.create"] + ["experiment.approve"] * 2 + ["experiment.transition"] * 6
    )
    report = audit_svc.verify(harness.container.deps, harness.container.verifier())
    assert report.ok, report.problem


def test_reviewer_without_domain_cannot_sign_and_proposer_never_approves(harness: Harness) -> None:
    propose(
        harness,
        who="carol",
        doc=EXAMPLE_PROPOSAL.replace("owner_team: payments", "owner_team: payments"),
    )
    path = "/api/v1/experiments/checkout-redesign/approvals"
    before = harness.counts()
    r = harness.call("carol", "POST", path, json={"domain": "product"})
    assert r.status_code == 403
    assert r.json()["code"] == "self-approval"
    r = harness.call("bob", "POST", path, json={"domain": "operations"})
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    assert harness.counts() == before


def test_invalid_transition_names_allowed_ones_and_changes_nothing(harness: Harness) -> None:
    propose(harness)
    before = harness.counts()
    r = harness.call(
        "alice", "POST", "/api/v1/experiments/checkout-redesign/transitions", json={"to": "canary"}
    )
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "invalid-transition"
    assert body["allowed"] == ["approved", "rejected", "expired"]
    assert r.headers["content-type"] == "application/problem+json"
    assert harness.counts() == before


def test_stale_version_is_a_conflict(harness: Harness) -> None:
    propose(harness)
    r = harness.call(
        "bob",
        "POST",
        "/api/v1/experiments/checkout-redesign/transitions",
        json={"to": "rejected", "reason": "no"},
        headers={"if-match": '"3"'},
    )
    assert r.status_code == 409
    assert r.json()["code"] == "conflict"


def test_queue_is_ranked_by_weighted_score_and_weights_are_configurable(harness: Harness) -> None:
    low_value = EXAMPLE_PROPOSAL.replace("key: checkout-redesign", "key: low-value") + (
        "priority: {value: 1, strategic_fit: 1, cost: 1, time_to_learn: 1}\n"
    )
    high_value = EXAMPLE_PROPOSAL.replace("key: checkout-redesign", "key: high-value") + (
        "priority: {value: 5, strategic_fit: 5, cost: 5, time_to_learn: 5}\n"
    )
    assert propose(harness, doc=low_value).status_code == 201
    assert propose(harness, doc=high_value).status_code == 201
    keys = [e["key"] for e in harness.call("erin", "GET", "/api/v1/experiments").json()["items"]]
    assert keys == ["high-value", "low-value"]
    weights = {"value": 0, "strategic_fit": 0, "cost": 1, "risk": 0, "time_to_learn": 1}
    assert (
        harness.call("alice", "PUT", "/api/v1/settings/priority-weights", json=weights).status_code
        == 403
    )
    r = harness.call("admin", "PUT", "/api/v1/settings/priority-weights", json=weights)
    assert r.status_code == 200, r.text
    keys = [e["key"] for e in harness.call("erin", "GET", "/api/v1/experiments").json()["items"]]
    assert keys == ["low-value", "high-value"]


def test_weights_whose_sum_overflows_are_refused_and_proposals_still_score(
    harness: Harness,
) -> None:
    # Found by schemathesis' stateful phase: five weights of 1e308 summed to infinity, every
    # score became NaN and the next proposal's audit event could not be written (a 500).
    huge = dict.fromkeys(["value", "strategic_fit", "cost", "risk", "time_to_learn"], 1e308)
    r = harness.call("admin", "PUT", "/api/v1/settings/priority-weights", json=huge)
    assert r.status_code == 422, r.text
    assert {e["field"] for e in r.json()["errors"]} == set(huge)
    assert propose(harness).status_code == 201


def test_admin_replaces_risk_matrix_and_it_is_audited(harness: Harness) -> None:
    matrix = harness.call("erin", "GET", "/api/v1/risk-matrix").json()
    assert matrix["source"] == "default"
    doc = matrix["matrix"]
    doc["bands"] = [{"max": 64, "level": "critical"}]  # everything is critical
    assert harness.call("bob", "PUT", "/api/v1/risk-matrix", json=doc).status_code == 403
    r = harness.call(
        "admin", "PUT", "/api/v1/risk-matrix", json=doc, params={"reason": "lock down"}
    )
    assert r.status_code == 200, r.text
    assert propose(harness).json()["risk"]["level"] == "critical"
    items = harness.call("bob", "GET", "/api/v1/audit", params={"entity_id": "risk_matrix"}).json()[
        "items"
    ]
    assert items[-1]["action"] == "risk-matrix.replace"
    assert items[-1]["after"]["bands"] == [{"max": 64, "level": "critical"}]
    assert items[-1]["reason"] == "lock down"


def test_the_published_matrix_schema_takes_the_shipped_matrix_and_refuses_an_empty_one(
    harness: Harness,
) -> None:
    # schemathesis found `{}` schema-valid but refused (ST202): the request schema now says what
    # domain/risk.py checks, so a client's validator refuses it before the server does.
    import jsonschema_rs

    spec = harness.call("erin", "GET", "/api/v1/openapi.json").json()
    body = spec["paths"]["/api/v1/risk-matrix"]["put"]["requestBody"]["content"]
    validator = jsonschema_rs.validator_for(body["application/json"]["schema"])
    shipped = harness.call("erin", "GET", "/api/v1/risk-matrix").json()["matrix"]
    assert validator.is_valid(shipped)
    assert not validator.is_valid({})
    broken = {**shipped, "factors": {**shipped["factors"], "user_impact": {"few": True}}}
    assert not validator.is_valid(broken)
    r = harness.call("admin", "PUT", "/api/v1/risk-matrix", json=broken)
    assert r.status_code == 422
    assert "factors.user_impact" in {e["field"].rsplit(".", 1)[0] for e in r.json()["errors"]}


def test_expiry_job_moves_overdue_experiments_with_an_audit_event(harness: Harness) -> None:
    from sluicegate.service.experiments import expire_due

    doc = EXAMPLE_PROPOSAL.replace('"2027-06-30T00:00:00Z"', '"2026-11-22T00:00:00Z"')
    propose(harness, doc=doc)
    assert expire_due(harness.container.deps) == []
    harness.clock.advance(days=1)
    assert expire_due(harness.container.deps) == ["checkout-redesign"]
    exp = harness.call("erin", "GET", "/api/v1/experiments/checkout-redesign").json()
    assert exp["state"] == "expired"
    last = harness.call("bob", "GET", "/api/v1/audit", params={"actor": "system:expiry"}).json()
    assert last["items"][0]["after"]["state"] == "expired"


@pytest.mark.parametrize(
    ("mutation", "status", "code", "field"),
    [
        (lambda d: d.pop("rollback_plan"), 422, "missing-rollback-plan", "rollback_plan"),
        (
            lambda d: d["rollback_plan"].pop("expected_minutes"),
            422,
            "missing-rollback-plan",
            "rollback_plan.expected_minutes",
        ),
        (lambda d: d.pop("risk"), 422, "missing-risk-assessment", "risk"),
        (
            lambda d: d["risk"].pop("user_impact"),
            422,
            "missing-risk-assessment",
            "risk.user_impact",
        ),
        (
            lambda d: d["risk"].update(data_classification="secret"),
            422,
            "invalid-input",
            "risk.data_classification",
        ),
        (lambda d: d.update(kind="moonshot"), 422, "invalid-input", "kind"),
        (lambda d: d.update(owner_team="nobody"), 422, "invalid-input", "owner_team"),
        (lambda d: d.update(colour="blue"), 422, "invalid-input", "colour"),
        (lambda d: d.update(expires_at="2027-01-01T00:00:00"), 422, "invalid-input", "expires_at"),
    ],
)
def test_bad_proposals_name_the_field_and_leave_the_store_unchanged(
    harness: Harness, mutation: Any, status: int, code: str, field: str
) -> None:
    doc = yaml.safe_load(EXAMPLE_PROPOSAL)
    mutation(doc)
    before = harness.counts()
    r = propose(harness, doc=yaml.safe_dump(doc))
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code
    assert field in [e["field"] for e in body["errors"]]
    assert harness.counts() == before


def test_malformed_yaml_and_oversized_payloads_are_refused(harness: Harness) -> None:
    before = harness.counts()
    r = propose(harness, doc="key: [unclosed\ntitle: x\n")
    assert r.status_code == 400
    assert r.json()["code"] == "malformed-document"
    assert "line" in r.json()["detail"]
    huge = EXAMPLE_PROPOSAL + "#" + "x" * (2 * 1024 * 1024) + "\n"
    r = propose(harness, doc=huge)
    assert r.status_code == 413
    assert r.json()["code"] == "payload-too-large"
    assert harness.counts() == before


def test_duplicate_key_is_a_conflict(harness: Harness) -> None:
    assert propose(harness).status_code == 201
    before = harness.counts()
    r = propose(harness)
    assert r.status_code == 409
    assert harness.counts() == before


def test_contributor_cannot_propose_for_another_team(harness: Harness) -> None:
    before = harness.counts()
    r = propose(harness, who="zoe")
    assert r.status_code == 403
    assert harness.counts() == before


def test_update_merges_fields_and_is_audited(harness: Harness) -> None:
    propose(harness)
    path = "/api/v1/experiments/checkout-redesign"
    r = harness.call(
        "alice",
        "PATCH",
        path,
        json={
            "risk": {
                "data_classification": "restricted-pii",
                "user_impact": "all",
                "system_criticality": "high",
            }
        },
        headers={"if-match": '"1"'},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == 2
    assert body["risk"]["level"] == "critical"
    stale = harness.call("alice", "PATCH", path, json={"title": "x"}, headers={"if-match": '"1"'})
    assert stale.status_code == 409
    before = harness.counts()
    bad = harness.call("alice", "PATCH", path, json={"owner_team": "search"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "owner_team"
    bad = harness.call("alice", "PATCH", path, json={"rollback_plan": {"steps": []}})
    assert bad.status_code == 422
    assert harness.counts() == before
    events = harness.call(
        "bob", "GET", "/api/v1/audit", params={"entity_id": "checkout-redesign"}
    ).json()["items"]
    assert events[-1]["action"] == "experiment.update"
    assert events[-1]["before"]["risk_level"] == "medium"
    assert events[-1]["after"]["risk_level"] == "critical"
