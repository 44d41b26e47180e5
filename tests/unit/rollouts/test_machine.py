"""The rollout state machine."""

from __future__ import annotations

import pytest

from sluicegate.domain.errors import InvalidTransition
from sluicegate.domain.rollouts import ACTIVE, FINAL, Status, check
from sluicegate.domain.rollouts.machine import TRANSITIONS


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.PENDING, Status.RUNNING),
        (Status.PENDING, Status.ABORTED),
        (Status.RUNNING, Status.PAUSED),
        (Status.PAUSED, Status.RUNNING),
        (Status.RUNNING, Status.SUCCEEDED),
        (Status.RUNNING, Status.ROLLING_BACK),
        (Status.PAUSED, Status.ROLLING_BACK),
        (Status.ROLLING_BACK, Status.ROLLED_BACK),
        (Status.ROLLING_BACK, Status.ABORTED),
    ],
)
def test_allowed(current: Status, target: Status) -> None:
    check(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.PENDING, Status.PAUSED),
        (Status.PAUSED, Status.SUCCEEDED),
        (Status.ROLLING_BACK, Status.RUNNING),
        (Status.SUCCEEDED, Status.ROLLING_BACK),
        (Status.ROLLED_BACK, Status.RUNNING),
        (Status.ABORTED, Status.RUNNING),
    ],
)
def test_refused_names_the_allowed_targets(current: Status, target: Status) -> None:
    with pytest.raises(InvalidTransition) as info:
        check(current, target)
    assert info.value.allowed == tuple(s.value for s in TRANSITIONS[current])


def test_final_statuses_lead_nowhere_and_every_status_has_a_row() -> None:
    assert set(TRANSITIONS) == set(Status)
    for status in FINAL:
        assert TRANSITIONS[status] == ()
    assert not ACTIVE & FINAL
