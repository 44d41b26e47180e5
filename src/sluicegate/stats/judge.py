"""The canary judge: per-metric Mann-Whitney comparison, SLO thresholds, groups and a score.

In the spirit of Kayenta's NetflixACAJudge: each metric is classified ``Pass``, ``High`` or
``Low`` from the confidence interval of the Hodges-Lehmann shift and the mean ratio (the effect
size) against the allowed increase/decrease; ``NoData`` and ``Error`` come from the data policies.
Metric groups are scored as the share of passing metrics, weighted into a 0..100 score; a failing
critical metric fails the verdict whatever the score.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

from sluicegate.stats.config import (
    KAYENTA_TOLERANCE,
    QUANTILES,
    Direction,
    DistributionTest,
    EffectSize,
    JudgeConfig,
    MetricConfig,
    MetricKind,
    MissingPolicy,
    Semantics,
    Threshold,
)
from sluicegate.stats.ranksum import (
    MAGNITUDE_LIMIT,
    mann_whitney,
    shift_test,
    smallest_p_value,
)
from sluicegate.stats.tails import ks_test, quantile_regression
from sluicegate.stats.verdict import (
    Classification,
    Decision,
    GroupScore,
    MetricResult,
    TailCheck,
    Verdict,
)

__all__ = ["judge", "judge_metric", "mean_ratio"]

FloatArray = npt.NDArray[np.float64]
Samples = Mapping[str, Sequence[float] | FloatArray]

_QUANTILES = {"median": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0}


def mean_ratio(canary_mean: float, baseline_mean: float) -> float:
    """``canary / baseline``; 1 when both are 0, +-inf when only the baseline is 0."""
    if baseline_mean == 0.0:
        return 1.0 if canary_mean == 0.0 else math.copysign(math.inf, canary_mean)
    return canary_mean / baseline_mean


def _statistic(values: FloatArray, name: str) -> float:
    if name == "mean":
        return float(np.mean(values))
    if name == "max":
        return float(np.max(values))
    if name == "min":
        return float(np.min(values))
    return float(np.percentile(values, _QUANTILES[name]))


def _policy_result(
    metric: MetricConfig, policy: MissingPolicy, cls: Classification, what: str
) -> MetricResult:
    passed = policy is MissingPolicy.PASS
    counted = policy is not MissingPolicy.IGNORE
    verdict = {"fail": "counts as a failure", "ignore": "is ignored", "pass": "counts as a pass"}
    return MetricResult(
        name=metric.name,
        group=metric.group,
        critical=metric.critical,
        classification=cls,
        passed=passed,
        counted=counted,
        reason=f"{what}; policy {policy.value!r}: the metric {verdict[policy.value]}",
    )


def _check_kind(metric: MetricConfig, values: FloatArray, side: str) -> str | None:
    if values.size == 0:
        return None
    if metric.kind is MetricKind.RATIO and (values.min() < 0.0 or values.max() > 1.0):
        return f"{side} has values outside [0, 1] for a ratio metric"
    if metric.kind in (MetricKind.LATENCY, MetricKind.COUNT) and values.min() < 0.0:
        return f"{side} has negative values for a {metric.kind.value} metric"
    return None


def _threshold_breach(threshold: Threshold, value: float) -> Classification | None:
    if threshold.max is not None and value > threshold.max:
        return Classification.HIGH
    if threshold.min is not None and value < threshold.min:
        return Classification.LOW
    return None


def _is_binary(values: FloatArray) -> bool:
    return bool(np.all((values == 0.0) | (values == 1.0)))


def _infer_kind(b: FloatArray, c: FloatArray) -> MetricKind:
    """0/1 values: ``ratio`` (per-request indicators); whole numbers >= 0: ``count``; else
    ``continuous``."""
    both = np.concatenate((b, c))
    if _is_binary(both):
        return MetricKind.RATIO
    if bool(np.all(both >= 0.0)) and bool(np.all(both == np.floor(both))):
        return MetricKind.COUNT
    return MetricKind.CONTINUOUS


def _wilson(k: float, n: int, z: float) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class _Comparison:
    method: str
    statistic: float
    p_value: float
    shift: float
    ci_low: float
    ci_high: float
    up: bool  # significantly above the tolerance bound
    down: bool  # significantly below minus the bound
    cles: float
    bound: float


def _proportions(b: FloatArray, c: FloatArray, confidence: float, tol: float) -> _Comparison:
    """Per-request 0/1 values: difference in proportions with Newcombe's hybrid score interval
    (decides) and the pooled two-proportion z-test (reported p-value)."""
    kc, kb, nc, nb = float(c.sum()), float(b.sum()), int(c.size), int(b.size)
    pc, pb = kc / nc, kb / nb
    diff = pc - pb
    z = float(special.ndtri(0.5 + confidence / 2.0))
    lc, uc = _wilson(kc, nc, z)
    lb, ub = _wilson(kb, nb, z)
    low = diff - math.sqrt((pc - lc) ** 2 + (ub - pb) ** 2)
    high = diff + math.sqrt((uc - pc) ** 2 + (pb - lb) ** 2)
    pooled = (kc + kb) / (nc + nb)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nb))
    zstat = diff / se0 if se0 > 0 else 0.0
    p = float(2.0 * special.ndtr(-abs(zstat))) if se0 > 0 else 1.0
    bound = tol * abs(diff)
    cles = pc * (1 - pb) + 0.5 * (pc * pb + (1 - pc) * (1 - pb))
    method = "difference in proportions (Newcombe interval; pooled z-test p-value)"
    return _Comparison(method, zstat, p, diff, low, high, low > bound, high < -bound, cles, bound)


def _ranks(b: FloatArray, c: FloatArray, confidence: float, tol: float) -> _Comparison:
    """The Mann-Whitney test and Hodges-Lehmann interval; the decision is the tie-corrected
    one-sided test at the bound (``shift_test``), which for untied data is exactly "the interval
    excludes the bound" and for tied data still follows the p-value."""
    res = mann_whitney(c, b, confidence=confidence, method="auto")
    n = c.size * b.size
    alpha_side = (1.0 - confidence) / 2.0
    bound = tol * abs(res.shift)
    if bound == 0.0:
        up = res.u > n / 2.0 and res.p_value <= 1.0 - confidence
        down = res.u < n / 2.0 and res.p_value <= 1.0 - confidence
    else:
        up = shift_test(c, b, bound).p_greater <= alpha_side
        down = shift_test(c, b, -bound).p_less <= alpha_side
    how = "exact" if res.method == "exact" else "asymptotic, tie-corrected"
    method = f"mann-whitney ({how}) with hodges-lehmann interval"
    return _Comparison(
        method, res.u, res.p_value, res.shift, res.ci_low, res.ci_high, up, down, res.u / n, bound
    )


def _tail_checks(
    metric: MetricConfig, b: FloatArray, c: FloatArray, confidence: float
) -> list[TailCheck]:
    bad_high = metric.direction in (Direction.INCREASE, Direction.EITHER)
    bad_low = metric.direction in (Direction.DECREASE, Direction.EITHER)
    out = []
    for name, pct in sorted(metric.quantiles.items(), key=lambda kv: QUANTILES[kv[0]]):
        out.append(
            quantile_regression(
                name,
                b,
                c,
                pct,
                confidence,
                q=QUANTILES[name],
                increase_bad=bad_high,
                decrease_bad=bad_low,
            )
        )
    if metric.distribution_test is DistributionTest.KS:
        ks = ks_test(c, b)
        regressed = ks.p_value <= 1.0 - confidence
        cls = Classification.PASS
        if regressed:
            cls = Classification.HIGH if ks.greater >= ks.less else Classification.LOW
        why = (
            f"the distributions differ (KS D = {ks.statistic:.3g}, p = {ks.p_value:.3g})"
            if regressed
            else f"no difference in distribution shown (KS D = {ks.statistic:.3g}, "
            f"p = {ks.p_value:.3g})"
        )
        out.append(
            TailCheck(
                "ks",
                "two-sample kolmogorov-smirnov (asymptotic)",
                ks.statistic,
                math.nan,
                math.nan,
                math.nan,
                ks.p_value,
                regressed,
                cls,
                why,
            )
        )
    return out


def _finite_samples(
    metric: MetricConfig,
    baseline: Sequence[float] | FloatArray | None,
    canary: Sequence[float] | FloatArray | None,
    config: JudgeConfig,
) -> MetricResult | tuple[FloatArray, FloatArray]:
    """A missing series (nodata policy), NaN and infinities (nan policy), and values too large to
    subtract (Error); else the finite samples."""
    nodata = metric.nodata or config.nodata
    nan_policy = metric.nan or config.nan
    if baseline is None or canary is None:
        side = "baseline" if baseline is None else "canary"
        return _policy_result(metric, nodata, Classification.NODATA, f"no {side} series")
    b = np.asarray(baseline, dtype=np.float64).ravel()
    c = np.asarray(canary, dtype=np.float64).ravel()
    bad_b, bad_c = int(np.count_nonzero(~np.isfinite(b))), int(np.count_nonzero(~np.isfinite(c)))
    if bad_b or bad_c:
        what = f"{bad_b} baseline and {bad_c} canary values are NaN or infinite"
        if nan_policy is not MissingPolicy.IGNORE:
            cls = Classification.ERROR if nan_policy is MissingPolicy.FAIL else Classification.PASS
            return _policy_result(metric, nan_policy, cls, what)
        b, c = b[np.isfinite(b)], c[np.isfinite(c)]
    if (b.size and float(np.max(np.abs(b))) > MAGNITUDE_LIMIT) or (
        c.size and float(np.max(np.abs(c))) > MAGNITUDE_LIMIT
    ):
        huge = f"values beyond +-{MAGNITUDE_LIMIT:g} cannot be compared without overflow"
        return MetricResult(
            metric.name, metric.group, metric.critical, Classification.ERROR, False, True, huge
        )
    return b, c


def _screen(
    metric: MetricConfig,
    baseline: Sequence[float] | FloatArray | None,
    canary: Sequence[float] | FloatArray | None,
    config: JudgeConfig,
    semantics: Semantics,
) -> MetricResult | tuple[FloatArray, FloatArray]:
    """The data policies and input checks, in order: a result when they decide, else the two
    samples (finite values only) to compare."""
    nodata = metric.nodata or config.nodata
    finite = _finite_samples(metric, baseline, canary, config)
    if isinstance(finite, MetricResult):
        return finite
    b, c = finite
    kayenta = semantics is Semantics.KAYENTA
    if b.size and c.size:
        # Identical data (and, as in Kayenta, one single value on both sides) is a Pass.
        same = (
            b.size == c.size
            and float(np.min(b)) == float(np.min(c))
            and float(np.max(b)) == float(np.max(c))
            and float(np.sum(b)) == float(np.sum(c))  # cheap filters before two sorts
            and bool(np.array_equal(np.sort(b), np.sort(c)))
        )
        flat = float(np.min(b)) == float(np.max(b)) == float(np.min(c)) == float(np.max(c))
        if same or (kayenta and flat):
            why = "the canary and baseline data are identical" if same else "all values are equal"
            return MetricResult(
                metric.name,
                metric.group,
                False,
                Classification.PASS,
                True,
                True,
                why,
                baseline_count=int(b.size),
                canary_count=int(c.size),
                baseline_mean=float(np.mean(b)),
                canary_mean=float(np.mean(c)),
                effect=1.0,
                semantics=semantics.value,
            )
    needed = max(1 if kayenta and metric.min_samples == 3 else metric.min_samples, 1)
    problem = None
    if b.size >= needed and c.size >= needed and metric.kind_given:
        problem = _check_kind(metric, b, "baseline") or _check_kind(metric, c, "canary")
    if problem:
        return MetricResult(
            metric.name, metric.group, metric.critical, Classification.ERROR, False, True, problem
        )
    floor = smallest_p_value(int(b.size), int(c.size))
    short: str | None = None
    if b.size < needed or c.size < needed:
        short = (
            f"too few samples (baseline {b.size}, canary {c.size}; "
            f"at least {needed} needed per side)"
        )
    elif floor >= 1.0 - config.confidence:
        short = (
            f"too few samples for {config.confidence:.0%} confidence: with baseline {b.size} and "
            f"canary {c.size} values the smallest possible two-sided p-value is {floor:.3g}, "
            f"not below {1.0 - config.confidence:.3g}"
        )
    if short is not None:
        return _policy_result(metric, nodata, Classification.NODATA, short)
    return b, c


def judge_metric(
    metric: MetricConfig,
    baseline: Sequence[float] | FloatArray | None,
    canary: Sequence[float] | FloatArray | None,
    config: JudgeConfig,
) -> MetricResult:
    """Compare one metric's canary samples with its baseline samples.

    Outcomes for awkward input (docs/statistics.md, "Input hygiene"): a missing series, too few
    values, or sizes with which ``config.confidence`` cannot be reached: NoData under the
    ``nodata`` policy; NaN or infinite values: the ``nan`` policy (``fail``: Error, ``pass``:
    Pass, ``ignore``: drop them and judge the rest); values impossible for the configured kind:
    Error; identical samples: Pass.  Never a number computed from NaN.
    """
    semantics = metric.semantics or config.semantics
    screened = _screen(metric, baseline, canary, config, semantics)
    if isinstance(screened, MetricResult):
        return screened
    b, c = screened
    kayenta = semantics is Semantics.KAYENTA
    kind = metric.kind if metric.kind_given else _infer_kind(b, c)
    tol = metric.tolerance if metric.tolerance is not None else KAYENTA_TOLERANCE * kayenta
    binary = kind is MetricKind.RATIO and _is_binary(b) and _is_binary(c)
    cmp = (_proportions if binary else _ranks)(b, c, config.confidence, tol)
    mb, mc = float(np.mean(b)), float(np.mean(c))
    effect = cmp.cles if metric.effect_size is EffectSize.CLES else mean_ratio(mc, mb)
    label = _label(metric, cmp, effect, config.confidence, kayenta)
    reason = label.reason + (
        f" [{cmp.method}; kind {kind.value}{'' if metric.kind_given else ' (inferred)'}]"
        + label.suffix
    )
    cls, passed = label.cls, label.passed
    checks: list[TailCheck] = []
    if metric.quantiles or metric.distribution_test is not None:
        checks = _tail_checks(metric, b, c, config.confidence)
    failed_checks = [t for t in checks if t.regressed]
    if failed_checks and passed:
        cls, passed = failed_checks[0].classification, False
        reason = "; ".join(t.reason for t in failed_checks) + "; " + reason
    stat_name, stat_value = None, math.nan
    if metric.threshold is not None:
        stat_name = metric.threshold.statistic
        stat_value = _statistic(c, stat_name)
        breach = _threshold_breach(metric.threshold, stat_value)
        if breach is not None:
            cls, passed = breach, False
            bound = metric.threshold.max if breach is Classification.HIGH else metric.threshold.min
            side = "above the maximum" if breach is Classification.HIGH else "below the minimum"
            reason = f"canary {stat_name} = {stat_value:.4g} is {side} {bound:g}; " + reason
    return MetricResult(
        name=metric.name,
        group=metric.group,
        critical=label.critical,
        classification=cls,
        passed=passed,
        counted=True,
        reason=reason,
        baseline_count=int(b.size),
        canary_count=int(c.size),
        baseline_mean=mb,
        canary_mean=mc,
        statistic=cmp.statistic,
        p_value=cmp.p_value,
        shift=cmp.shift,
        ci_low=cmp.ci_low,
        ci_high=cmp.ci_high,
        effect=effect,
        threshold_statistic=stat_name,
        threshold_value=stat_value,
        kind=kind.value,
        kind_inferred=not metric.kind_given,
        method=cmp.method,
        semantics=semantics.value,
        cles=cmp.cles,
        checks=tuple(checks),
    )


@dataclass(frozen=True, slots=True)
class _Label:
    cls: Classification
    passed: bool
    critical: bool
    reason: str
    suffix: str  # what the direction / criticality made of it


def _effect_thresholds(metric: MetricConfig) -> tuple[float, float]:
    if metric.effect_size_thresholds is not None:
        return metric.effect_size_thresholds
    if metric.effect_size is EffectSize.CLES:
        return 0.5, 0.5
    return 1.0 - metric.allowed_decrease_pct / 100.0, 1.0 + metric.allowed_increase_pct / 100.0


def _label(
    metric: MetricConfig, cmp: _Comparison, effect: float, confidence: float, kayenta: bool
) -> _Label:
    """High / Low / Pass from the test and the effect size; under Kayenta semantics only the
    bad direction(s) are labelled and criticality needs the critical thresholds."""
    low_t, high_t = _effect_thresholds(metric)
    # Kayenta compares inclusively; NaN compares False either way.
    big = effect >= high_t if kayenta else effect > high_t
    small = effect <= low_t if kayenta else effect < low_t
    bad_high = metric.direction in (Direction.INCREASE, Direction.EITHER)
    bad_low = metric.direction in (Direction.DECREASE, Direction.EITHER)
    measure = "CLES" if metric.effect_size is EffectSize.CLES else "mean ratio"
    interval = (
        f"shift {cmp.shift:+.4g} ({confidence:.0%} CI {cmp.ci_low:.4g} to {cmp.ci_high:.4g}), "
        f"{measure} {effect:.3f}, p = {cmp.p_value:.3g}"
    )
    beyond = f" beyond the tolerance {cmp.bound:.4g}" if cmp.bound > 0 else ""
    if cmp.up and big and (bad_high or not kayenta):
        cls = Classification.HIGH
        reason = f"canary is higher{beyond}: {interval} > allowed {high_t:.3f}"
    elif cmp.down and small and (bad_low or not kayenta):
        cls = Classification.LOW
        reason = f"canary is lower{beyond}: {interval} < allowed {low_t:.3f}"
    else:
        cls = Classification.PASS
        reason = f"no difference beyond the allowance: {interval}"
        if (cmp.up and big) or (cmp.down and small):
            reason += "; it moved the harmless way, so Kayenta semantics label it Pass"
    passed = not (
        (cls is Classification.HIGH and bad_high) or (cls is Classification.LOW and bad_low)
    )
    suffix = ""
    if not passed:
        suffix = "; that direction is bad for this metric"
    elif cls is not Classification.PASS:
        suffix = f"; only a{'n increase' if bad_high else ' decrease'} is bad, so it passes"
    critical = metric.critical
    if kayenta and metric.critical:
        crit_low, crit_high = metric.critical_thresholds or (1.0, 1.0)
        critical = (cls is Classification.HIGH and effect >= crit_high) or (
            cls is Classification.LOW and effect <= crit_low
        )
        if not passed and not critical:
            suffix += f"; within the critical thresholds {crit_low:g}..{crit_high:g}: not critical"
    return _Label(cls, passed, critical, reason, suffix)


def _score(results: Sequence[MetricResult], config: JudgeConfig) -> tuple[float, list[GroupScore]]:
    names = list(config.groups) or sorted({r.group for r in results})
    groups = []
    for name in names:
        members = [r for r in results if r.group == name and r.counted]
        passed = sum(1 for r in members if r.passed)
        groups.append(GroupScore(name, config.group_weight(name), passed, len(members)))
    live = [g for g in groups if g.total and g.weight > 0]
    total_weight = sum(g.weight for g in live)
    if not live or total_weight <= 0:
        return 0.0, groups
    return sum(g.weight * g.score for g in live) / total_weight, groups


def judge(
    baseline: Samples, canary: Samples, config: JudgeConfig, *, workers: int | None = None
) -> Verdict:
    """Judge every configured metric and combine the results into one explained verdict.

    Metrics are independent and NumPy releases the GIL while sorting, so with ``workers`` > 1
    (default: the CPU count, at most 8, for 8 or more metrics) they are judged on a thread pool.
    The result does not depend on ``workers``.
    """
    metrics = config.metrics
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(metrics) >= 8 else 1

    def one(metric: MetricConfig) -> MetricResult:
        return judge_metric(metric, baseline.get(metric.name), canary.get(metric.name), config)

    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = tuple(pool.map(one, metrics))
    else:
        results = tuple(one(m) for m in metrics)
    score, groups = _score(results, config)
    critical = tuple(r.name for r in results if r.critical and r.counted and not r.passed)
    failed = [r.name for r in results if r.counted and not r.passed]
    counted = sum(1 for r in results if r.counted)
    if critical:
        decision = Decision.FAIL
        reason = f"critical metric(s) failed: {', '.join(critical)}"
    elif counted == 0:
        decision = Decision.FAIL
        reason = "no metric could be judged (all were ignored by policy)"
    elif score >= config.pass_score:
        decision = Decision.PASS
        reason = f"score {score:.1f} >= pass threshold {config.pass_score:g}"
    elif score >= config.marginal_score:
        decision = Decision.MARGINAL
        reason = f"score {score:.1f} is marginal (>= {config.marginal_score:g}, < pass)"
    else:
        decision = Decision.FAIL
        reason = f"score {score:.1f} < marginal threshold {config.marginal_score:g}"
    if failed and decision is not Decision.PASS:
        reason += f"; failing: {', '.join(failed[:10])}" + (" ..." if len(failed) > 10 else "")
    return Verdict(
        decision=decision,
        score=score,
        pass_score=config.pass_score,
        marginal_score=config.marginal_score,
        reason=reason,
        metrics=results,
        groups=tuple(groups),
        critical_failures=critical,
        confidence=config.confidence,
    )
