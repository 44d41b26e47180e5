"""Experiment use cases called directly: propose, approve, transition and expire."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml
from tests.support.app import EXAMPLE_PROPOSAL
from tests.support.service import ServiceWorld

from sluicegate.domain.audit.chain import AuditEvent
from sluicegate.domain.errors import (
    ApprovalRequired,
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    SelfApproval,
)
from sluicegate.service import experiments
from sluicegate.service.audit.ports import AuditFilter

KEY = "checkout-redesign"


def _proposal(**changes: object) -> dict[str, object]:
    doc: dict[str, object] = yaml.safe_load(EXAMPLE_PROPOSAL)
    doc.update(changes)
    return doc


def _signed_off(service: ServiceWorld) -> None:
    experiments.propose(service.deps, service.ctx("alice"), _proposal())
    exp, approvals = experiments.get(service.deps, service.ctx("erin"), KEY)
    for domain in experiments.missing_signoffs(exp, approvals):
        who = "carol" if domain in ("product", "operations") else "bob"
        experiments.approve(service.deps, service.ctx(who), KEY, domain)


def _actions(service: ServiceWorld, entity_id: str) -> list[str]:
    return [e.action for e in _audit(service, entity_id)]


def _audit(service: ServiceWorld, entity_id: str) -> list[AuditEvent]:
    with service.deps.uow(readonly=True) as uow:
        return list(uow.audit.page(AuditFilter(entity_type="experiment", entity_id=entity_id)))


def test_propose_stores_the_assessment_and_audits_the_creation(service: ServiceWorld) -> None:
    exp = experiments.propose(service.deps, service.ctx("alice"), _proposal())
    assert exp.key == KEY
    assert exp.state == "proposed"
    assert exp.version == 1
    assert exp.owner_team == "payments"
    assert exp.created_at == service.clock.now()
    assert exp.risk_level == exp.assessment["level"]
    assert exp.assessment["required_signoffs"]
    stored, approvals = experiments.get(service.deps, service.ctx("erin"), KEY)
    assert stored == exp
    assert approvals == []
    assert _actions(service, KEY) == ["experiment.create"]


def test_propose_refuses_viewers_other_teams_unknown_teams_and_duplicates(
    service: ServiceWorld,
) -> None:
    with pytest.raises(Forbidden):
        experiments.propose(service.deps, service.ctx("erin"), _proposal())
    with pytest.raises(Forbidden):  # zoe is in search, the proposal belongs to payments
        experiments.propose(service.deps, service.ctx("zoe"), _proposal())
    with pytest.raises(InvalidInput):
        experiments.propose(service.deps, service.ctx("alice"), _proposal(owner_team="nobody"))
    experiments.propose(service.deps, service.ctx("alice"), _proposal())
    with pytest.raises(Conflict):
        experiments.propose(service.deps, service.ctx("alice"), _proposal())
    assert len(experiments.list_queue(service.deps, service.ctx("erin"))) == 1


def test_approve_records_sign_offs_and_refuses_the_proposer_and_foreign_domains(
    service: ServiceWorld,
) -> None:
    exp = experiments.propose(service.deps, service.ctx("alice"), _proposal())
    missing = experiments.missing_signoffs(exp, [])
    assert missing == list(exp.assessment["required_signoffs"])
    with pytest.raises(Forbidden):  # a contributor cannot sign off at all
        experiments.approve(service.deps, service.ctx("alice"), KEY, missing[0])
    with pytest.raises(Forbidden):  # dave reviews architecture only
        experiments.approve(service.deps, service.ctx("dave"), KEY, "security")
    with pytest.raises(InvalidInput):
        experiments.approve(service.deps, service.ctx("bob"), KEY, "astrology")
    with pytest.raises(NotFound):
        experiments.approve(service.deps, service.ctx("bob"), "no-such-key", "security")

    with pytest.raises(InvalidInput):  # medium risk asks for product and operations only
        experiments.approve(service.deps, service.ctx("bob"), KEY, "security")

    approval = experiments.approve(service.deps, service.ctx("carol"), KEY, "product", "fine")
    assert approval.reviewer == "carol"
    assert approval.comment == "fine"
    assert approval.created_at == service.clock.now()
    with pytest.raises(Conflict):
        experiments.approve(service.deps, service.ctx("carol"), KEY, "product")
    _, approvals = experiments.get(service.deps, service.ctx("erin"), KEY)
    assert [a.id for a in approvals] == [approval.id]
    assert "product" not in experiments.missing_signoffs(exp, approvals)


def test_a_reviewer_cannot_approve_what_they_proposed(service: ServiceWorld) -> None:
    # carol reviews operations and product and belongs to payments, so she can propose too.
    experiments.propose(service.deps, service.ctx("carol"), _proposal())
    with pytest.raises(SelfApproval):
        experiments.approve(service.deps, service.ctx("carol"), KEY, "operations")


def test_transition_needs_every_sign_off_then_follows_the_lifecycle(
    service: ServiceWorld,
) -> None:
    experiments.propose(service.deps, service.ctx("alice"), _proposal())
    with pytest.raises(ApprovalRequired) as refused:
        experiments.transition(service.deps, service.ctx("alice"), KEY, "approved")
    assert refused.value.missing
    _, approvals = experiments.get(service.deps, service.ctx("erin"), KEY)
    assert approvals == []

    exp, _ = experiments.get(service.deps, service.ctx("erin"), KEY)
    for domain in experiments.missing_signoffs(exp, []):
        who = "carol" if domain in ("product", "operations") else "bob"
        experiments.approve(service.deps, service.ctx(who), KEY, domain)
    with pytest.raises(InvalidTransition):
        experiments.transition(service.deps, service.ctx("alice"), KEY, "canary")
    with pytest.raises(Conflict):
        experiments.transition(
            service.deps, service.ctx("alice"), KEY, "approved", expected_version=7
        )
    approved = experiments.transition(
        service.deps, service.ctx("alice"), KEY, "approved", expected_version=1
    )
    assert (approved.state, approved.version) == ("approved", 2)
    sandbox = experiments.transition(service.deps, service.ctx("alice"), KEY, "sandbox")
    assert (sandbox.state, sandbox.version) == ("sandbox", 3)
    assert _actions(service, KEY)[-2:] == ["experiment.transition", "experiment.transition"]


def test_transition_refuses_viewers_other_teams_and_reasonless_rejections(
    service: ServiceWorld,
) -> None:
    _signed_off(service)
    with pytest.raises(Forbidden):
        experiments.transition(service.deps, service.ctx("erin"), KEY, "approved")
    with pytest.raises(Forbidden):
        experiments.transition(service.deps, service.ctx("zoe"), KEY, "approved")
    with pytest.raises(InvalidInput):
        experiments.transition(service.deps, service.ctx("carol"), KEY, "rejected")
    with pytest.raises(InvalidInput):
        experiments.transition(service.deps, service.ctx("alice"), KEY, "nowhere")
    exp, _ = experiments.get(service.deps, service.ctx("erin"), KEY)
    assert (exp.state, exp.version) == ("proposed", 1)
    rejected = experiments.transition(
        service.deps, service.ctx("carol"), KEY, "rejected", reason="exports restricted PII"
    )
    assert rejected.state == "rejected"
    events = _audit(service, KEY)
    assert events[-1].reason == "exports restricted PII"


def test_expire_due_moves_only_active_experiments_past_their_time_box(
    service: ServiceWorld,
) -> None:
    _signed_off(service)
    experiments.transition(service.deps, service.ctx("alice"), KEY, "approved")
    experiments.transition(service.deps, service.ctx("alice"), KEY, "sandbox")
    alice = service.ctx("alice")
    experiments.propose(service.deps, alice, _proposal(key="later", expires_at="2030-01-01T00:00Z"))
    experiments.propose(service.deps, alice, _proposal(key="soon", expires_at="2027-01-01T00:00Z"))
    assert experiments.expire_due(service.deps) == []  # the clock is still in 2026

    service.clock.moment = datetime(2027, 7, 1, tzinfo=UTC)
    assert sorted(experiments.expire_due(service.deps)) == [KEY, "soon"]
    exp, _ = experiments.get(service.deps, service.ctx("erin"), KEY)
    assert (exp.state, exp.version) == ("expired", 4)
    soon, _ = experiments.get(service.deps, service.ctx("erin"), "soon")
    assert (soon.state, soon.version) == ("expired", 2)  # proposed counts as active
    events = _audit(service, KEY)
    assert events[-1].actor == "system:expiry"
    assert events[-1].reason == "time-box expired at 2027-06-30T00:00:00+00:00"
    assert experiments.expire_due(service.deps) == []  # already expired: nothing to do
    later, _ = experiments.get(service.deps, service.ctx("erin"), "later")
    assert (later.state, later.version) == ("proposed", 1)
