"""A/B comparison of a strategy against its baseline on chosen KPIs.

* Conversion-style KPIs (successes out of trials): difference in proportions, Wald interval with
  unpooled variance, two-sided z-test with pooled variance.
* Continuous KPIs: Welch's t (difference in means, Welch-Satterthwaite degrees of freedom) or the
  Mann-Whitney / Hodges-Lehmann shift (robust to skew and outliers).

``higher_is_better`` turns "significantly different" into "better" or "worse".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from sluicegate.stats.ranksum import mann_whitney
from sluicegate.stats.verdict import json_number

__all__ = [
    "ExperimentOutcome",
    "KpiComparison",
    "compare_means",
    "compare_proportions",
    "compare_shift",
]

FloatArray = npt.NDArray[np.float64]


class ExperimentOutcome(StrEnum):
    BETTER = "better"
    WORSE = "worse"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True, slots=True)
class KpiComparison:
    kpi: str
    method: str
    baseline: float  # baseline proportion / mean
    variant: float
    effect: float  # variant - baseline (shift for the Mann-Whitney method)
    relative_effect: float  # effect / baseline
    ci_low: float
    ci_high: float
    p_value: float
    confidence: float
    outcome: ExperimentOutcome
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
            "method": self.method,
            "baseline": json_number(self.baseline),
            "variant": json_number(self.variant),
            "effect": json_number(self.effect),
            "relative_effect": json_number(self.relative_effect),
            "ci_low": json_number(self.ci_low),
            "ci_high": json_number(self.ci_high),
            "p_value": json_number(self.p_value),
            "confidence": self.confidence,
            "outcome": self.outcome.value,
            "reason": self.reason,
        }


def _outcome(
    kpi: str, low: float, high: float, higher_is_better: bool, confidence: float
) -> tuple[ExperimentOutcome, str]:
    level = f"{confidence:.0%}"
    if low > 0 or high < 0:
        up = low > 0
        outcome = ExperimentOutcome.BETTER if up == higher_is_better else ExperimentOutcome.WORSE
        word = "higher" if up else "lower"
        return outcome, f"{kpi} is {word} in the variant ({level} interval excludes 0): {outcome}"
    return ExperimentOutcome.INCONCLUSIVE, f"{kpi}: the {level} interval includes 0: no decision"


def _finite(arm: str, values: Sequence[float] | FloatArray) -> FloatArray:
    """The arm's values as floats; NaN or infinite values raise ``ValueError`` naming the arm
    (a comparison computed from them would be meaningless)."""
    arr = np.asarray(values, dtype=np.float64).ravel()
    bad = int(np.count_nonzero(~np.isfinite(arr)))
    if bad:
        raise ValueError(f"{arm}: {bad} of {arr.size} values are NaN or infinite")
    return arr


def _relative(effect: float, base: float) -> float:
    if base == 0:
        return 0.0 if effect == 0 else math.copysign(math.inf, effect)
    return effect / base


def compare_proportions(
    kpi: str,
    baseline_successes: int,
    baseline_trials: int,
    variant_successes: int,
    variant_trials: int,
    *,
    confidence: float = 0.95,
    higher_is_better: bool = True,
) -> KpiComparison:
    for name, value in (
        ("baseline_successes", baseline_successes),
        ("baseline_trials", baseline_trials),
        ("variant_successes", variant_successes),
        ("variant_trials", variant_trials),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
    if baseline_trials <= 0 or variant_trials <= 0:
        raise ValueError("both arms need at least one trial")
    if not (
        0 <= baseline_successes <= baseline_trials and 0 <= variant_successes <= variant_trials
    ):
        raise ValueError("successes must lie in [0, trials]")
    pb, pv = baseline_successes / baseline_trials, variant_successes / variant_trials
    diff = pv - pb
    se = math.sqrt(pb * (1 - pb) / baseline_trials + pv * (1 - pv) / variant_trials)
    z = float(special.ndtri(0.5 + confidence / 2))
    pooled = (baseline_successes + variant_successes) / (baseline_trials + variant_trials)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / baseline_trials + 1 / variant_trials))
    p = float(2 * special.ndtr(-abs(diff) / se0)) if se0 > 0 else 1.0
    outcome, reason = _outcome(kpi, diff - z * se, diff + z * se, higher_is_better, confidence)
    return KpiComparison(
        kpi,
        "difference in proportions",
        pb,
        pv,
        diff,
        _relative(diff, pb),
        diff - z * se,
        diff + z * se,
        p,
        confidence,
        outcome,
        reason,
    )


def compare_means(
    kpi: str,
    baseline: Sequence[float] | FloatArray,
    variant: Sequence[float] | FloatArray,
    *,
    confidence: float = 0.95,
    higher_is_better: bool = True,
) -> KpiComparison:
    """Welch's unequal-variance t interval for ``mean(variant) - mean(baseline)``."""
    b = _finite("baseline", baseline)
    v = _finite("variant", variant)
    if b.size < 2 or v.size < 2:
        raise ValueError("Welch's test needs at least two values per arm")
    mb, mv = float(b.mean()), float(v.mean())
    vb, vv = float(b.var(ddof=1)) / b.size, float(v.var(ddof=1)) / v.size
    diff, se = mv - mb, math.sqrt(vb + vv)
    if se == 0:
        low = high = diff
        p = 1.0 if diff == 0 else 0.0
    else:
        df = (vb + vv) ** 2 / (vb**2 / (b.size - 1) + vv**2 / (v.size - 1))
        t = float(stats.t.ppf(0.5 + confidence / 2, df))
        low, high = diff - t * se, diff + t * se
        p = float(2 * stats.t.sf(abs(diff) / se, df))
    outcome, reason = _outcome(kpi, low, high, higher_is_better, confidence)
    return KpiComparison(
        kpi, "welch t", mb, mv, diff, _relative(diff, mb), low, high, p, confidence, outcome, reason
    )


def compare_shift(
    kpi: str,
    baseline: Sequence[float] | FloatArray,
    variant: Sequence[float] | FloatArray,
    *,
    confidence: float = 0.95,
    higher_is_better: bool = True,
) -> KpiComparison:
    """Mann-Whitney test with the Hodges-Lehmann shift ``variant - baseline`` and its interval."""
    b = _finite("baseline", baseline)
    v = _finite("variant", variant)
    if b.size == 0 or v.size == 0:
        raise ValueError("both arms need at least one value")
    res = mann_whitney(v, b, confidence=confidence)
    mb = float(np.median(b))
    outcome, reason = _outcome(kpi, res.ci_low, res.ci_high, higher_is_better, confidence)
    return KpiComparison(
        kpi,
        "mann-whitney shift",
        mb,
        float(np.median(v)),
        res.shift,
        _relative(res.shift, mb),
        res.ci_low,
        res.ci_high,
        res.p_value,
        confidence,
        outcome,
        reason,
    )
