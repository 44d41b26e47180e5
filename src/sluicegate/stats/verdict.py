"""Explainable results of a canary analysis: one ``MetricResult`` per metric and a ``Verdict``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "Classification",
    "Decision",
    "GroupScore",
    "MetricResult",
    "TailCheck",
    "Verdict",
    "json_number",
]


def json_number(value: float | None) -> float | str | None:
    """JSON has no NaN or infinity: NaN becomes ``None``, infinities the strings ``"inf"``."""
    if value is None or math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


class Classification(StrEnum):
    PASS = "Pass"  # noqa: S105 - a classification, not a password
    HIGH = "High"
    LOW = "Low"
    NODATA = "NoData"
    ERROR = "Error"


class Decision(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    MARGINAL = "marginal"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class TailCheck:
    """One opt-in tail or shape check of a metric: a quantile bound or a distribution test."""

    check: str  # "p99", "ks", ...
    method: str
    canary: float  # the canary's quantile, or the KS statistic D
    baseline: float  # the baseline's quantile (NaN for KS)
    low: float  # canary lower bound (quantiles) / NaN
    high: float  # baseline upper bound (quantiles) / NaN
    p_value: float  # KS p-value; NaN for quantiles
    regressed: bool
    classification: Classification  # High / Low when regressed, else Pass
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "method": self.method,
            "canary": json_number(self.canary),
            "baseline": json_number(self.baseline),
            "low": json_number(self.low),
            "high": json_number(self.high),
            "p_value": json_number(self.p_value),
            "regressed": self.regressed,
            "classification": self.classification.value,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class MetricResult:
    """How one metric compared; ``counted`` is False when a policy said to ignore it."""

    name: str
    group: str
    critical: bool
    classification: Classification
    passed: bool
    counted: bool
    reason: str
    baseline_count: int = 0
    canary_count: int = 0
    baseline_mean: float = math.nan
    canary_mean: float = math.nan
    statistic: float = math.nan  # Mann-Whitney U (rank tests) or z (the proportion test)
    p_value: float = math.nan
    shift: float = math.nan  # Hodges-Lehmann shift, or difference in proportions
    ci_low: float = math.nan
    ci_high: float = math.nan
    effect: float = math.nan  # mean ratio canary / baseline
    threshold_statistic: str | None = None
    threshold_value: float = math.nan
    kind: str | None = None  # the metric kind the test was chosen for
    kind_inferred: bool = False  # True: the config named no kind; it was inferred from the data
    method: str | None = None  # which test decided
    semantics: str = "sluicegate"
    cles: float = math.nan  # P(canary > baseline) + P(equal) / 2
    checks: tuple[TailCheck, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "group": self.group,
            "critical": self.critical,
            "classification": self.classification.value,
            "passed": self.passed,
            "counted": self.counted,
            "reason": self.reason,
            "baseline_count": self.baseline_count,
            "canary_count": self.canary_count,
            "baseline_mean": json_number(self.baseline_mean),
            "canary_mean": json_number(self.canary_mean),
            "statistic": json_number(self.statistic),
            "p_value": json_number(self.p_value),
            "shift": json_number(self.shift),
            "ci_low": json_number(self.ci_low),
            "ci_high": json_number(self.ci_high),
            "effect": json_number(self.effect),
            "threshold_statistic": self.threshold_statistic,
            "threshold_value": json_number(self.threshold_value),
            "kind": self.kind,
            "kind_inferred": self.kind_inferred,
            "method": self.method,
            "semantics": self.semantics,
            "cles": json_number(self.cles),
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass(frozen=True, slots=True)
class GroupScore:
    name: str
    weight: float
    passed: int
    total: int

    @property
    def score(self) -> float:
        return 100.0 * self.passed / self.total if self.total else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "weight": self.weight,
            "passed": self.passed,
            "total": self.total,
            "score": json_number(self.score),
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    score: float
    pass_score: float
    marginal_score: float
    reason: str
    metrics: tuple[MetricResult, ...]
    groups: tuple[GroupScore, ...]
    critical_failures: tuple[str, ...] = ()
    confidence: float = 0.95

    @property
    def passed(self) -> bool:
        return self.decision is Decision.PASS

    def metric(self, name: str) -> MetricResult:
        for result in self.metrics:
            if result.name == name:
                return result
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision.value,
            "score": json_number(self.score),
            "pass_score": self.pass_score,
            "marginal_score": self.marginal_score,
            "reason": self.reason,
            "confidence": self.confidence,
            "critical_failures": list(self.critical_failures),
            "groups": [g.to_dict() for g in self.groups],
            "metrics": [m.to_dict() for m in self.metrics],
        }
