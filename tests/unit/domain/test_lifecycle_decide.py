"""The pure rule every experiment writer shares: ``lifecycle.decide``."""

from __future__ import annotations

import pytest

from sluicegate.domain.errors import ApprovalRequired, InvalidInput, InvalidTransition
from sluicegate.domain.experiments.lifecycle import NEEDS_REASON, State, Transition, decide


def test_an_allowed_move_is_decided() -> None:
    move = decide("k", State.CANARY, State.ROLLOUT, reason=None, risk_level="high")
    assert move == Transition("k", State.CANARY, State.ROLLOUT, None)


def test_a_move_not_in_the_table_names_the_allowed_targets() -> None:
    with pytest.raises(InvalidTransition) as err:
        decide("k", State.PROPOSED, State.CANARY, reason=None, risk_level="low")
    assert err.value.allowed == ("approved", "rejected", "expired")


def test_approval_needs_every_signoff() -> None:
    with pytest.raises(ApprovalRequired) as err:
        decide(
            "k",
            State.PROPOSED,
            State.APPROVED,
            reason=None,
            risk_level="high",
            missing_signoffs=["security"],
        )
    assert err.value.missing == ("security",)
    assert "risk high" in str(err.value)
    assert decide("k", State.PROPOSED, State.APPROVED, reason=None, risk_level="high").after is (
        State.APPROVED
    )


@pytest.mark.parametrize("target", sorted(NEEDS_REASON))
def test_exits_that_need_a_reason(target: State) -> None:
    start = State.PROPOSED if target is State.REJECTED else State.CANARY
    with pytest.raises(InvalidInput) as err:
        decide("k", start, target, reason="", risk_level="low")
    assert [e.field for e in err.value.errors] == ["reason"]
    assert decide("k", start, target, reason="why", risk_level="low").reason == "why"


def test_expiry_needs_no_reason() -> None:
    assert decide("k", State.STAGING, State.EXPIRED, reason=None, risk_level="low").after is (
        State.EXPIRED
    )


def test_rollout_change_request_and_jit_tables_refuse_moves_out_of_final_states() -> None:
    from sluicegate.domain.access.jit import JIT_TRANSITIONS, JitState, check_jit
    from sluicegate.domain.flags import CR_TRANSITIONS, ChangeRequestState, check_change_request

    assert set(CR_TRANSITIONS) == set(ChangeRequestState)
    assert set(JIT_TRANSITIONS) == set(JitState)
    check_change_request(ChangeRequestState.PENDING, ChangeRequestState.APPROVED)
    with pytest.raises(InvalidTransition) as err:
        check_change_request(ChangeRequestState.REJECTED, ChangeRequestState.APPROVED)
    assert err.value.allowed == ()
    with pytest.raises(InvalidTransition):
        check_change_request(ChangeRequestState.PENDING, ChangeRequestState.APPLIED)
    check_jit(JitState.ACTIVE, JitState.REVOKED)
    with pytest.raises(InvalidTransition) as err:
        check_jit(JitState.EXPIRED, JitState.ACTIVE)
    assert err.value.allowed == ()
