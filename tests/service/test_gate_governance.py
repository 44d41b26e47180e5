"""Governance holes of issue 11 §4, through the use cases on a seeded database.

- No stage's gate passes for an experiment whose lifecycle state allows it to enter no stage
  (proposed, rejected, expired, rolled-back, retired), even where every gate is advisory.
- Sign-offs are taken only in the domains the risk assessment asks for, and stage reviews only for
  stages of the experiment's process and in domains that stage's gates count.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tests.support.app import EXAMPLE_PROPOSAL
from tests.support.service import ServiceWorld

from sluicegate.domain.errors import InvalidInput
from sluicegate.domain.gates import CheckStatus, Decision, Outcome
from sluicegate.service import experiments, gates
from sluicegate.service.gates import ProcessSource

KEY = "checkout-redesign"
DEFAULT = Path(__file__).resolve().parents[2] / "src/sluicegate/resources/processes/default.yaml"


def _propose(service: ServiceWorld, **changes: object) -> None:
    doc = yaml.safe_load(EXAMPLE_PROPOSAL)
    doc.update(changes)
    experiments.propose(service.deps, service.ctx("alice"), doc)


def _sign_off(service: ServiceWorld) -> None:
    exp, approvals = experiments.get(service.deps, service.ctx("erin"), KEY)
    for domain in experiments.missing_signoffs(exp, approvals):
        who = "carol" if domain in ("product", "operations") else "bob"
        experiments.approve(service.deps, service.ctx(who), KEY, domain)


def _move(service: ServiceWorld, *states: str, reason: str | None = None) -> None:
    for state in states:
        experiments.transition(
            service.deps, service.ctx("alice"), KEY, state, reason=reason, gates=_runtime(service)
        )


def _runtime(service: ServiceWorld) -> gates.GateRuntime:
    return service.container.gates


def _apply_default(service: ServiceWorld) -> None:
    source = ProcessSource(DEFAULT.read_text(), "default.yaml")
    gates.apply_process(service.deps, service.ctx("admin"), _runtime(service), "default", source)


def _check(service: ServiceWorld, stage: str) -> Decision:
    return gates.check_gate(service.deps, service.ctx("alice"), _runtime(service), KEY, stage)


def _into(service: ServiceWorld, state: str) -> None:
    """Put the experiment in ``state`` the way users do."""
    _propose(service)
    if state == "proposed":
        return
    if state == "rejected":
        experiments.transition(
            service.deps, service.ctx("carol"), KEY, "rejected", reason="not now"
        )
        return
    if state == "expired":
        service.clock.advance(days=365 * 2)
        assert experiments.expire_due(service.deps) == [KEY]
        return
    _sign_off(service)
    _move(service, "approved")
    if state == "retired":
        _move(service, "retired", reason="superseded")
    elif state == "rolled-back":
        _move(service, "sandbox")
        _move(service, "rolled-back", reason="errors")
    else:
        assert state == "approved"


@pytest.mark.parametrize("state", ["proposed", "rejected", "expired", "rolled-back", "retired"])
def test_no_stage_gate_passes_for_an_experiment_that_may_enter_no_stage(
    service: ServiceWorld, state: str
) -> None:
    _apply_default(service)
    _into(service, state)
    # sandbox's only gate is advisory: before the fix this passed for a proposed experiment
    for stage in ("sandbox", "staging", "general-availability"):
        decision = _check(service, stage)
        assert decision.outcome is Outcome.DENIED, (stage, decision.checks)
        lifecycle = decision.checks[0]
        assert (lifecycle.gate, lifecycle.type, lifecycle.status) == (
            "lifecycle",
            "lifecycle",
            CheckStatus.FAIL,
        )
        assert lifecycle.blocking
        assert lifecycle.reasons[0].startswith(f"experiment {KEY!r} is {state}")


def test_an_approved_experiment_still_passes_the_advisory_sandbox_gate(
    service: ServiceWorld,
) -> None:
    _apply_default(service)
    _into(service, "approved")
    decision = _check(service, "sandbox")
    assert decision.outcome is Outcome.PASS
    assert [c.gate for c in decision.checks] == ["tests"]  # no lifecycle record when it may


def test_sign_offs_only_in_the_domains_the_risk_assessment_asks_for(
    service: ServiceWorld,
) -> None:
    _propose(service)
    exp, _ = experiments.get(service.deps, service.ctx("erin"), KEY)
    asked = list(exp.assessment["required_signoffs"])
    assert "security" not in asked  # the example proposal is medium risk: product, operations
    with pytest.raises(InvalidInput) as refused:
        experiments.approve(service.deps, service.ctx("bob"), KEY, "security")
    assert [e.field for e in refused.value.errors] == ["domain"]
    assert ", ".join(asked) in refused.value.errors[0].reason
    _, approvals = experiments.get(service.deps, service.ctx("erin"), KEY)
    assert approvals == []  # nothing was stored
    experiments.approve(service.deps, service.ctx("carol"), KEY, "product")


def test_stage_reviews_only_for_stages_of_the_process(service: ServiceWorld) -> None:
    _propose(service)
    # no process applied: the lifecycle's stages are the stages there are
    with pytest.raises(InvalidInput) as refused:
        experiments.approve(service.deps, service.ctx("carol"), KEY, None, stage="prod")
    assert [e.field for e in refused.value.errors] == ["stage"]
    assert "canary" in refused.value.errors[0].reason
    experiments.approve(service.deps, service.ctx("carol"), KEY, "product", stage="canary")

    _apply_default(service)
    custom = (
        DEFAULT.read_text()
        .replace("name: canary\n", "name: preview\n")
        .replace("needs: [canary]", "needs: [preview]")
    )
    source = ProcessSource(custom.replace("name: default", "name: custom", 1), "custom.yaml")
    gates.apply_process(service.deps, service.ctx("admin"), _runtime(service), "custom", source)
    selector = {"rules": [{"process": "custom", "teams": ["payments"]}], "default": "default"}
    gates.set_selector(service.deps, service.ctx("admin"), selector)
    with pytest.raises(InvalidInput) as refused:  # the custom process has no canary stage
        experiments.approve(service.deps, service.ctx("bob"), KEY, "security", stage="canary")
    assert [e.field for e in refused.value.errors] == ["stage"]
    assert "preview" in refused.value.errors[0].reason
    review = experiments.approve(service.deps, service.ctx("carol"), KEY, None, stage="preview")
    assert review.stage == "preview"


def test_stage_reviews_only_in_domains_the_stage_counts(service: ServiceWorld) -> None:
    _apply_default(service)
    _propose(service)
    # general-availability counts product sign-offs only (a domain rule, no risk sign-offs)
    with pytest.raises(InvalidInput) as refused:
        experiments.approve(
            service.deps, service.ctx("bob"), KEY, "security", stage="general-availability"
        )
    assert [e.field for e in refused.value.errors] == ["domain"]
    assert "product" in refused.value.errors[0].reason
    # carol holds operations and product: without a domain, the one the stage counts is chosen
    review = experiments.approve(
        service.deps, service.ctx("carol"), KEY, None, stage="general-availability"
    )
    assert review.domain.value == "product"
    # canary counts the risk level's sign-offs (medium: product, operations); the review board
    # is not required at medium risk, so it counts no other domain
    with pytest.raises(InvalidInput):
        experiments.approve(service.deps, service.ctx("dave"), KEY, "architecture", stage="canary")
    experiments.approve(service.deps, service.ctx("carol"), KEY, "operations", stage="canary")
    # a rejection counts whatever the reviewer's domain: any valid rejection blocks the gate
    rejection = experiments.approve(
        service.deps,
        service.ctx("bob"),
        KEY,
        "security",
        stage="general-availability",
        decision="reject",
    )
    assert (rejection.decision, rejection.domain.value) == ("reject", "security")
    # sandbox has no gate that reads reviews
    with pytest.raises(InvalidInput) as refused:
        experiments.approve(service.deps, service.ctx("carol"), KEY, None, stage="sandbox")
    assert [e.field for e in refused.value.errors] == ["stage"]


def test_a_stage_that_counts_reviews_by_role_or_board_takes_any_held_domain(
    service: ServiceWorld,
) -> None:
    _apply_default(service)
    _propose(service, risk={**yaml.safe_load(EXAMPLE_PROPOSAL)["risk"], "user_impact": "all"})
    exp, _ = experiments.get(service.deps, service.ctx("erin"), KEY)
    assert exp.risk_level in ("high", "critical")  # the canary review board now counts
    review = experiments.approve(
        service.deps, service.ctx("dave"), KEY, "architecture", stage="canary"
    )
    assert review.domain.value == "architecture"
