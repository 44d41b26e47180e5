"""``MetricSource`` over the Prometheus HTTP API (and Thanos, Mimir, VictoriaMetrics, ...).

``instant`` calls ``GET /api/v1/query`` at ``at``; ``range`` calls ``GET /api/v1/query_range``;
``counts`` evaluates the requests and errors templates at ``window_end`` with ``{window}`` set to
the whole window (``sum(increase(...[{window}]))``). Queries must return one number: a scalar, or
a vector / matrix of at most one series (aggregate with ``sum(...)``); anything else raises
``MetricQueryError``. ``NaN`` and infinite values are no data (``None``, or left out of ``range``)
so that the judge's ``nodata`` policy decides.

Errors are translated at this boundary:

* transport errors, timeouts, 5xx, 401/403 and bodies that are not the API's JSON
  -> ``MetricSourceUnavailable``;
* ``{"status": "error"}`` (bad PromQL: 400, execution errors: 422) and unexpected result types
  -> ``MetricQueryError`` carrying Prometheus' ``errorType`` and ``error``.

Authentication for hosted stores: a bearer token, or basic auth, plus any extra headers (for
example ``X-Scope-OrgID`` for a multi-tenant Mimir).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import httpx

from sluicegate.service.metrics.ports import (
    MetricQuery,
    MetricQueryError,
    MetricSourceUnavailable,
    RequestCounts,
    render_template,
)

__all__ = ["PrometheusConfig", "PrometheusMetricSource"]

DEFAULT_INSTANT_WINDOW_SECONDS = 60.0
MAX_POINTS = 11_000  # Prometheus refuses range queries of more than 11,000 points per series


@dataclass(frozen=True, slots=True)
class PrometheusConfig:
    url: str
    timeout_seconds: float = 10.0
    bearer_token: str | None = None
    username: str | None = None
    password: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"the Prometheus URL must be http(s)://..., got {self.url!r}")
        if self.bearer_token and self.username:
            raise ValueError("use either a bearer token or basic auth, not both")
        if self.timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")


def _value(raw: Any, metric: str) -> float | None:
    """One ``[ts, "value"]`` pair -> a finite float, or ``None`` for NaN and +-Inf."""
    try:
        value = float(raw[1])
    except (TypeError, ValueError, IndexError) as exc:
        raise MetricQueryError(f"unexpected sample {raw!r} in the result", metric=metric) from exc
    return value if math.isfinite(value) else None


class PrometheusMetricSource:
    """The Prometheus adapter; owns an ``httpx.Client`` (close it, or use ``with``)."""

    def __init__(self, config: PrometheusConfig, *, transport: httpx.BaseTransport | None = None):
        self.config = config
        auth: httpx.Auth | None = None
        headers = {"accept": "application/json", **dict(config.headers)}
        if config.bearer_token:
            headers["authorization"] = f"Bearer {config.bearer_token}"
        elif config.username:
            auth = httpx.BasicAuth(config.username, config.password or "")
        self._client = httpx.Client(
            base_url=config.url.rstrip("/"),
            timeout=httpx.Timeout(config.timeout_seconds),
            headers=headers,
            auth=auth,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the HTTP API --------------------------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, str], metric: str) -> dict[str, Any]:
        params = {**params, "timeout": f"{self.config.timeout_seconds:g}s"}
        try:
            response = self._client.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise MetricSourceUnavailable(
                f"Prometheus did not answer within {self.config.timeout_seconds:g} s", metric=metric
            ) from exc
        except httpx.HTTPError as exc:
            raise MetricSourceUnavailable(
                f"cannot reach Prometheus at {self.config.url}: {exc}", metric=metric
            ) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("status") == "error":
            detail = f"{body.get('errorType', 'error')}: {body.get('error', '')}".strip()
            if response.status_code in (400, 422) or response.is_success:
                raise MetricQueryError(f"Prometheus refused the query ({detail})", metric=metric)
            raise MetricSourceUnavailable(
                f"Prometheus answered HTTP {response.status_code} ({detail})", metric=metric
            )
        if response.status_code in (401, 403):
            raise MetricSourceUnavailable(
                f"Prometheus refused the credentials (HTTP {response.status_code}); "
                "check the bearer token or basic auth settings",
                metric=metric,
            )
        if not response.is_success:
            raise MetricSourceUnavailable(
                f"Prometheus answered HTTP {response.status_code}: {response.text[:200]}",
                metric=metric,
            )
        if not isinstance(body, dict) or body.get("status") != "success":
            raise MetricSourceUnavailable(
                f"the answer is not a Prometheus API response: {response.text[:200]!r}",
                metric=metric,
            )
        data = body.get("data")
        if not isinstance(data, dict):
            raise MetricSourceUnavailable("the answer has no data object", metric=metric)
        return data

    @staticmethod
    def _one_series(data: Mapping[str, Any], allowed: tuple[str, ...], metric: str) -> Any:
        kind = data.get("resultType")
        result = data.get("result")
        if kind not in allowed:
            raise MetricQueryError(
                f"the query returned a {kind}; expected {' or '.join(allowed)}", metric=metric
            )
        if kind == "scalar":
            return result
        if not isinstance(result, list):
            raise MetricQueryError("the result is not a list of series", metric=metric)
        if len(result) > 1:
            labels = [s.get("metric", {}) for s in result[:3] if isinstance(s, dict)]
            raise MetricQueryError(
                f"the query returned {len(result)} series (e.g. {labels}); "
                "aggregate it to one series, e.g. with sum(...)",
                metric=metric,
            )
        return result[0] if result else None

    def _instant(self, promql: str, at: datetime, metric: str) -> float | None:
        data = self._get("/api/v1/query", {"query": promql, "time": _ts(at)}, metric)
        series = self._one_series(data, ("vector", "scalar"), metric)
        if series is None:
            return None
        if data["resultType"] == "scalar":
            return _value(series, metric)
        return _value(series.get("value") if isinstance(series, dict) else None, metric)

    # -- the port ------------------------------------------------------------------------------

    def instant(self, query: MetricQuery, labels: Mapping[str, str], at: datetime) -> float | None:
        window = query.window_seconds or DEFAULT_INSTANT_WINDOW_SECONDS
        promql = render_template(query.query, labels, window, metric=query.name)
        return self._instant(promql, at, query.name)

    def range(
        self,
        query: MetricQuery,
        labels: Mapping[str, str],
        start: datetime,
        end: datetime,
        step_seconds: float,
    ) -> list[float]:
        if not math.isfinite(step_seconds) or step_seconds <= 0:
            raise MetricQueryError(
                f"step must be positive, got {step_seconds!r}", metric=query.name
            )
        if end < start:
            raise MetricQueryError("range end is before its start", metric=query.name)
        if (end - start).total_seconds() / step_seconds > MAX_POINTS:
            raise MetricQueryError(
                f"more than {MAX_POINTS} points per series; use a larger step", metric=query.name
            )
        window = query.window_seconds or step_seconds
        promql = render_template(query.query, labels, window, metric=query.name)
        params = {
            "query": promql,
            "start": _ts(start),
            "end": _ts(end),
            "step": f"{step_seconds:g}",
        }
        data = self._get("/api/v1/query_range", params, query.name)
        series = self._one_series(data, ("matrix",), query.name)
        if series is None:
            return []
        values = series.get("values") if isinstance(series, dict) else None
        if not isinstance(values, list):
            raise MetricQueryError("the series has no values list", metric=query.name)
        found = (_value(v, query.name) for v in values)
        return [v for v in found if v is not None]

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
        totals = []
        for q in (requests, errors):
            promql = render_template(q.query, labels, window, metric=q.name)
            value = self._instant(promql, window_end, q.name)
            totals.append(max(0.0, value) if value is not None else 0.0)
        return RequestCounts(totals[0], totals[1])


def _ts(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise MetricQueryError("times must be timezone-aware")
    return f"{moment.timestamp():.3f}"
