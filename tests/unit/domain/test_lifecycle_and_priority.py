from __future__ import annotations

from itertools import pairwise

import pytest

from sluicegate.domain.errors import InvalidInput, InvalidTransition
from sluicegate.domain.experiments import lifecycle
from sluicegate.domain.experiments.lifecycle import FINAL_STATES, State
from sluicegate.domain.experiments.priority import (
    DEFAULT_WEIGHTS,
    MAX_WEIGHT,
    PriorityInputs,
    PriorityWeights,
    score,
)
from sluicegate.domain.risk import RiskLevel

MAIN_PATH = [
    State.PROPOSED,
    State.APPROVED,
    State.SANDBOX,
    State.STAGING,
    State.CANARY,
    State.ROLLOUT,
    State.GENERAL_AVAILABILITY,
]


def test_main_path_is_allowed_step_by_step() -> None:
    for here, nxt in pairwise(MAIN_PATH):
        lifecycle.check(here, nxt)


def test_skipping_a_stage_is_refused_and_names_allowed_targets() -> None:
    with pytest.raises(InvalidTransition) as info:
        lifecycle.check(State.STAGING, State.GENERAL_AVAILABILITY)
    assert info.value.allowed == ("canary", "rolled-back", "retired", "expired")
    assert "canary" in info.value.hint


@pytest.mark.parametrize("final", sorted(FINAL_STATES))
def test_exits_are_final(final: State) -> None:
    for target in State:
        with pytest.raises(InvalidTransition) as info:
            lifecycle.check(final, target)
        assert info.value.allowed == ()


def test_rollback_only_from_deployed_stages() -> None:
    with pytest.raises(InvalidTransition):
        lifecycle.check(State.PROPOSED, State.ROLLED_BACK)
    lifecycle.check(State.CANARY, State.ROLLED_BACK)


def test_priority_prefers_value_and_low_risk() -> None:
    good = PriorityInputs(value=5, strategic_fit=5, cost=1, time_to_learn=1)
    poor = PriorityInputs(value=1, strategic_fit=1, cost=5, time_to_learn=5)
    assert score(good, RiskLevel.LOW, DEFAULT_WEIGHTS) == 100.0
    assert score(poor, RiskLevel.CRITICAL, DEFAULT_WEIGHTS) == 0.0
    mid = PriorityInputs()
    assert score(mid, RiskLevel.LOW, DEFAULT_WEIGHTS) > score(mid, RiskLevel.HIGH, DEFAULT_WEIGHTS)


def test_weights_change_the_ranking() -> None:
    cheap = PriorityInputs(value=2, cost=1)
    valuable = PriorityInputs(value=5, cost=5)
    by_value = PriorityWeights(value=1, strategic_fit=0, cost=0, risk=0, time_to_learn=0)
    by_cost = PriorityWeights(value=0, strategic_fit=0, cost=1, risk=0, time_to_learn=0)
    assert score(valuable, RiskLevel.LOW, by_value) > score(cheap, RiskLevel.LOW, by_value)
    assert score(valuable, RiskLevel.LOW, by_cost) < score(cheap, RiskLevel.LOW, by_cost)


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"value": -1}, "value"),
        ({"speed": 1}, "speed"),
        (dict.fromkeys(DEFAULT_WEIGHTS.to_dict(), 0), "weights"),
        ({"value": 1e308}, "value"),
        ({"cost": float("nan")}, "cost"),
    ],
)
def test_invalid_weights_name_the_field(doc: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        PriorityWeights.from_dict(doc)
    assert field in [e.field for e in info.value.errors]


def test_the_largest_weights_still_score_within_0_to_100() -> None:
    heaviest = PriorityWeights.from_dict(dict.fromkeys(DEFAULT_WEIGHTS.to_dict(), MAX_WEIGHT))
    for level in RiskLevel:
        assert 0 <= score(PriorityInputs(5, 5, 1, 1), level, heaviest) <= 100
