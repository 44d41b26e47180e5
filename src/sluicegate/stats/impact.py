"""Comparing delivery figures between two periods, with their uncertainty (issue 13 §4).

An experiment's effect on its services is the change of each DORA metric from the period
before it to the period while it ran (and after it ended). Each comparison carries an interval
at the chosen confidence, and says "no data" when a period has nothing to compare:

* **rates** (change failure rate, rework rate): the difference in proportions with Newcombe's
  hybrid score interval (his method 10, from two Wilson intervals; the judge's interval);
* **durations** (lead time, recovery time): the difference of medians with a percentile
  bootstrap interval, by ``scipy.stats.bootstrap`` (seeded, so the same data give the same
  interval);
* **deployment frequency**: the ratio of the two deployment rates (per day) with the exact
  conditional interval: given the total count, the first period's count is binomial, so the
  Clopper-Pearson interval of that proportion maps onto the ratio.

Pure computation (numpy/scipy), no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "DEFAULT_CONFIDENCE",
    "Comparison",
    "median_difference",
    "rate_difference",
    "rate_ratio",
]

DEFAULT_CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 2000
_SEED = 20261204


@dataclass(frozen=True, slots=True)
class Comparison:
    """``estimate`` of the change from ``before`` to ``after``; the interval may be None."""

    before: float | None
    after: float | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    method: str
    note: str | None = None

    @property
    def significant(self) -> bool | None:
        """Whether the interval excludes no change (0, or 1 for a ratio)."""
        if self.ci_low is None or self.ci_high is None:
            return None
        null = 1.0 if self.method.startswith("ratio") else 0.0
        return self.ci_low > null or self.ci_high < null

    def to_dict(self) -> dict[str, object]:
        return {
            "before": self.before,
            "after": self.after,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "significant": self.significant,
            "method": self.method,
            "note": self.note,
        }


def _z(confidence: float) -> float:
    return float(special.ndtri(0.5 + confidence / 2.0))


def _wilson(k: int, n: int, z: float) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def rate_difference(
    k_before: int,
    n_before: int,
    k_after: int,
    n_after: int,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Comparison:
    """``k/n`` after minus before, with Newcombe's hybrid score interval."""
    method = "difference in proportions (Newcombe hybrid score interval)"
    before = k_before / n_before if n_before else None
    after = k_after / n_after if n_after else None
    if before is None or after is None:
        return Comparison(before, after, None, None, None, method, "no data in a period")
    z = _z(confidence)
    lb, ub = _wilson(k_before, n_before, z)
    la, ua = _wilson(k_after, n_after, z)
    diff = after - before
    low = diff - math.sqrt((after - la) ** 2 + (ub - before) ** 2)
    high = diff + math.sqrt((ua - after) ** 2 + (before - lb) ** 2)
    return Comparison(before, after, diff, low, high, method)


def median_difference(
    before: Sequence[float],
    after: Sequence[float],
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> Comparison:
    """Median after minus median before, with a percentile bootstrap interval."""
    method = "difference of medians (percentile bootstrap)"
    mb = float(np.median(before)) if len(before) else None
    ma = float(np.median(after)) if len(after) else None
    if mb is None or ma is None:
        return Comparison(mb, ma, None, None, None, method, "no data in a period")
    diff = ma - mb
    if len(before) < 2 or len(after) < 2:
        return Comparison(mb, ma, diff, None, None, method, "too few values for an interval")
    if len(set(before)) == 1 and len(set(after)) == 1:
        return Comparison(mb, ma, diff, diff, diff, method, "every value is the same")

    def statistic(b: np.ndarray, a: np.ndarray, axis: int) -> np.ndarray:
        return np.asarray(np.median(a, axis=axis) - np.median(b, axis=axis))

    result = stats.bootstrap(
        (np.asarray(before, dtype=float), np.asarray(after, dtype=float)),
        statistic,
        n_resamples=resamples,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        random_state=np.random.default_rng(_SEED),
    )
    ci = result.confidence_interval
    return Comparison(mb, ma, diff, float(ci.low), float(ci.high), method)


def rate_ratio(
    count_before: int,
    days_before: float,
    count_after: int,
    days_after: float,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Comparison:
    """Events per day after over before, with the exact conditional (binomial) interval."""
    method = "ratio of rates (exact conditional interval)"
    before = count_before / days_before if days_before > 0 else None
    after = count_after / days_after if days_after > 0 else None
    if before is None or after is None:
        return Comparison(before, after, None, None, None, method, "a period has no length")
    if count_before == 0:
        note = "no events before: the ratio is unbounded"
        return Comparison(before, after, None, None, None, method, note)
    total = count_before + count_after
    ci = stats.binomtest(count_after, total).proportion_ci(confidence, method="exact")
    scale = days_before / days_after

    def ratio(p: float) -> float:
        return math.inf if p >= 1.0 else p / (1.0 - p) * scale

    return Comparison(
        before, after, after / before, ratio(float(ci.low)), ratio(float(ci.high)), method
    )
