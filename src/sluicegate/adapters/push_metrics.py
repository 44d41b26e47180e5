"""Pushed metric samples: the SQL repository and the ``MetricSource`` that reads it.

Samples arrive through ``POST /api/v1/metrics`` (``sluicegate.service.metrics``) and land in the
``metric_samples`` table. ``PushMetricSource`` answers the metric source port from that table:

* the rendered ``MetricQuery.query`` (placeholders replaced, not PromQL-escaped) is the pushed
  metric's name; the ``experiment`` (key) and ``variant`` labels select the series;
* a sample that carries one of the caller's other labels (``revision``, ``service``, ...) matches
  only if its value is the same; samples without that label match any value;
* ``instant``: the latest sample in ``(at - window, at]``; ``range``: every sample in
  ``[start, end]`` (each pushed sample is one observation, ``step_seconds`` does not thin them);
  ``counts``: the sums of the pushed per-interval requests and errors in ``(start, end]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta

from sluicegate.service.metrics.ports import (
    MetricQuery,
    MetricQueryError,
    MetricSampleRecord,
    RequestCounts,
    render_template,
)
from sluicegate.service.ports import UnitOfWork, UnitOfWorkFactory

__all__ = ["DEFAULT_INSTANT_WINDOW_SECONDS", "PushMetricSource"]

DEFAULT_INSTANT_WINDOW_SECONDS = 60.0
_SELECTORS = ("experiment", "variant")


def _matches(sample: MetricSampleRecord, labels: Mapping[str, str]) -> bool:
    return all(labels.get(k, v) == v for k, v in sample.labels.items())


class PushMetricSource:
    """``MetricSource`` over pushed samples (see the module docstring for the semantics)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def _samples(
        self,
        query: MetricQuery,
        labels: Mapping[str, str],
        window_seconds: float,
        since: datetime,
        until: datetime,
        *,
        include_since: bool,
    ) -> list[MetricSampleRecord]:
        missing = [k for k in _SELECTORS if not labels.get(k)]
        if missing:
            raise MetricQueryError(
                f"the push source needs the label(s) {', '.join(missing)}", metric=query.name
            )
        name = render_template(query.query, labels, window_seconds, metric=query.name, escape=False)
        with self._uow(readonly=True) as uow:
            return self._select(uow, name, labels, since, until, include_since)

    @staticmethod
    def _select(
        uow: UnitOfWork,
        name: str,
        labels: Mapping[str, str],
        since: datetime,
        until: datetime,
        include_since: bool,
    ) -> list[MetricSampleRecord]:
        experiment = uow.experiments.get_by_key(labels["experiment"])
        if experiment is None:
            return []
        found = uow.metric_samples.query(
            experiment.id,
            metric=name,
            variant=labels["variant"],
            since=since,
            until=until,
            include_since=include_since,
        )
        return [s for s in found if _matches(s, labels) and math.isfinite(s.value)]

    def instant(self, query: MetricQuery, labels: Mapping[str, str], at: datetime) -> float | None:
        window = query.window_seconds or DEFAULT_INSTANT_WINDOW_SECONDS
        since = at - timedelta(seconds=window)
        found = self._samples(query, labels, window, since, at, include_since=False)
        return found[-1].value if found else None

    def range(
        self,
        query: MetricQuery,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_seconds: float,
    ) -> list[float]:
        if end < start:
            raise MetricQueryError("range end is before its start", metric=query.name)
        window = query.window_seconds or step_seconds
        return [
            s.value for s in self._samples(query, labels, window, start, end, include_since=True)
        ]

    def counts(
        self,
        requests: MetricQuery,
        errors: MetricQuery,
        labels: Mapping[str, str],
        window_start: datetime,
        window_end: datetime,
    ) -> RequestCounts:
        if window_end <= window_start:
            raise MetricQueryError("the counts window is empty", metric=requests.name)
        window = (window_end - window_start).total_seconds()
        totals = [
            math.fsum(
                s.value
                for s in self._samples(
                    q, labels, window, window_start, window_end, include_since=False
                )
            )
            for q in (requests, errors)
        ]
        return RequestCounts(totals[0], totals[1])
