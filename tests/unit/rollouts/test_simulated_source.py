"""The simulated metric source: the same window gives the same numbers in any process."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from sluicegate.controller import SimulatedMetricSource
from sluicegate.service.metrics.ports import MetricQuery, MetricQueryError
from sluicegate.stats import MetricConfig, MetricKind

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
REQ = MetricQuery("requests", MetricConfig("requests", kind=MetricKind.COUNT))
ERR = MetricQuery("errors", MetricConfig("errors", kind=MetricKind.COUNT))
LAT = MetricQuery("latency", MetricConfig("latency"))


def _counts(spec: Mapping[str, object], variant: str, seconds: float = 30) -> tuple[float, float]:
    source = SimulatedMetricSource(spec)
    end = T0 + timedelta(seconds=seconds)
    return tuple(source.counts(REQ, ERR, {"variant": variant}, T0, end))  # type: ignore[return-value]


def test_same_window_same_numbers_and_adjacent_windows_add_up() -> None:
    spec = {"seed": 4, "requests_per_interval": 1000}
    assert _counts(spec, "canary") == _counts(spec, "canary")
    source = SimulatedMetricSource(spec)
    mid, end = T0 + timedelta(seconds=10), T0 + timedelta(seconds=30)
    whole = source.counts(REQ, ERR, {"variant": "baseline"}, T0, end)
    first = source.counts(REQ, ERR, {"variant": "baseline"}, T0, mid)
    second = source.counts(REQ, ERR, {"variant": "baseline"}, mid, end)
    assert whole.requests == first.requests + second.requests
    assert whole.errors == first.errors + second.errors


def test_a_bad_canary_has_more_errors_and_latency_is_returned_per_variant() -> None:
    bad = {"seed": 4, "canary_error_multiplier": 5.0, "canary_latency_shift_ms": 50}
    canary_req, canary_err = _counts(bad, "canary")
    base_req, base_err = _counts(bad, "baseline")
    assert canary_err / canary_req > 3 * base_err / base_req
    source = SimulatedMetricSource(bad)
    end = T0 + timedelta(seconds=5)
    canary = source.range(LAT, {"variant": "canary"}, T0, end, 1)
    baseline = source.range(LAT, {"variant": "baseline"}, T0, end, 1)
    assert len(canary) == len(baseline) > 0
    assert sum(canary) / len(canary) > sum(baseline) / len(baseline) + 25
    assert source.range(REQ, {"variant": "canary"}, T0, end, 1) == []


def test_bad_settings_and_empty_windows_are_query_errors() -> None:
    with pytest.raises(MetricQueryError):
        SimulatedMetricSource({"interval_seconds": 0})
    with pytest.raises(MetricQueryError):
        SimulatedMetricSource({"seed": "x"})
    with pytest.raises(MetricQueryError):
        SimulatedMetricSource({}).counts(REQ, ERR, {"variant": "canary"}, T0, T0)
