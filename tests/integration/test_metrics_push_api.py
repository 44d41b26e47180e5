"""The push API (``POST /api/v1/metrics``, ``GET /api/v1/metrics``), retention and the wiring."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from tests.support.app import EXAMPLE_PROPOSAL, Harness

from sluicegate.adapters.prometheus import PrometheusMetricSource
from sluicegate.adapters.push_metrics import PushMetricSource
from sluicegate.api.routes.metrics import prune_loop
from sluicegate.bootstrap import Settings
from sluicegate.service.metrics import prune_samples
from sluicegate.service.metrics.ports import MetricQuery, MetricQueryError

KEY = "checkout-redesign"


def _seed(h: Harness) -> None:
    r = h.call(
        "carol",
        "POST",
        "/api/v1/experiments",
        content=EXAMPLE_PROPOSAL,
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text


def _sample(**overrides: Any) -> dict[str, Any]:
    base = {
        "experiment": KEY,
        "metric": "latency_seconds",
        "variant": "canary",
        "value": 0.25,
        "ts": "2026-11-21T11:59:00Z",
        "labels": {"revision": "r2"},
    }
    return {**base, **overrides}


def _push(h: Harness, *samples: dict[str, Any], who: str = "alice") -> Any:
    return h.call(who, "POST", "/api/v1/metrics", json={"samples": list(samples)})


def _errors(r: Any) -> list[str]:
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid-input"
    return [e["field"] for e in r.json()["errors"]]


def test_push_then_read_back_with_filters(harness: Harness) -> None:
    h = harness
    _seed(h)
    r = _push(
        h,
        _sample(ts="2026-11-21T11:59:02Z", value=0.3),
        _sample(ts="2026-11-21T11:59:00+01:00", variant="baseline", labels={}),
        _sample(ts="2026-11-21T11:59:01Z", metric="errors", value=3),
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 3}

    every = h.call("erin", "GET", "/api/v1/metrics", params={"experiment": KEY}).json()
    assert [(s["metric"], s["ts"]) for s in every["samples"]] == [
        ("latency_seconds", "2026-11-21T10:59:00+00:00"),  # +01:00 is stored as UTC
        ("errors", "2026-11-21T11:59:01+00:00"),
        ("latency_seconds", "2026-11-21T11:59:02+00:00"),
    ]
    assert every["count"] == 3
    assert every["samples"][1] == {
        "experiment": KEY,
        "metric": "errors",
        "variant": "canary",
        "value": 3.0,
        "ts": "2026-11-21T11:59:01+00:00",
        "labels": {"revision": "r2"},
    }

    def read(**params: Any) -> list[float]:
        r = h.call("erin", "GET", "/api/v1/metrics", params={"experiment": KEY, **params})
        assert r.status_code == 200, r.text
        return [s["value"] for s in r.json()["samples"]]

    assert read(metric="latency_seconds", variant="canary") == [0.3]
    assert read(variant="baseline") == [0.25]
    assert read(since="2026-11-21T11:59:01Z") == [3.0, 0.3]
    assert read(limit=1) == [0.25]


def test_unknown_experiment_is_refused_naming_the_field_and_nothing_is_written(
    harness: Harness,
) -> None:
    h = harness
    _seed(h)
    before = h.counts()
    r = _push(h, _sample(), _sample(experiment="no-such-experiment"))
    assert _errors(r) == ["samples.1.experiment"]
    assert "no-such-experiment" in r.json()["errors"][0]["reason"]
    assert h.counts() == before


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", '"nan"', '"inf"', "true"])
def test_non_finite_values_are_refused(sqlite_harness: Harness, raw: str) -> None:
    h = sqlite_harness  # validation happens before the database
    _seed(h)
    before = h.counts()
    body = json.dumps({"samples": [_sample(value=0.0)]}).replace("0.0", raw)
    r = h.call(
        "alice",
        "POST",
        "/api/v1/metrics",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert _errors(r) == ["samples.0.value"]
    assert h.counts() == before


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"ts": "2026-11-21T11:59:00"}, "samples.0.ts"),
        ({"ts": "yesterday"}, "samples.0.ts"),
        ({"variant": "blue"}, "samples.0.variant"),
        ({"metric": "has spaces"}, "samples.0.metric"),
        ({"metric": ""}, "samples.0.metric"),
        ({"labels": {"variant": "canary"}}, "samples.0.labels.variant"),
        ({"labels": {"bad-name": "x"}}, "samples.0.labels.bad-name"),
        ({"labels": {"revision": 7}}, "samples.0.labels.revision"),
        ({"colour": "red"}, "samples.0.colour"),
    ],
)
def test_invalid_samples_are_refused_naming_the_field(
    sqlite_harness: Harness, override: dict[str, Any], field: str
) -> None:
    h = sqlite_harness  # validation happens before the database
    _seed(h)
    before = h.counts()
    assert _errors(_push(h, _sample(**override))) == [field]
    assert h.counts() == before


def test_batch_size_is_limited(harness: Harness) -> None:
    h = harness
    _seed(h)
    limit = h.container.settings.metrics_max_batch
    before = h.counts()
    assert _errors(_push(h, *[_sample()] * (limit + 1))) == ["samples"]
    assert _errors(_push(h)) == ["samples"]
    assert h.counts() == before
    assert _push(h, *[_sample()] * limit).json() == {"accepted": limit}


def test_reading_needs_a_known_experiment_and_valid_filters(harness: Harness) -> None:
    h = harness
    _seed(h)
    r = h.call("erin", "GET", "/api/v1/metrics", params={"experiment": "nope"})
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "not-found"
    for params, field in (
        ({"experiment": KEY, "variant": "blue"}, "variant"),
        ({"experiment": KEY, "since": "2026-11-21T11:59:00"}, "since"),
        ({"experiment": KEY, "limit": 0}, "limit"),
        ({}, "experiment"),
    ):
        r = h.call("erin", "GET", "/api/v1/metrics", params=params)
        assert _errors(r) == [field], params


def test_pushing_samples_is_not_audited(harness: Harness) -> None:
    h = harness
    _seed(h)
    before = h.counts()["audit_events"]
    assert _push(h, _sample(), _sample(variant="baseline")).status_code == 200
    assert h.counts()["audit_events"] == before
    assert h.counts()["metric_samples"] == 2


def test_retention_prunes_old_samples(harness: Harness) -> None:
    h = harness
    _seed(h)
    now = h.clock.now()
    old, recent = now - timedelta(days=20), now - timedelta(days=1)
    assert _push(h, _sample(ts=old.isoformat()), _sample(ts=recent.isoformat())).status_code == 200
    assert prune_samples(h.container.deps, timedelta(days=30)) == 0
    assert prune_samples(h.container.deps, timedelta(days=14)) == 1
    left = h.call("erin", "GET", "/api/v1/metrics", params={"experiment": KEY}).json()
    assert [s["ts"] for s in left["samples"]] == [recent.isoformat()]
    with pytest.raises(ValueError, match="positive"):
        prune_samples(h.container.deps, timedelta(0))


def test_the_retention_job_prunes_periodically(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    _seed(h)
    now = h.clock.now()
    retention = timedelta(days=h.container.settings.metrics_retention_days)
    stale = _sample(ts=(now - retention - timedelta(hours=1)).isoformat())
    assert _push(h, stale, _sample(ts=now.isoformat())).status_code == 200

    async def run() -> int:
        task = asyncio.create_task(prune_loop(h.container, 3600.0))
        try:
            for _ in range(200):  # bounded: the first pass runs at once
                left = h.counts()["metric_samples"]
                if left < 2:
                    return left
                await asyncio.sleep(0.02)
            return h.counts()["metric_samples"]
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    assert asyncio.run(run()) == 1


def test_push_source_selects_by_experiment_variant_and_shared_labels(
    sqlite_harness: Harness,
) -> None:
    h = sqlite_harness
    _seed(h)
    assert (
        _push(
            h,
            _sample(ts="2026-11-21T11:59:00Z", value=1.0, labels={"revision": "r2"}),
            _sample(ts="2026-11-21T11:59:01Z", value=2.0, labels={"revision": "r3"}),
            _sample(ts="2026-11-21T11:59:02Z", value=3.0, labels={}),
        ).status_code
        == 200
    )
    source = PushMetricSource(h.container.deps.uow)
    query = MetricQuery.of("latency", "latency_seconds")
    at = h.clock.now()
    start = at - timedelta(minutes=5)
    labels = {"experiment": KEY, "variant": "canary"}
    assert source.range(query, {**labels, "revision": "r2"}, start, at, 1.0) == [1.0, 3.0]
    assert source.range(query, labels, start, at, 1.0) == [1.0, 2.0, 3.0]
    assert source.instant(query, {**labels, "revision": "r3"}, at) == 3.0
    assert source.instant(query, {**labels, "experiment": "unknown"}, at) is None
    with pytest.raises(MetricQueryError, match="experiment"):
        source.instant(query, {"variant": "canary"}, at)


def test_settings_and_wiring_of_the_metric_source(sqlite_harness: Harness) -> None:
    env = {
        "SLUICE_PROMETHEUS_URL": "http://prometheus.internal:9090",
        "SLUICE_PROMETHEUS_TOKEN": "s3cret",
        "SLUICE_PROMETHEUS_TIMEOUT": "2.5",
        "SLUICE_METRICS_RETENTION_DAYS": "7",
        "SLUICE_METRICS_PRUNE_INTERVAL": "600",
        "SLUICE_METRICS_MAX_BATCH": "50",
    }
    s = Settings.from_env(env)
    assert (s.prometheus_url, s.prometheus_bearer_token, s.prometheus_timeout_seconds) == (
        "http://prometheus.internal:9090",
        "s3cret",
        2.5,
    )
    assert (s.metrics_retention_days, s.metrics_prune_interval_seconds) == (7.0, 600.0)
    assert s.metrics_max_batch == 50
    assert Settings.from_env({}).prometheus_url == ""

    container = sqlite_harness.container
    assert isinstance(container.metric_source(), PushMetricSource)
    assert isinstance(container.push_metric_source(), PushMetricSource)
    wired = replace(container, settings=s)
    source = wired.metric_source()
    assert isinstance(source, PrometheusMetricSource)
    assert wired.metric_source() is source
    assert source.config.bearer_token == "s3cret"
    source.close()
