"""Contract tests of the metric source port: a real Prometheus and the push source, same behaviours.

The Prometheus side starts a real ``prometheus`` on loopback scraping a small stdlib HTTP app that
exposes a ``SimulatedService`` (baseline and canary counters and a latency histogram) every second.
The push side pushes the same shape of traffic through ``POST /api/v1/metrics``, on SQLite and on
PostgreSQL. Each scenario is a *phase*: a window of healthy traffic, or of traffic where the canary
regressed (10x the error ratio, 3x the latency).
"""

from __future__ import annotations

import contextlib
import math
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.app import EXAMPLE_PROPOSAL, Harness, make_harness
from tests.support.binaries import require_binary

from sluicegate.adapters.metrics_exposition import CONTENT_TYPE, SimulatedService
from sluicegate.adapters.prometheus import PrometheusConfig, PrometheusMetricSource
from sluicegate.adapters.push_metrics import PushMetricSource
from sluicegate.service.metrics.ports import (
    MetricQuery,
    MetricQueryError,
    MetricSource,
    MetricSourceUnavailable,
    RequestCounts,
)
from sluicegate.stats.config import Direction, JudgeConfig, MetricConfig, MetricKind
from sluicegate.stats.judge import judge
from sluicegate.stats.sequential import Action, SequentialMonitor
from sluicegate.stats.verdict import Decision

SERVICE = "checkout"
EXPERIMENT = "checkout-redesign"
PHASE_SECONDS = 6  # judged seconds per phase
SETTLE_SECONDS = 4  # after a switch, so that every rate window lies inside the phase
HEALTHY = {"error_ratio": 0.01, "latency_seconds": 0.1}
REGRESSED = {"error_ratio": 0.10, "latency_seconds": 0.3}
RATE = 'http_request_duration_seconds_{part}{{service="{{service}}",variant="{{variant}}"}}'
LATENCY_CONFIG = MetricConfig(name="latency", kind=MetricKind.LATENCY, critical=True)

PROM_QUERIES = {
    "latency": MetricQuery(
        f"sum(rate({RATE.format(part='sum')}[{{window}}]))"
        f" / sum(rate({RATE.format(part='count')}[{{window}}]))",
        LATENCY_CONFIG,
        window_seconds=3,
    ),
    "requests": MetricQuery.of(
        "requests",
        'sum(increase(http_requests_total{service="{service}",variant="{variant}"}[{window}]))',
        kind=MetricKind.COUNT,
        direction=Direction.EITHER,
    ),
    "errors": MetricQuery.of(
        "errors",
        "sum(increase(http_requests_total"
        '{service="{service}",variant="{variant}",code=~"5.."}[{window}]))',
        kind=MetricKind.COUNT,
    ),
}
PUSH_QUERIES = {
    "latency": MetricQuery("{service}_latency_seconds", LATENCY_CONFIG),
    "requests": MetricQuery.of("requests", "{service}_requests", kind=MetricKind.COUNT),
    "errors": MetricQuery.of("errors", "{service}_errors", kind=MetricKind.COUNT),
}


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass
class Backend:
    name: str
    source: MetricSource
    queries: dict[str, MetricQuery]
    phase: Callable[[bool], Window]  # regressed? -> a window of that traffic the source can see

    def labels(self, variant: str, **extra: str) -> dict[str, str]:
        base = {"experiment": EXPERIMENT, "service": SERVICE, "variant": variant}
        return {**base, "revision": "r2" if variant == "canary" else "r1", **extra}


# -- the Prometheus side --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _exposition_server(service: SimulatedService) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/metrics":
                self.send_error(404)
                return
            body = service.exposition(time.time()).encode()
            self.send_response(200)
            self.send_header("content-type", CONTENT_TYPE)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


@dataclass
class PrometheusStack:
    source: PrometheusMetricSource
    service: SimulatedService
    log_path: Path
    phases: dict[bool, Window] = field(default_factory=dict)

    def log_tail(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]

    def last_scrape(self) -> float | None:
        query = MetricQuery.of("scrape", 'max(timestamp(up{job="app"} == 1))')
        return self.source.instant(query, {}, datetime.now(UTC))

    def wait_for_scrape_after(self, moment: float, deadline_seconds: float = 30.0) -> float:
        """Poll (bounded) until Prometheus holds a scrape taken at or after ``moment``."""
        give_up = time.monotonic() + deadline_seconds
        while time.monotonic() < give_up:
            last = self.last_scrape()
            if last is not None and last >= moment:
                return last
            time.sleep(0.2)
        pytest.fail(f"Prometheus did not scrape the app in time; its log:\n{self.log_tail()}")

    def phase(self, regressed: bool) -> Window:
        if regressed not in self.phases:
            t0 = time.time()
            self.service.set("canary", t0, **(REGRESSED if regressed else HEALTHY))
            start = t0 + SETTLE_SECONDS
            self.wait_for_scrape_after(start + PHASE_SECONDS)
            self.phases[regressed] = _window(start, start + PHASE_SECONDS)
        return self.phases[regressed]


def _window(start: float, end: float) -> Window:
    return Window(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC))


@pytest.fixture(scope="module")
def prometheus_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusStack]:
    binary = require_binary("prometheus", "/usr/bin/prometheus")
    tmp = tmp_path_factory.mktemp("prometheus")
    service = SimulatedService(SERVICE, started_at=time.time())
    server = _exposition_server(service)
    thread = threading.Thread(target=server.serve_forever, name="exposition", daemon=True)
    thread.start()
    port = _free_port()
    config = tmp / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: app\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{server.server_address[1]}']\n",
        encoding="utf-8",
    )
    log_path = tmp / "prometheus.log"
    with contextlib.ExitStack() as stack:
        stack.callback(thread.join, 10)
        stack.callback(server.server_close)
        stack.callback(server.shutdown)
        log = stack.enter_context(log_path.open("wb"))
        proc = subprocess.Popen(
            [
                str(binary),
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        stack.callback(_stop, proc)
        source = stack.enter_context(
            PrometheusMetricSource(
                PrometheusConfig(url=f"http://127.0.0.1:{port}", timeout_seconds=5.0)
            )
        )
        prom = PrometheusStack(source, service, log_path)
        _wait_ready(proc, port, prom)
        prom.wait_for_scrape_after(0.0)
        yield prom


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _wait_ready(proc: subprocess.Popen[bytes], port: int, prom: PrometheusStack) -> None:
    give_up = time.monotonic() + 30.0
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < give_up:
            if proc.poll() is not None:
                pytest.fail(f"prometheus exited with {proc.returncode}:\n{prom.log_tail()}")
            with contextlib.suppress(httpx.TransportError):  # not listening yet: poll again
                if client.get(f"http://127.0.0.1:{port}/-/ready").status_code == 200:
                    return
            time.sleep(0.1)
    pytest.fail(f"prometheus was not ready within 30 s:\n{prom.log_tail()}")


# -- the push side --------------------------------------------------------------------------------


def _latency(base: float, k: int) -> float:
    return base * (0.75 + 0.5 * ((k * 0.6180339887) % 1.0))


@dataclass
class PushFeed:
    harness: Harness
    phases: dict[bool, Window] = field(default_factory=dict)
    cursor: datetime = field(
        default_factory=lambda: datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    )

    def phase(self, regressed: bool) -> Window:
        if regressed in self.phases:
            return self.phases[regressed]
        start = self.cursor
        samples: list[dict[str, Any]] = []
        for k in range(PHASE_SECONDS + 1):
            ts = (start + timedelta(seconds=k)).isoformat()
            for variant in ("baseline", "canary"):
                traffic = REGRESSED if regressed and variant == "canary" else HEALTHY
                revision = "r2" if variant == "canary" else "r1"
                values = {
                    f"{SERVICE}_latency_seconds": _latency(traffic["latency_seconds"], k),
                    f"{SERVICE}_requests": 100.0,
                    f"{SERVICE}_errors": 100.0 * traffic["error_ratio"],
                }
                samples += [
                    {
                        "experiment": EXPERIMENT,
                        "metric": metric,
                        "variant": variant,
                        "value": value,
                        "ts": ts,
                        "labels": {"revision": revision},
                    }
                    for metric, value in values.items()
                ]
        r = self.harness.call("alice", "POST", "/api/v1/metrics", json={"samples": samples})
        assert r.status_code == 200, r.text
        self.cursor = start + timedelta(seconds=PHASE_SECONDS + 60)
        self.phases[regressed] = Window(start, start + timedelta(seconds=PHASE_SECONDS))
        return self.phases[regressed]


def _push_backend(h: Harness) -> Backend:
    r = h.call(
        "carol",
        "POST",
        "/api/v1/experiments",
        content=EXAMPLE_PROPOSAL,
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    feed = PushFeed(h)
    return Backend("push", PushMetricSource(h.container.deps.uow), PUSH_QUERIES, feed.phase)


@pytest.fixture(
    params=[
        pytest.param("prometheus", marks=pytest.mark.prometheus),
        "push-sqlite",
        pytest.param("push-postgres", marks=pytest.mark.postgres),
    ]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "prometheus":
        prom: PrometheusStack = request.getfixturevalue("prometheus_stack")
        yield Backend("prometheus", prom.source, PROM_QUERIES, prom.phase)
        return
    if request.param == "push-sqlite":
        url = f"sqlite:///{tmp_path / 'sluicegate.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    h = make_harness(tmp_path / "home", url)
    try:
        yield _push_backend(h)
    finally:
        h.close()


# -- the contract ---------------------------------------------------------------------------------


def test_instant_is_the_value_at_a_moment(backend: Backend) -> None:
    window = backend.phase(False)
    for variant in ("baseline", "canary"):
        value = backend.source.instant(
            backend.queries["latency"], backend.labels(variant), window.end
        )
        assert value is not None
        assert 0.07 <= value <= 0.13, (variant, value)  # 0.1 s, spread 0.75x .. 1.25x


def test_range_returns_finite_samples_in_time_order(backend: Backend) -> None:
    window = backend.phase(False)
    values = backend.source.range(
        backend.queries["latency"], backend.labels("baseline"), window.start, window.end, 1.0
    )
    # One value per step (PHASE_SECONDS + 1 of them); a real Prometheus may miss a scrape.
    assert LATENCY_CONFIG.min_samples <= len(values) <= PHASE_SECONDS + 1, values
    assert all(math.isfinite(v) and 0.07 <= v <= 0.13 for v in values), values


def test_counts_are_requests_and_errors_in_the_window(backend: Backend) -> None:
    window = backend.phase(False)
    q = backend.queries
    for variant in ("baseline", "canary"):
        counts = backend.source.counts(
            q["requests"], q["errors"], backend.labels(variant), window.start, window.end
        )
        assert isinstance(counts, RequestCounts)
        # 100 requests/s for about PHASE_SECONDS, 1% of them errors.
        assert 300 <= counts.requests <= 1000, counts
        assert 0 < counts.errors < 0.05 * counts.requests, counts


def test_no_data_is_none_empty_or_zero(backend: Backend) -> None:
    window = backend.phase(False)
    before = window.start - timedelta(days=1)
    q = backend.queries
    for labels in (backend.labels("nobody"), backend.labels("baseline")):
        at = window.end if labels["variant"] == "nobody" else before
        assert backend.source.instant(q["latency"], labels, at) is None
        assert backend.source.range(q["latency"], labels, at - timedelta(seconds=5), at, 1.0) == []
        counts = backend.source.counts(
            q["requests"], q["errors"], labels, at - timedelta(seconds=5), at
        )
        assert counts == RequestCounts(0.0, 0.0)


def test_labels_are_templated_and_escaped(backend: Backend) -> None:
    window = backend.phase(False)
    q = backend.queries["latency"]
    hostile = backend.labels('canary"} or vector(1) # \\')
    assert backend.source.instant(q, hostile, window.end) is None
    assert backend.source.range(q, hostile, window.start, window.end, 1.0) == []
    missing = {k: v for k, v in backend.labels("baseline").items() if k != "service"}
    with pytest.raises(MetricQueryError, match=r"\{service\}"):
        backend.source.instant(q, missing, window.end)


def test_a_canary_regression_reaches_the_judge_and_the_monitor(backend: Backend) -> None:
    healthy = backend.phase(False)
    regressed = backend.phase(True)
    q = backend.queries
    monitor = SequentialMonitor()
    for window, expect_rollback in ((healthy, False), (regressed, True)):
        samples = {
            variant: backend.source.range(
                q["latency"], backend.labels(variant), window.start, window.end, 1.0
            )
            for variant in ("baseline", "canary")
        }
        verdict = judge(
            {"latency": samples["baseline"]},
            {"latency": samples["canary"]},
            JudgeConfig(metrics=(LATENCY_CONFIG,)),
        )
        assert (verdict.decision is Decision.FAIL) is expect_rollback, verdict.reason
        counts = {
            variant: backend.source.counts(
                q["requests"], q["errors"], backend.labels(variant), window.start, window.end
            )
            for variant in ("baseline", "canary")
        }
        decision = monitor.update(
            round(counts["canary"].requests),
            round(counts["canary"].errors),
            round(counts["baseline"].requests),
            round(counts["baseline"].errors),
        )
        assert (decision.action is Action.ROLLBACK) is expect_rollback, (counts, decision.reason)


# -- Prometheus specifics: the HTTP API's answers, translated -------------------------------------


@pytest.mark.prometheus
@pytest.mark.parametrize(
    ("promql", "expected"),
    [("vector(2)", 2.0), ("scalar(vector(3))", 3.0), ("0/0", None), ("1/0", None)],
)
def test_prometheus_scalars_and_non_finite_values(
    prometheus_stack: PrometheusStack, promql: str, expected: float | None
) -> None:
    query = MetricQuery.of("m", promql)
    assert prometheus_stack.source.instant(query, {}, datetime.now(UTC)) == expected


@pytest.mark.prometheus
def test_prometheus_range_drops_non_finite_values(prometheus_stack: PrometheusStack) -> None:
    now = datetime.now(UTC)
    source = prometheus_stack.source
    nan = MetricQuery.of("m", "vector(0) / 0")
    assert source.range(nan, {}, now - timedelta(seconds=5), now, 1.0) == []
    two = MetricQuery.of("m", "vector(2)")
    assert source.range(two, {}, now - timedelta(seconds=5), now, 1.0) == [2.0] * 6


@pytest.mark.prometheus
@pytest.mark.parametrize(
    ("promql", "match"),
    [
        ("sum(rate(http_requests_total[", "bad_data"),
        ("http_requests_total", "series"),
        ('up{job="app"}[5s]', "matrix"),
        ('"text"', "string"),
    ],
)
def test_prometheus_refusals_are_query_errors(
    prometheus_stack: PrometheusStack, promql: str, match: str
) -> None:
    with pytest.raises(MetricQueryError, match=match) as caught:
        prometheus_stack.source.instant(MetricQuery.of("m", promql), {}, datetime.now(UTC))
    assert caught.value.metric == "m"
    assert caught.value.code == "metric-query-invalid"


def test_prometheus_unreachable_is_unavailable() -> None:
    config = PrometheusConfig(url=f"http://127.0.0.1:{_free_port()}", timeout_seconds=2.0)
    with (
        PrometheusMetricSource(config) as source,
        pytest.raises(MetricSourceUnavailable, match="cannot reach"),
    ):
        source.instant(MetricQuery.of("m", "vector(1)"), {}, datetime.now(UTC))


Responder = Callable[[httpx.Request], httpx.Response]


def _fake(responder: Responder, **config: Any) -> PrometheusMetricSource:
    return PrometheusMetricSource(
        PrometheusConfig(url="http://prometheus.test", **config),
        transport=httpx.MockTransport(responder),
    )


def _ok(request: httpx.Request) -> httpx.Response:
    del request
    return httpx.Response(
        200, json={"status": "success", "data": {"resultType": "vector", "result": []}}
    )


@pytest.mark.parametrize(
    ("config", "header", "expected"),
    [
        ({"bearer_token": "s3cret"}, "authorization", "Bearer s3cret"),
        ({"username": "u", "password": "p"}, "authorization", "Basic dTpw"),
        ({"headers": {"X-Scope-OrgID": "tenant-1"}}, "x-scope-orgid", "tenant-1"),
    ],
)
def test_prometheus_credentials_are_sent(
    config: dict[str, Any], header: str, expected: str
) -> None:
    seen: list[httpx.Request] = []

    def responder(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _ok(request)

    with _fake(responder, **config) as source:
        source.instant(MetricQuery.of("m", "vector(1)"), {}, datetime.now(UTC))
    assert seen[0].headers[header] == expected
    assert seen[0].url.path == "/api/v1/query"
    assert seen[0].url.params["query"] == "vector(1)"


@pytest.mark.parametrize(
    ("response", "error", "match"),
    [
        (httpx.Response(503, text="overloaded"), MetricSourceUnavailable, "HTTP 503"),
        (httpx.Response(401, text="no"), MetricSourceUnavailable, "credentials"),
        (httpx.Response(200, text="<html>"), MetricSourceUnavailable, "not a Prometheus"),
        (
            httpx.Response(
                422, json={"status": "error", "errorType": "execution", "error": "too many"}
            ),
            MetricQueryError,
            "execution: too many",
        ),
        (
            httpx.Response(
                503, json={"status": "error", "errorType": "timeout", "error": "query timed out"}
            ),
            MetricSourceUnavailable,
            "timeout",
        ),
    ],
)
def test_prometheus_http_failures_are_translated(
    response: httpx.Response, error: type[Exception], match: str
) -> None:
    with _fake(lambda _: response) as source, pytest.raises(error, match=match):
        source.instant(MetricQuery.of("m", "vector(1)"), {}, datetime.now(UTC))


def test_prometheus_timeout_is_unavailable() -> None:
    def responder(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with (
        _fake(responder, timeout_seconds=1.5) as source,
        pytest.raises(MetricSourceUnavailable, match=r"within 1\.5 s"),
    ):
        source.instant(MetricQuery.of("m", "vector(1)"), {}, datetime.now(UTC))


def test_prometheus_templates_the_window_per_call() -> None:
    seen: list[httpx.Request] = []

    def responder(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _ok(request)

    query = MetricQuery.of("m", 'sum(increase(x{v="{variant}"}[{window}]))')
    end = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    with _fake(responder) as source:
        counts = source.counts(query, query, {"variant": 'a"b'}, end - timedelta(minutes=5), end)
    assert counts == RequestCounts(0.0, 0.0)
    assert [r.url.params["query"] for r in seen] == ['sum(increase(x{v="a\\"b"}[300s]))'] * 2
    assert seen[0].url.params["time"] == f"{end.timestamp():.3f}"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"url": "prometheus:9090"},
        {"url": "http://p", "bearer_token": "t", "username": "u"},
        {"url": "http://p", "timeout_seconds": 0},
    ],
)
def test_prometheus_config_is_validated(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"URL|either|positive"):
        PrometheusConfig(**kwargs)
