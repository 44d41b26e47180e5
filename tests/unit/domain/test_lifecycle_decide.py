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
