"""The analysis step's judge options and unusable counts (issue 10)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import numpy as np

from sluicegate.domain.rollouts import AnalysisSpec
from sluicegate.service.metrics.ports import MetricQuery, RequestCounts
from sluicegate.service.rollouts.analysis import analyse_tick, final_verdict

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeSource:
    """Unit-test stand-in for a metric source: fixed samples and counts per variant."""

    def __init__(self, counts: Mapping[str, RequestCounts]) -> None:
        self.counts_by_variant = counts
        rng = np.random.default_rng(1)
        self.samples = {
            "baseline": list(rng.normal(100, 5, 400)),
            "canary": list(rng.normal(101.3, 5, 400)),
        }

    def instant(self, query: MetricQuery, labels: Mapping[str, str], at: datetime) -> float | None:
        return None

    def range(
        self,
        query: MetricQuery,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_seconds: float,
    ) -> list[float]:
        return self.samples[labels["variant"]]

    def counts(
        self,
        requests: MetricQuery,
        errors: MetricQuery,
        labels: Mapping[str, str],
        window_start: datetime,
        window_end: datetime,
    ) -> RequestCounts:
        return self.counts_by_variant[labels["variant"]]


def test_a_judge_section_with_only_options_judges_every_queried_metric() -> None:
    spec = AnalysisSpec(judge={"semantics": "kayenta"}, queries={"metrics": {"latency": "q"}})
    source = FakeSource({})
    verdict = final_verdict(spec, source, {}, T0, T0 + timedelta(minutes=5), 60.0)
    assert verdict is not None
    assert verdict.metric("latency").semantics == "kayenta"


def test_nan_counts_from_a_source_count_as_an_empty_window() -> None:
    spec = AnalysisSpec()
    source = FakeSource(
        {"baseline": RequestCounts(math.nan, 0.0), "canary": RequestCounts(100.0, 1.0)}
    )
    tick = analyse_tick(spec, source, {}, None, T0, T0 + timedelta(minutes=1))
    assert not tick.rollback
    assert "unusable counts" in tick.decision["reason"]
    assert tick.monitor["state"]["canary_requests"] == 0
