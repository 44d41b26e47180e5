"""Port for metric sources: where the canary judge and the sequential monitor get their numbers.

A ``MetricSource`` answers three questions about one metric for one variant:

* ``instant(query, labels, at)``: the value at ``at`` (``None`` when there is no data, or the value
  is NaN or infinite, so the judge's ``nodata`` policy applies);
* ``range(query, labels, start, end, step_seconds)``: the observations in ``[start, end]`` in time
  order, the samples the judge compares (``[]`` when there is no data; NaN and infinite values are
  dropped);
* ``counts(requests, errors, labels, window_start, window_end)``: how many requests and errors the
  variant served in the window, for ``SequentialMonitor.update`` (``RequestCounts(0.0, 0.0)`` when
  there is no data: no traffic).

Two adapters implement it: ``sluicegate.adapters.prometheus.PrometheusMetricSource`` (PromQL over
the HTTP API, also Thanos, Mimir and other compatible stores) and
``sluicegate.adapters.push_metrics.PushMetricSource`` (samples pushed to ``POST /api/v1/metrics``).
The same contract tests run against both.

``MetricQuery.query`` is a template. ``{name}`` placeholders (a bare identifier in braces, which is
never valid PromQL) are replaced from ``labels`` - by convention ``variant``, ``revision``,
``service`` and ``experiment`` - and ``{window}`` by a duration (``MetricQuery.window_seconds``, or
the step for ``range``, or the whole window for ``counts``), e.g.::

    sum(rate(http_requests_total{service="{service}",variant="{variant}",code=~"5.."}[{window}]))

Label values are escaped for a PromQL double-quoted string, so placeholders other than
``{window}`` must sit inside double quotes. A placeholder without a label raises
``MetricQueryError``. For the push source the rendered query is the pushed metric's name, and the
``experiment`` and ``variant`` labels select the samples.

How to read counts: Prometheus evaluates ``increase``-style queries, which extrapolate, so counts
are floats; round them (``round``) before handing them to the monitor. Pushed count metrics are
per-interval increments (not cumulative counters): ``counts`` sums the values pushed in
``(window_start, window_end]``.

``MetricSampleRecord`` and ``MetricSampleRepository`` are the store behind the push source
(``UnitOfWork.metric_samples``).

Errors (all ``MetricSourceError``, with a stable ``code``)::

    MetricSourceError
     +-- MetricQueryError         the query cannot be answered as written (bad PromQL, a missing
     |                            placeholder, a result that is not one number / one series)
     +-- MetricSourceUnavailable  the store could not be reached or failed (timeout, 5xx, 401/403)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol, runtime_checkable

from sluicegate.domain.errors import InvalidInput, Unavailable
from sluicegate.stats.config import Direction, MetricConfig, MetricKind

__all__ = [
    "LABEL_VARIANT",
    "METRIC_VARIANTS",
    "MetricQuery",
    "MetricQueryError",
    "MetricSampleRecord",
    "MetricSampleRepository",
    "MetricSource",
    "MetricSourceError",
    "MetricSourceUnavailable",
    "RequestCounts",
    "escape_label_value",
    "format_duration",
    "render_template",
]

LABEL_VARIANT = "variant"
METRIC_VARIANTS = ("baseline", "canary")

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class MetricSourceError(Unavailable):
    """Base of metric source errors; ``code`` is stable and kebab-case."""

    code = "metric-source-error"

    def __init__(self, message: str, *, metric: str | None = None) -> None:
        super().__init__(f"{metric}: {message}" if metric else message)
        self.metric = metric


class MetricQueryError(InvalidInput, MetricSourceError):
    """The query cannot be answered as written; fix the query or its labels."""

    code = "metric-query-invalid"


class MetricSourceUnavailable(MetricSourceError):
    """The store could not be reached, timed out, refused the credentials or failed."""

    code = "metric-source-unavailable"


class RequestCounts(NamedTuple):
    """Requests and errors one variant served in a window (floats: stores may extrapolate)."""

    requests: float
    errors: float


@dataclass(frozen=True, slots=True)
class MetricQuery:
    """One metric: the judge's view of it (``config``) and how to fetch it (``query``).

    ``query`` is a PromQL template for Prometheus or a (possibly templated) pushed metric name.
    ``window_seconds`` fills ``{window}`` for ``instant`` and ``range`` (``range`` uses the step
    when it is ``None``; ``instant`` uses 60 s).
    """

    query: str
    config: MetricConfig
    window_seconds: float | None = None

    def __post_init__(self) -> None:
        if not self.query.strip():
            raise ValueError("query must not be empty")
        if self.window_seconds is not None and not (
            math.isfinite(self.window_seconds) and self.window_seconds > 0
        ):
            raise ValueError("window_seconds must be a positive number")

    @classmethod
    def of(
        cls,
        name: str,
        query: str,
        *,
        kind: MetricKind = MetricKind.LATENCY,
        direction: Direction = Direction.INCREASE,
        critical: bool = False,
        window_seconds: float | None = None,
    ) -> MetricQuery:
        """Shorthand when no other judge setting is needed."""
        config = MetricConfig(name=name, kind=kind, direction=direction, critical=critical)
        return cls(query=query, config=config, window_seconds=window_seconds)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def kind(self) -> MetricKind:
        return self.config.kind

    @property
    def direction(self) -> Direction:
        return self.config.direction

    @property
    def critical(self) -> bool:
        return self.config.critical


@runtime_checkable
class MetricSource(Protocol):
    def instant(self, query: MetricQuery, labels: Mapping[str, str], at: datetime) -> float | None:
        """The value at ``at``; ``None`` for no data or NaN; raises ``MetricSourceError``."""
        ...

    def range(
        self,
        query: MetricQuery,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_seconds: float,
    ) -> list[float]:
        """Finite observations in ``[start, end]``, oldest first; ``[]`` for no data."""
        ...

    def counts(
        self,
        requests: MetricQuery,
        errors: MetricQuery,
        labels: Mapping[str, str],
        window_start: datetime,
        window_end: datetime,
    ) -> RequestCounts:
        """Requests and errors in ``(window_start, window_end]``; zeros for no data."""
        ...


@dataclass(frozen=True, slots=True)
class MetricSampleRecord:
    """One pushed observation, as stored (``labels`` are extra, free-form string labels)."""

    id: str
    experiment_id: str
    metric: str
    variant: str
    value: float
    ts: datetime
    labels: Mapping[str, str]
    received_at: datetime


class MetricSampleRepository(Protocol):
    """The store behind ``POST /api/v1/metrics`` and the push metric source."""

    def add_many(self, samples: Sequence[MetricSampleRecord]) -> None: ...

    def query(
        self,
        experiment_id: str,
        *,
        metric: str | None = None,
        variant: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        include_since: bool = True,
        limit: int | None = None,
    ) -> list[MetricSampleRecord]:
        """Samples in ``[since, until]`` (``(since, until]`` without ``include_since``), by ts."""
        ...

    def prune(self, before: datetime) -> int:
        """Delete samples whose ``ts`` is before ``before``; returns how many."""
        ...


def format_duration(seconds: float) -> str:
    """A PromQL duration: whole milliseconds, in seconds when exact (``90s``, ``1500ms``)."""
    if not math.isfinite(seconds) or seconds <= 0:
        raise MetricQueryError(f"window must be a positive duration, got {seconds!r}")
    millis = max(1, round(seconds * 1000))
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def escape_label_value(value: str) -> str:
    """Escape a value for a PromQL double-quoted string literal."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def render_template(
    template: str,
    labels: Mapping[str, str],
    window_seconds: float,
    *,
    metric: str | None = None,
    escape: bool = True,
) -> str:
    """Replace ``{label}`` placeholders (escaped unless ``escape`` is false) and ``{window}``."""

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "window":
            return format_duration(window_seconds)
        if key not in labels:
            raise MetricQueryError(f"placeholder {{{key}}} has no label value", metric=metric)
        value = str(labels[key])
        return escape_label_value(value) if escape else value

    return _PLACEHOLDER.sub(one, template)
