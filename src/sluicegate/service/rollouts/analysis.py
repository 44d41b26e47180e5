"""One analysis tick: counts into the sequential monitor, and at the end the judge's verdict.

The metric queries of an analysis step (``analysis.queries``)::

    requests: 'sum(increase(http_requests_total{variant="{variant}"}[{window}]))'
    errors:   'sum(increase(http_requests_total{variant="{variant}",code=~"5.."}[{window}]))'
    metrics:  {latency: 'histogram_quantile(0.5, ...)'}   # judged by analysis.judge

For the push source the queries are pushed metric names (defaults ``requests`` and ``errors``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sluicegate.domain.rollouts import AnalysisSpec
from sluicegate.service.metrics.ports import MetricQuery, MetricSource
from sluicegate.stats import (
    Action,
    MetricConfig,
    MetricKind,
    MonitorConfig,
    SequentialMonitor,
    Verdict,
    judge,
    parse_judge_config,
)

__all__ = ["TickResult", "analyse_tick", "final_verdict", "json_safe"]

_VARIANTS = ("baseline", "canary")


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None (the audit ledger's canonical JSON has none)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class TickResult:
    monitor: dict[str, Any]
    decision: dict[str, Any]
    rollback: bool


def _count_queries(spec: AnalysisSpec) -> tuple[MetricQuery, MetricQuery]:
    q = spec.queries
    requests = MetricQuery(
        str(q.get("requests", "requests")), MetricConfig("requests", kind=MetricKind.COUNT)
    )
    errors = MetricQuery(
        str(q.get("errors", "errors")), MetricConfig("errors", kind=MetricKind.COUNT)
    )
    return requests, errors


def analyse_tick(
    spec: AnalysisSpec,
    source: MetricSource,
    labels: Mapping[str, str],
    monitor_state: Mapping[str, Any] | None,
    window_start: datetime,
    window_end: datetime,
) -> TickResult:
    """Feed the window's counts of both variants to the monitor (state in, state out)."""
    monitor = (
        SequentialMonitor.from_dict(monitor_state)
        if monitor_state
        else SequentialMonitor(MonitorConfig(**dict(spec.monitor)))
    )
    requests, errors = _count_queries(spec)
    counts = {
        v: source.counts(requests, errors, {**labels, "variant": v}, window_start, window_end)
        for v in _VARIANTS
    }
    base, canary = counts["baseline"], counts["canary"]
    raw = (canary.requests, canary.errors, base.requests, base.errors)
    usable = all(math.isfinite(v) and v >= 0 for v in raw)
    if usable:
        decision = monitor.update(
            round(canary.requests),
            min(round(canary.errors), round(canary.requests)),
            round(base.requests),
            min(round(base.errors), round(base.requests)),
        )
    else:
        # NaN, infinite or negative counts carry no information: the window counts as empty
        # (the monitor's evidence is unchanged) and the decision says why.
        decision = monitor.update(0, 0, 0, 0)
    summary = decision.to_dict()
    summary.pop("state", None)
    if not usable:
        summary["reason"] = (
            f"the metric source returned unusable counts {list(raw)!r} (NaN, infinite or "
            f"negative); this window is treated as empty. {summary['reason']}"
        )
    return TickResult(monitor.to_dict(), json_safe(summary), decision.action is Action.ROLLBACK)


def final_verdict(
    spec: AnalysisSpec,
    source: MetricSource,
    labels: Mapping[str, str],
    start: datetime,
    end: datetime,
    step_seconds: float,
) -> Verdict | None:
    """The judge's verdict over the step's window, or None when the step judges no metrics."""
    metrics = spec.queries.get("metrics") or {}
    if not metrics:
        return None
    judge_doc = dict(spec.judge or {})
    # A judge section that only sets judge-wide options (say ``{semantics: kayenta}``) judges
    # every queried metric with them.
    judge_doc.setdefault("metrics", [{"name": name} for name in sorted(metrics)])
    config = parse_judge_config(judge_doc)
    samples: dict[str, dict[str, list[float]]] = {v: {} for v in _VARIANTS}
    for metric in config.metrics:
        template = metrics.get(metric.name)
        if template is None:
            continue
        query = MetricQuery(str(template), metric)
        for v in _VARIANTS:
            samples[v][metric.name] = source.range(
                query, {**labels, "variant": v}, start, end, step_seconds
            )
    return judge(samples["baseline"], samples["canary"], config)
