"""Opt-in tail and shape checks for a metric: quantile bounds and a two-sample KS test.

* ``quantile_bounds``: distribution-free confidence bounds for a quantile from order statistics:
  ``X_(l) <= xi_q`` with probability ``P(Binom(n, q) >= l)`` for continuous data, so the lower
  bound is the largest such order statistic whose probability is at least ``1 - a`` (and the upper
  bound mirrors it).  ``quantile_regression`` calls a regression at quantile ``q`` beyond
  ``max_increase_pct`` when the canary's lower bound exceeds the baseline's upper bound by more
  than that share: each bound at ``(1 - confidence) / 4``, so a false High has probability at most
  ``(1 - confidence) / 2``, the same as the rank test's one side.  Conservative, never
  over-confident; with too few samples for the bounds the check says so and does not fail.
* ``ks_test``: the two-sample Kolmogorov-Smirnov statistic ``D = sup |F_canary - F_baseline|``
  from one merge of the sorted samples, with the asymptotic p-value SciPy's ``ks_2samp(method=
  "asymp")`` uses (the one-sample KS distribution at ``round(n1 n2 / (n1 + n2))``).  It sees any
  change of shape (spread, tails, modes) but is least sensitive in the far tails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from sluicegate.stats.verdict import Classification, TailCheck

__all__ = ["KsResult", "ks_test", "quantile_bounds", "quantile_regression"]

FloatArray = npt.NDArray[np.float64]


def _finite(name: str, values: FloatArray) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    if arr.size == 0:
        raise ValueError(f"{name}: needs at least one value")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: NaN or infinite values; remove them first")
    return arr


def quantile_bounds(values: FloatArray, q: float, a: float) -> tuple[float, float, float]:
    """``(estimate, lower, upper)``: one-sided order-statistic bounds for quantile ``q``, each
    holding with probability >= ``1 - a``; -inf / +inf when ``n`` is too small for one."""
    if not 0.0 < q < 1.0 or not 0.0 < a < 0.5:
        raise ValueError("need 0 < q < 1 and 0 < a < 0.5")
    x = np.sort(_finite("values", values))
    n = x.size
    estimate = float(np.quantile(x, q))
    # Lower: the largest l (1-based) with P(Binom(n, q) >= l) >= 1 - a, i.e. cdf(l - 1) <= a.
    m = int(stats.binom.ppf(a, n, q))
    last = m if stats.binom.cdf(m, n, q) <= a else m - 1  # = l - 1
    lower = float(x[last]) if last >= 0 else -math.inf
    # Upper: the smallest u with P(Binom(n, q) <= u - 1) >= 1 - a.
    u_minus_1 = int(stats.binom.ppf(1.0 - a, n, q))
    upper = float(x[u_minus_1]) if u_minus_1 < n else math.inf
    return estimate, lower, upper


def quantile_regression(
    name: str,
    baseline: FloatArray,
    canary: FloatArray,
    max_change_pct: float,
    confidence: float,
    *,
    q: float,
    increase_bad: bool = True,
    decrease_bad: bool = False,
) -> TailCheck:
    """Is the canary's quantile ``q`` beyond ``max_change_pct`` of the baseline's, with
    confidence?  High when higher (and ``increase_bad``), Low when lower (and ``decrease_bad``)."""
    a = (1.0 - confidence) / 4.0
    c_est, c_low, c_high = quantile_bounds(canary, q, a)
    b_est, b_low, b_high = quantile_bounds(baseline, q, a)
    factor = max_change_pct / 100.0
    method = f"order-statistic bounds at {1 - a:.4g} each"
    if increase_bad and c_low > b_high + factor * abs(b_high):
        return TailCheck(
            name,
            method,
            c_est,
            b_est,
            c_low,
            b_high,
            math.nan,
            True,
            Classification.HIGH,
            f"{name} regressed: canary {name} >= {c_low:.4g} while baseline {name} <= "
            f"{b_high:.4g} (each at {1 - a:.2%}), more than {max_change_pct:g}% higher",
        )
    if decrease_bad and c_high < b_low - factor * abs(b_low):
        return TailCheck(
            name,
            method,
            c_est,
            b_est,
            c_high,
            b_low,
            math.nan,
            True,
            Classification.LOW,
            f"{name} dropped: canary {name} <= {c_high:.4g} while baseline {name} >= "
            f"{b_low:.4g}, more than {max_change_pct:g}% lower",
        )
    if not (math.isfinite(c_low) and math.isfinite(b_high)):
        why = (
            f"too few samples to bound {name} at {1 - a:.2%} (canary {canary.size}, baseline "
            f"{baseline.size}); it cannot fail"
        )
    else:
        why = (
            f"no {name} change beyond {max_change_pct:g}% shown: canary {c_est:.4g} "
            f"(>= {c_low:.4g}), baseline {b_est:.4g} (<= {b_high:.4g})"
        )
    return TailCheck(
        name, method, c_est, b_est, c_low, b_high, math.nan, False, Classification.PASS, why
    )


@dataclass(frozen=True, slots=True)
class KsResult:
    statistic: float  # D = sup |F_x - F_y|
    greater: float  # sup (F_y - F_x): x (canary) has larger values there
    less: float  # sup (F_x - F_y)
    p_value: float


def ks_test(x: FloatArray, y: FloatArray) -> KsResult:
    """Two-sample Kolmogorov-Smirnov test of ``x`` against ``y`` (asymptotic p-value)."""
    xs, ys = np.sort(_finite("x", x)), np.sort(_finite("y", y))
    n1, n2 = xs.size, ys.size
    pooled = np.concatenate((xs, ys))
    fx = np.searchsorted(xs, pooled, side="right") / n1
    fy = np.searchsorted(ys, pooled, side="right") / n2
    greater = float(max(0.0, np.max(fy - fx)))
    less = float(max(0.0, np.max(fx - fy)))
    d = max(greater, less)
    en = n1 * n2 / (n1 + n2)
    p = float(np.clip(stats.kstwo.sf(d, np.round(en)), 0.0, 1.0))
    return KsResult(d, greater, less, p)
