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

import numpy as np
import numpy.typing as npt

from sluicegate.stats.config import (
    Direction,
    JudgeConfig,
    MetricConfig,
    MetricKind,
    MissingPolicy,
    Threshold,
)
from sluicegate.stats.ranksum import mann_whitney
from sluicegate.stats.verdict import Classification, Decision, GroupScore, MetricResult, Verdict

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


def judge_metric(
    metric: MetricConfig,
    baseline: Sequence[float] | FloatArray | None,
    canary: Sequence[float] | FloatArray | None,
    config: JudgeConfig,
) -> MetricResult:
    """Compare one metric's canary samples with its baseline samples."""
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
    if b.size < metric.min_samples or c.size < metric.min_samples:
        what = (
            f"too few samples (baseline {b.size}, canary {c.size}; "
            f"at least {metric.min_samples} needed per side)"
        )
        return _policy_result(metric, nodata, Classification.NODATA, what)
    problem = _check_kind(metric, b, "baseline") or _check_kind(metric, c, "canary")
    if problem:
        return MetricResult(
            metric.name, metric.group, metric.critical, Classification.ERROR, False, True, problem
        )
    test = mann_whitney(c, b, confidence=config.confidence)
    mb, mc = float(np.mean(b)), float(np.mean(c))
    effect = mean_ratio(mc, mb)
    up_limit = 1.0 + metric.allowed_increase_pct / 100.0
    down_limit = 1.0 - metric.allowed_decrease_pct / 100.0
    level = f"{config.confidence:.0%}"
    if test.ci_low > 0.0 and effect > up_limit:
        cls = Classification.HIGH
        reason = (
            f"canary is higher: shift {test.shift:+.4g} ({level} CI {test.ci_low:.4g} to "
            f"{test.ci_high:.4g}), mean ratio {effect:.3f} > allowed {up_limit:.3f}"
        )
    elif test.ci_high < 0.0 and effect < down_limit:
        cls = Classification.LOW
        reason = (
            f"canary is lower: shift {test.shift:+.4g} ({level} CI {test.ci_low:.4g} to "
            f"{test.ci_high:.4g}), mean ratio {effect:.3f} < allowed {down_limit:.3f}"
        )
    else:
        cls = Classification.PASS
        reason = (
            f"no difference beyond the allowance: shift {test.shift:+.4g} ({level} CI "
            f"{test.ci_low:.4g} to {test.ci_high:.4g}), mean ratio {effect:.3f}, "
            f"p = {test.p_value:.3g}"
        )
    bad_high = metric.direction in (Direction.INCREASE, Direction.EITHER)
    bad_low = metric.direction in (Direction.DECREASE, Direction.EITHER)
    passed = not (
        (cls is Classification.HIGH and bad_high) or (cls is Classification.LOW and bad_low)
    )
    if not passed:
        reason += "; that direction is bad for this metric"
    elif cls is not Classification.PASS:
        reason += f"; only a{'n increase' if bad_high else ' decrease'} is bad, so it passes"
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
        critical=metric.critical,
        classification=cls,
        passed=passed,
        counted=True,
        reason=reason,
        baseline_count=int(b.size),
        canary_count=int(c.size),
        baseline_mean=mb,
        canary_mean=mc,
        statistic=test.u,
        p_value=test.p_value,
        shift=test.shift,
        ci_low=test.ci_low,
        ci_high=test.ci_high,
        effect=effect,
        threshold_statistic=stat_name,
        threshold_value=stat_value,
    )


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
