"""A ``MetricSource`` fed by the seeded :class:`sluicegate.stats.Simulator` (demo and tests).

An analysis names it with ``source: {kind: simulated, seed: 7, ...}``. Time is cut into
``interval_seconds`` slices; slice ``n`` is the simulator's interval ``n``, so the same window gives
the same numbers in any process (a restarted controller sees what the killed one saw). Baseline
and canary take equal shares of the traffic, as a baseline/canary pair of deployments would.

Settings: ``seed``, ``interval_seconds`` (default 1), ``requests_per_interval`` (2000),
``error_ratio`` (0.01), ``canary_error_multiplier`` (1.0: healthy; 5.0: a bad canary),
``latency_ms`` (100) and ``canary_latency_shift_ms`` (0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sluicegate.service.metrics.ports import MetricQuery, MetricQueryError, RequestCounts
from sluicegate.stats import LatencyModel, Regression, Simulator, SimulatorConfig

__all__ = ["SimulatedMetricSource"]

_MAX_SLICES = 10_000


def _number(spec: Mapping[str, Any], key: str, default: float, low: float = 0.0) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
        raise MetricQueryError(f"simulated source: {key} must be a number >= {low}")
    return float(value)


class SimulatedMetricSource:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.interval = _number(spec, "interval_seconds", 1.0, low=0.01)
        multiplier = _number(spec, "canary_error_multiplier", 1.0)
        shift = _number(spec, "canary_latency_shift_ms", 0.0)
        config = SimulatorConfig(
            requests_per_interval=_number(spec, "requests_per_interval", 2000.0),
            canary_weight=0.5,
            baseline_error_ratio=min(_number(spec, "error_ratio", 0.01), 1.0),
            baseline_latency=LatencyModel(median_ms=_number(spec, "latency_ms", 100.0, 1.0)),
            regressions=(Regression(start=0, error_multiplier=multiplier, latency_shift_ms=shift),),
            latency_samples=50,
        )
        self.simulator = Simulator(config, seed=int(_number(spec, "seed", 0.0)))

    def _slices(self, start: datetime, end: datetime, *, include_start: bool) -> range:
        first = math.floor(start.timestamp() / self.interval)
        last = math.floor(end.timestamp() / self.interval)
        if not include_start:
            first += 1
        first = max(first, last - _MAX_SLICES)
        return range(max(first, 0), last + 1)

    def instant(self, query: MetricQuery, labels: Mapping[str, str], at: datetime) -> float | None:
        values = self.range(query, labels, at, at, self.interval)
        return values[-1] if values else None

    def range(
        self,
        query: MetricQuery,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_seconds: float,  # noqa: ARG002 - the slices are the simulator's intervals
    ) -> list[float]:
        if query.config.kind.value != "latency":
            return []
        variant = labels.get("variant")
        out: list[float] = []
        for index in self._slices(start, end, include_start=True):
            sample = self.simulator.interval(index)
            arm = sample.canary if variant == "canary" else sample.baseline
            out.extend(float(v) for v in arm.latency_ms)
        return out

    def counts(
        self,
        requests: MetricQuery,
        errors: MetricQuery,  # noqa: ARG002 - the simulator counts both at once
        labels: Mapping[str, str],
        window_start: datetime,
        window_end: datetime,
    ) -> RequestCounts:
        if window_end <= window_start:
            raise MetricQueryError("the counts window is empty", metric=requests.name)
        variant = labels.get("variant")
        total, failed = 0, 0
        for index in self._slices(window_start, window_end, include_start=False):
            sample = self.simulator.interval(index)
            arm = sample.canary if variant == "canary" else sample.baseline
            total += arm.requests
            failed += arm.errors
        return RequestCounts(float(total), float(failed))
