"""The weighted priority score that ranks the intake queue.

Proposers rate value, strategic fit, cost and time to learn from 1 to 5; risk comes from the risk
engine. Value and strategic fit count for the score; cost, risk and time to learn count against it.
The score is normalised to 0..100 so that a change of weights keeps it comparable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluicegate.domain.errors import FieldError, InvalidInput
from sluicegate.domain.risk import RiskLevel

__all__ = [
    "CRITERIA",
    "DEFAULT_WEIGHTS",
    "MAX_WEIGHT",
    "PriorityInputs",
    "PriorityWeights",
    "score",
]

#: The criteria a priority score weighs, in order.
CRITERIA = ("value", "strategic_fit", "cost", "risk", "time_to_learn")

#: The largest weight: weights are relative, and a bound keeps their sum finite (five weights
#: of 1e308 would sum to infinity and make every score NaN).
MAX_WEIGHT = 1000.0

_BENEFITS = frozenset({"value", "strategic_fit"})


@dataclass(frozen=True, slots=True)
class PriorityInputs:
    value: int = 3
    strategic_fit: int = 3
    cost: int = 3
    time_to_learn: int = 3


@dataclass(frozen=True, slots=True)
class PriorityWeights:
    value: float = 0.35
    strategic_fit: float = 0.25
    cost: float = 0.15
    risk: float = 0.15
    time_to_learn: float = 0.10

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> PriorityWeights:
        errors = []
        for key in doc:
            if key not in CRITERIA:
                errors.append(FieldError(key, f"unknown criterion; one of {', '.join(CRITERIA)}"))
        values: dict[str, float] = {}
        for key in CRITERIA:
            raw = doc.get(key, getattr(DEFAULT_WEIGHTS, key))
            if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
                errors.append(FieldError(key, "weight must be a number >= 0"))
            elif not raw <= MAX_WEIGHT:
                errors.append(FieldError(key, f"weight must be at most {MAX_WEIGHT:g}"))
            else:
                values[key] = float(raw)
        if not errors and sum(values.values()) <= 0:
            errors.append(FieldError("weights", "at least one weight must be positive"))
        if errors:
            raise InvalidInput("invalid priority weights", errors=errors)
        return cls(**values)

    def to_dict(self) -> dict[str, float]:
        return {key: getattr(self, key) for key in CRITERIA}


DEFAULT_WEIGHTS = PriorityWeights()

_RISK_RATING = {RiskLevel.LOW: 1, RiskLevel.MEDIUM: 2, RiskLevel.HIGH: 4, RiskLevel.CRITICAL: 5}


def score(inputs: PriorityInputs, risk: RiskLevel, weights: PriorityWeights) -> float:
    """Weighted score in 0..100 (higher ranks first), rounded to two decimals."""
    ratings = {
        "value": inputs.value,
        "strategic_fit": inputs.strategic_fit,
        "cost": inputs.cost,
        "risk": _RISK_RATING[risk],
        "time_to_learn": inputs.time_to_learn,
    }
    total = 0.0
    weight_sum = 0.0
    for key in CRITERIA:
        weight = float(getattr(weights, key))
        normalised = (ratings[key] - 1) / 4
        total += weight * (normalised if key in _BENEFITS else 1 - normalised)
        weight_sum += weight
    return round(100 * total / weight_sum, 2)
