"""A rollout may not bypass approval, nor change what its starter could not change directly.

Reproduces the newcomer's walk (issue 12, 1.1): an admin started a rollout for a ``proposed``
experiment on the payments team's flag set and the flag really changed; a search contributor's
identical request was accepted too. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from tests.support.app import EXAMPLE_PROPOSAL, Harness
from tests.support.rollouts import FLAGS, canary_experiment, create_rollout, flag_set

FLAG_PLAN: dict[str, Any] = {
    "target": {
        "kind": "flag",
        "flag_set": "shop",
        "environment": "staging",
        "flag": "new-checkout",
    },
    "steps": [{"weight": 50}, {"weight": 100}],
}


def _propose_search_experiment(h: Harness, key: str = "search-ranking-v2") -> None:
    doc = EXAMPLE_PROPOSAL.replace("checkout-redesign", key).replace(
        "owner_team: payments", "owner_team: search"
    )
    r = h.call(
        "zoe",
        "POST",
        "/api/v1/experiments",
        content=doc,
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text


def _advance(h: Harness, key: str, states: tuple[str, ...]) -> None:
    path = f"/api/v1/experiments/{key}"
    for domain in h.call("admin", "GET", path).json()["missing_signoffs"]:
        who = "carol" if domain in ("product", "operations") else "bob"
        r = h.call(who, "POST", f"{path}/approvals", json={"domain": domain})
        assert r.status_code == 201, r.text
    for state in states:
        r = h.call("zoe", "POST", f"{path}/transitions", json={"to": state})
        assert r.status_code == 200, r.text


def _flag_revisions(h: Harness) -> int:
    r = h.call("admin", "GET", "/api/v1/flag-sets/shop/staging/revisions")
    assert r.status_code == 200, r.text
    return len(r.json()["items"])


def test_a_proposed_experiment_takes_no_rollout_even_from_an_admin(harness: Harness) -> None:
    h = harness
    flag_set(h)
    _propose_search_experiment(h)
    before = _flag_revisions(h)
    r = h.call(
        "admin",
        "POST",
        "/api/v1/rollouts",
        json={"experiment": "search-ranking-v2", "plan": FLAG_PLAN},
    )
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["code"] == "stage-not-reached"
    assert "proposed" in body["detail"]
    assert "staging" in body["detail"]
    assert "rule: a rollout follows the experiment's lifecycle" in body["detail"]
    assert h.call("admin", "GET", "/api/v1/rollouts").json()["items"] == []
    assert _flag_revisions(h) == before


def test_a_rollout_needs_the_stage_of_its_target_environment(harness: Harness) -> None:
    h = harness
    _propose_search_experiment(h)
    _advance(h, "search-ranking-v2", ("approved", "sandbox"))
    # Production (a deployment's default environment) opens at canary; sandbox is too early.
    plan = {"target": {"kind": "deployment", "service": "search"}}
    r = h.call(
        "zoe", "POST", "/api/v1/rollouts", json={"experiment": "search-ranking-v2", "plan": plan}
    )
    assert r.status_code == 409, r.text
    assert "needs it in canary or later" in r.json()["detail"]
    # The same deployment in the sandbox environment is what sandbox is for.
    plan = {"target": {"kind": "deployment", "service": "search", "environment": "sandbox"}}
    r = h.call(
        "zoe", "POST", "/api/v1/rollouts", json={"experiment": "search-ranking-v2", "plan": plan}
    )
    assert r.status_code == 201, r.text
    assert r.json()["target"]["environment"] == "sandbox"


def test_another_teams_flag_set_needs_a_link(harness: Harness) -> None:
    h = harness
    flag_set(h)  # owned by payments
    _propose_search_experiment(h)
    _advance(h, "search-ranking-v2", ("approved", "sandbox", "staging"))
    before = _flag_revisions(h)
    # zoe (search) is refused a direct change of the payments team's flag ...
    r = h.call("zoe", "PUT", "/api/v1/flag-sets/shop/staging/document", json=FLAGS)
    assert r.status_code == 403, r.text
    # ... and so a rollout of it, with the rule named.
    body = {"experiment": "search-ranking-v2", "plan": FLAG_PLAN}
    r = h.call("zoe", "POST", "/api/v1/rollouts", json=body)
    assert r.status_code == 403, r.text
    assert (
        "rule: a rollout changes only what its starter could change directly" in r.json()["detail"]
    )
    assert _flag_revisions(h) == before
    # Once payments links the flag set to the experiment, its team may roll it out.
    r = h.call(
        "alice", "PATCH", "/api/v1/flag-sets/shop/staging", json={"experiment": "search-ranking-v2"}
    )
    assert r.status_code == 200, r.text
    r = h.call("zoe", "POST", "/api/v1/rollouts", json=body)
    assert r.status_code == 201, r.text
    assert h.call("zoe", "POST", f"/api/v1/rollouts/{r.json()['id']}/start").status_code == 200


def test_start_and_resume_check_again(harness: Harness) -> None:
    h = harness
    flag_set(h)
    canary_experiment(h)
    plan = {"target": {"kind": "deployment", "service": "checkout"}}
    first = create_rollout(h, plan).json()["id"]
    second = create_rollout(h, plan).json()["id"]
    assert h.call("alice", "POST", f"/api/v1/rollouts/{second}/start").status_code == 200
    r = h.call("alice", "POST", f"/api/v1/rollouts/{second}/pause", json={"reason": "look"})
    assert r.status_code == 200, r.text
    # The experiment leaves the path: neither the pending rollout nor the paused one may go on.
    r = h.call(
        "alice",
        "POST",
        "/api/v1/experiments/checkout-redesign/transitions",
        json={"to": "rolled-back", "reason": "errors"},
    )
    assert r.status_code == 200, r.text
    r = h.call("admin", "POST", f"/api/v1/rollouts/{first}/start")
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "stage-not-reached"
    r = h.call("admin", "POST", f"/api/v1/rollouts/{second}/resume")
    assert r.status_code == 409, r.text
    assert "has ended" in r.json()["hint"]


def test_a_judge_section_without_metrics_judges_every_queried_metric(harness: Harness) -> None:
    h = harness
    canary_experiment(h)
    analysis = {
        "source": {"kind": "simulated", "seed": 3},
        "queries": {"metrics": {"latency": "latency"}},
        "judge": {"semantics": "kayenta"},
    }
    plan = {
        "target": {"kind": "deployment", "service": "checkout"},
        "steps": [{"weight": 50}, {"analysis": analysis}],
    }
    r = create_rollout(h, plan)
    assert r.status_code == 201, r.text
