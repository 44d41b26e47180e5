"""DORA metrics at scale: query latency, Four Keys on the same data, ingest, backfill (issue 13 §6).

The data (benchmarks/_delivery_data.py) is a generated history of ``--services`` services over
``--years`` years, in the shape the issue names for its full scale (500 services, 2 years: ~1M
deployments, ~3M commits, ~50k incidents). It is written in bulk (COPY on PostgreSQL,
executemany on SQLite) into Sluicegate's own tables, as revision 1 of each event.

Parts, each selectable with ``--only`` (comma-separated; default all):

* ``pg``: on a throwaway PostgreSQL 15 (tests/support/postgres.py), the latency of
  ``sluicegate.service.delivery.metrics.dora_metrics`` (the five metrics, a 90-day window
  ending at the data's end) for one service and for the organisation, p50/p95 over ``--runs``
  calls after one warm-up; where the time goes (fetch, link, compute, and a cProfile of one
  organisation-wide call); and Google Four Keys' queries ported to PostgreSQL
  (benchmarks/_fourkeys.py) over the same history in the same database: the dashboard's four
  3-month figures (the comparison: ours / Four Keys) and queries/'s daily series over the
  whole history, as written.
* ``sqlite``: the same ``dora_metrics`` latencies on SQLite.
* ``ingest``: ``POST /api/v1/delivery/deployments`` against ``sluice serve`` (PostgreSQL and
  SQLite), every request a new deployment, driven by wrk at each of ``--connections``.
* ``backfill``: ``--backfill`` events (about 100k: the history of 50 services over the days
  that make that many) into an empty PostgreSQL database, in bulk or through the service layer
  (``--backfill-via``), then the first and second organisation-wide ``dora_metrics`` call: the
  metrics are computed per query, so the first call after the load brings them up to date.

Goals (issue 13 §6): organisation-wide five metrics p95 <= 250 ms and one service p95 <= 50 ms
on PostgreSQL; >= 10x faster than the Four Keys queries on the same data; ingest >= 2,000
events/s. ``python -m benchmarks delivery [--services N --years Y --runs N --only ...]``; the
full scale is ``--services 500`` (docs/benchmarks/delivery.md).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg

from benchmarks import _delivery_data as data
from benchmarks import _fourkeys as fourkeys
from benchmarks._common import percentiles, print_table, write_results
from benchmarks.server import _parse, _Postgres, prepare, serve
from sluicegate.bootstrap import Container, Settings
from sluicegate.bootstrap import prepare as prepare_container
from sluicegate.domain.delivery.changes import Change, ChangeKind
from sluicegate.domain.delivery.linking import LinkRules, link
from sluicegate.domain.delivery.metrics import Window, compute
from sluicegate.domain.delivery.records import (
    Deployment,
    DeploymentKind,
    DeploymentStatus,
    Incident,
    Revision,
)
from sluicegate.service import delivery as delivery_svc
from sluicegate.service.access import identity
from sluicegate.service.cache import VersionedCache
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.delivery.metrics import MetricsQuery, dora_metrics

__all__ = ["main"]

PARTS = ("pg", "sqlite", "ingest", "backfill")
GOALS = {
    "org_p95_ms_max": 250.0,
    "service_p95_ms_max": 50.0,
    "speedup_vs_fourkeys_min": 10.0,
    "ingest_events_per_s_min": 2000.0,
}
WINDOW_DAYS = 90
#: The one service of the one-service figures.
SERVICE = data.service_name(0)
#: Events a day of one service, on average (2.74 deployments, 3 commits each, 5 % incidents).
EVENTS_PER_SERVICE_DAY = data.DEPLOYS_PER_DAY * (1 + 3 + data.INCIDENT_RATE)
BACKFILL_SERVICES = 50
WEBHOOK_PATH = "/api/v1/delivery/webhooks/{source}"


def _window() -> tuple[datetime, datetime]:
    return data.END - timedelta(days=WINDOW_DAYS), data.END


def _ms(samples: list[float]) -> dict[str, float]:
    return {k: round(v * 1000, 3) for k, v in percentiles(samples, 50, 95).items()}


def _timed(fn: Callable[[], object], runs: int) -> tuple[list[float], object]:
    samples: list[float] = []
    got: object = None
    for _ in range(runs):
        start = time.perf_counter()
        got = fn()
        samples.append(time.perf_counter() - start)
    return samples, got


# --- Sluicegate's read path ---------------------------------------------------------------------


def _container(home: Path, url: str) -> tuple[Container, RequestContext]:
    container = prepare_container(Settings(home=home, database_url=url))
    deps = container.deps
    _, issued = identity.init_admin(deps, "admin", "Admin")
    return container, RequestContext(identity.authenticate(deps, issued.secret))


def _query(service: str | None) -> MetricsQuery:
    start, end = _window()
    return MetricsQuery(service=service, start=start, end=end)


def _summary(out: dict[str, Any]) -> dict[str, Any]:
    """The figures a reader compares with Four Keys'."""
    lead = out["lead_time"]["median"]
    recovery = out["recovery_time"]["median"]
    return {
        "deployments": out["deployment_frequency"]["deployments"],
        "per_day": out["deployment_frequency"]["per_day"],
        "lead_time_median_min": None if lead is None else round(lead / 60, 1),
        "change_fail_rate": out["change_fail_rate"]["value"],
        "recovery_median_h": None if recovery is None else round(recovery / 3600, 2),
        "rework_rate": out["rework_rate"]["value"],
        "changes": out["lead_time"]["n"],
    }


def measure_ours(deps: Deps, ctx: RequestContext, runs: int) -> dict[str, Any]:
    """p50/p95 of ``dora_metrics`` for one service and the organisation.

    ``cold``: every call links the window again (a fresh read-model cache each time, as after
    any delivery write); ``ms``: the read model warm (the same delivery version), what a
    dashboard polling between writes gets.
    """
    result: dict[str, Any] = {}
    for scope, service in (("service", SERVICE), ("organisation", None)):
        query = _query(service)

        def cold_call(q: MetricsQuery = query) -> object:
            return dora_metrics(replace(deps, delivery_cache=VersionedCache()), ctx, q)

        cold, out = _timed(cold_call, max(2, runs // 2))
        warm = replace(deps, delivery_cache=VersionedCache())
        call = partial(dora_metrics, warm, ctx, query)
        first, _ = _timed(call, 1)
        samples, out = _timed(call, runs)
        assert isinstance(out, dict)
        result[scope] = {
            "runs": runs,
            "first_call_ms": round(first[0] * 1000, 3),
            "cold_ms": _ms(cold),
            "ms": _ms(samples),
            "figures": _summary(out),
        }
    return result


def breakdown(deps: Deps, runs: int = 2) -> dict[str, float]:
    """Median ms of each step of an organisation-wide call: what ``load_linked`` and
    ``dora_metrics`` do, step by step (the same repository calls, ``link``, ``compute``)."""
    start, end = _window()
    window = Window(start, end)
    since = start - (end - start)
    steps: dict[str, list[float]] = {
        k: [] for k in ("fetch_deployments", "fetch_incidents", "fetch_changes", "link", "compute")
    }
    for _ in range(runs):
        with deps.uow(readonly=True) as uow:
            t0 = time.perf_counter()
            deployments = uow.deployments.finished_since(since)
            t1 = time.perf_counter()
            incidents = uow.delivery_incidents.created_since(since)
            t2 = time.perf_counter()
            changes = {(c.source, c.id): c for c in uow.changes.landed_since(since)}
            deployed = {r.sha for d in deployments for r in d.revisions}
            known = {sha for c in changes.values() for sha in c.shas}
            for c in uow.changes.with_shas(deployed - known):
                changes.setdefault((c.source, c.id), c)
            t3 = time.perf_counter()
        linked = link(deployments, list(changes.values()), incidents, LinkRules())
        t4 = time.perf_counter()
        compute(linked, window)
        t5 = time.perf_counter()
        for key, seconds in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            steps[key].append(seconds)
    out = {k: round(statistics.median(v) * 1000, 1) for k, v in steps.items()}
    out["rows"] = float(len(deployments) + len(incidents) + len(changes))
    return out


def profile(deps: Deps, ctx: RequestContext, top: int = 15) -> list[dict[str, Any]]:
    """The functions with the most own time in one organisation-wide ``dora_metrics`` call."""
    profiler = cProfile.Profile()
    profiler.enable()
    dora_metrics(deps, ctx, _query(None))
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows: list[dict[str, Any]] = []
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (path, line, name), (_cc, calls, tottime, cumtime, _callers) in sorted(
        raw.items(), key=lambda kv: kv[1][2], reverse=True
    )[:top]:
        where = path.split("site-packages/")[-1].split("src/")[-1]
        rows.append(
            {
                "function": f"{where}:{line}({name})",
                "calls": calls,
                "own_ms": round(tottime * 1000, 1),
                "cumulative_ms": round(cumtime * 1000, 1),
            }
        )
    total: float = stats.total_tt  # type: ignore[attr-defined]
    rows.insert(0, {"function": "total", "calls": 0, "own_ms": round(total * 1000, 1)})
    return rows


# --- the PostgreSQL part ------------------------------------------------------------------------


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _fourkeys_figures(conn: psycopg.Connection[Any], service: str | None) -> dict[str, Any]:
    start, end = _window()
    got = {k: fourkeys.run(conn, q, start, end, service) for k, q in fourkeys.STATS.items()}
    return {
        "deployment_frequency": got["deployment_frequency"][0][0],
        "lead_time": got["lead_time"][0][0],
        "lead_time_median_min": float(got["lead_time"][0][1]),
        "change_failure_rate": got["change_failure_rate"][0][0],
        "change_fail_rate": float(got["change_failure_rate"][0][1]),
        "time_to_restore": got["time_to_restore"][0][0],
        "recovery_median_h": None
        if got["time_to_restore"][0][1] is None
        else float(got["time_to_restore"][0][1]),
    }


def _four_figures(conn: psycopg.Connection[Any], service: str | None) -> None:
    start, end = _window()
    for template in fourkeys.STATS.values():
        fourkeys.run(conn, template, start, end, service)


def measure_fourkeys(conn: psycopg.Connection[Any], runs: int, series_runs: int) -> dict[str, Any]:
    """Each Four Keys query's p50/p95, and the four 3-month figures run back to back."""
    start, end = _window()
    out: dict[str, Any] = {}
    for scope, service in (("service", SERVICE), ("organisation", None)):
        per: dict[str, Any] = {}
        families = (
            ("stats_3_months", fourkeys.STATS, runs),
            ("series", fourkeys.SERIES, series_runs),
        )
        for family, queries, n in families:
            for name, template in queries.items():
                one = partial(fourkeys.run, conn, template, start, end, service)
                one()  # warm-up
                samples, got = _timed(one, n)
                assert isinstance(got, list)
                per[f"{family}.{name}"] = {"ms": _ms(samples), "rows": len(got), "runs": n}
        samples, _ = _timed(partial(_four_figures, conn, service), runs)
        out[scope] = {
            "queries": per,
            "four_figures_ms": _ms(samples),
            "figures": _fourkeys_figures(conn, service),
        }
    return out


def measure_pg(
    pg: _Postgres, work: Path, history: data.History, runs: int, series_runs: int
) -> dict[str, Any]:
    url = pg.database()
    container, ctx = _container(work / "pg", url)
    began = time.perf_counter()
    data.load_pg(_dsn(url), history)
    load_s = time.perf_counter() - began
    try:
        ours = measure_ours(container.deps, ctx, runs)
        sys.stderr.write(f"  ours: {ours}\n")
        steps = breakdown(container.deps)
        prof = profile(container.deps, ctx)
    finally:
        container.close()
    with psycopg.connect(_dsn(url)) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        fourkeys.create(conn)
        began = time.perf_counter()
        fourkeys.load(conn, history)
        fk_load_s = time.perf_counter() - began
        fk = measure_fourkeys(conn, max(runs, 10), series_runs)
    ratios = {
        scope: {
            "p50": round(ours[scope]["ms"]["p50"] / fk[scope]["four_figures_ms"]["p50"], 3),
            "p95": round(ours[scope]["ms"]["p95"] / fk[scope]["four_figures_ms"]["p95"], 3),
            "cold_p50": round(
                ours[scope]["cold_ms"]["p50"] / fk[scope]["four_figures_ms"]["p50"], 3
            ),
        }
        for scope in ("service", "organisation")
    }
    return {
        "database": "postgresql 15 (throwaway cluster, fsync off)",
        "load_seconds": round(load_s, 1),
        "fourkeys_load_seconds": round(fk_load_s, 1),
        "sluicegate": ours,
        "breakdown_org_ms": steps,
        "profile_org": prof,
        "fourkeys": fk,
        "ratio_ours_over_fourkeys": ratios,
    }


def measure_sqlite(work: Path, history: data.History, runs: int) -> dict[str, Any]:
    home = work / "sqlite"
    url = f"sqlite:///{home / 'bench.db'}"
    container, ctx = _container(home, url)
    began = time.perf_counter()
    data.load_sqlite(url, history)
    load_s = time.perf_counter() - began
    try:
        ours = measure_ours(container.deps, ctx, runs)
        steps = breakdown(container.deps)
    finally:
        container.close()
    return {
        "database": "sqlite",
        "load_seconds": round(load_s, 1),
        "sluicegate": ours,
        "breakdown_org_ms": steps,
    }


# --- ingest through the HTTP API ----------------------------------------------------------------

_INGEST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  counter = 0
end
function request()
  counter = counter + 1
  local body = string.format(
    '{{"id":"{tag}-%d-%d","source":"wrk","service":"svc-%04d","environment":"production",'
    .. '"status":"success","started_at":"2026-11-30T10:00:00Z",'
    .. '"finished_at":"2026-11-30T10:05:00Z",'
    .. '"revisions":[{{"repo":"org/svc-%04d","sha":"%08x%032x"}}]}}',
    tid, counter, counter % 50, counter % 50, tid, counter)
  return wrk.format(nil, "/api/v1/delivery/deployments", nil, body)
end
"""


def _wrk_ingest(url: str, token: str, tag: str, connections: int, seconds: float) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_INGEST_LUA.format(token=token, tag=tag))
    command = [
        "wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds:g}s",
        "--timeout", "30s", "--latency", "-s", script.name, url,
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 90, check=True
        )
    finally:
        os.unlink(script.name)
    got = _parse(done.stdout, f"ingest {url}", strict=False)
    return {"connections": connections, "events_per_s": got.pop("rps"), **got}


def _webhook_route(url: str) -> bool:
    spec = httpx.get(f"{url}/openapi.json", timeout=30)
    if spec.status_code != 200:
        spec = httpx.get(f"{url}/api/v1/openapi.json", timeout=30)
    return spec.status_code == 200 and WEBHOOK_PATH in spec.json().get("paths", {})


def measure_ingest(
    pg: _Postgres, work: Path, connections: list[int], seconds: float
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    webhook = False
    targets: list[tuple[str, str, int]] = [("postgresql", pg.database(), 1)]
    targets += [("postgresql", "", 2)]  # the same database, two workers
    targets += [("sqlite", "", 1)]
    env_pg: tuple[dict[str, str], str] | None = None
    for database, url, workers in targets:
        home = work / f"ingest-{database}"
        if database == "postgresql" and env_pg is not None:
            env, admin = env_pg
        else:
            env, admin, _ = prepare(home, url)
            # the server's capacity, not the per-token limit (SLUICE_INGEST_RATE, 200/s)
            env["SLUICE_INGEST_RATE"] = "0"
            if database == "postgresql":
                env_pg = (env, admin)
        with serve(home, env, workers) as (_, base):
            webhook = webhook or _webhook_route(base)
            levels = connections if workers == 1 else [max(connections)]
            for c in levels:
                tag = f"{database[:2]}{workers}c{c}"
                rows.append(
                    {
                        "database": database,
                        "workers": workers,
                        **_wrk_ingest(base, admin, tag, c, seconds),
                    }
                )
            listed = httpx.get(
                f"{base}/api/v1/delivery/deployments",
                params={"source": "wrk", "limit": 1},
                headers={"authorization": f"Bearer {admin}"},
                timeout=60,
            )
            listed.raise_for_status()
    return {
        "endpoint": "POST /api/v1/delivery/deployments",
        "seconds": seconds,
        "webhook_route_present": webhook,
        "webhook_note": (
            f"{WEBHOOK_PATH} is served but not measured: each request needs the provider's "
            "payload signed by the source's secret, and the provider parsers were still being "
            "written; the plain API is measured"
            if webhook
            else f"{WEBHOOK_PATH} is not served yet: the plain API is measured"
        ),
        "rows": rows,
    }


# --- backfill -----------------------------------------------------------------------------------


def _domain(history: data.History) -> tuple[list[Change], list[Deployment], list[Incident]]:
    changes = [
        Change(
            source=data.SOURCE,
            id=c.sha,
            kind=ChangeKind.COMMIT,
            repo=c.repo,
            authored_at=c.authored_at,
            sha=c.sha,
        )
        for c in history.commits
    ]
    deployments = [
        Deployment(
            source=data.SOURCE,
            id=d.id,
            service=d.service,
            environment="production",
            status=DeploymentStatus(d.status),
            started_at=d.started_at,
            finished_at=d.finished_at,
            revisions=(Revision(d.repo, d.sha),),
            kind=DeploymentKind(d.kind),
            rollback_of=d.rollback_of,
        )
        for d in history.deployments
    ]
    incidents = [
        Incident(
            source=data.SOURCE,
            id=i.id,
            services=(i.service,),
            severity=i.severity,
            created_at=i.created_at,
            acknowledged_at=i.acknowledged_at,
            resolved_at=i.resolved_at,
            root_cause_sha=i.root_cause_sha,
        )
        for i in history.incidents
    ]
    return changes, deployments, incidents


def measure_backfill(pg: _Postgres, work: Path, target: int, via: str) -> dict[str, Any]:
    days = target / (BACKFILL_SERVICES * EVENTS_PER_SERVICE_DAY)
    history = data.generate(BACKFILL_SERVICES, days, seed=99)
    url = pg.database()
    container, ctx = _container(work / "backfill", url)
    try:
        began = time.perf_counter()
        if via == "bulk":
            data.load_pg(_dsn(url), history)
        else:
            deps = container.deps
            changes, deployments, incidents = _domain(history)
            for c in changes:
                delivery_svc.record_change(deps, ctx, c)
            for d in deployments:
                delivery_svc.record_deployment(deps, ctx, d)
            for i in incidents:
                delivery_svc.record_incident(deps, ctx, i)
        load_s = time.perf_counter() - began
        first, out = _timed(lambda: dora_metrics(container.deps, ctx, _query(None)), 1)
        second, _ = _timed(lambda: dora_metrics(container.deps, ctx, _query(None)), 1)
    finally:
        container.close()
    assert isinstance(out, dict)
    return {
        "database": "postgresql 15 (throwaway cluster, fsync off), an empty database",
        "via": via,
        "events": history.events,
        "services": BACKFILL_SERVICES,
        "days": round(days, 1),
        "load_seconds": round(load_s, 2),
        "load_events_per_s": round(history.events / load_s, 1),
        "first_org_query_ms": round(first[0] * 1000, 1),
        "second_org_query_ms": round(second[0] * 1000, 1),
        "up_to_date_seconds": round(load_s + first[0], 2),
        "figures": _summary(out),
    }


# --- report -------------------------------------------------------------------------------------


def _goals(result: dict[str, Any]) -> dict[str, Any]:
    goals: dict[str, Any] = {}
    pg = result.get("postgresql")
    if pg and "skipped" not in pg:
        org = pg["sluicegate"]["organisation"]["ms"]["p95"]
        one = pg["sluicegate"]["service"]["ms"]["p95"]
        ratios = pg["ratio_ours_over_fourkeys"]
        speedups = {s: round(1 / r["p95"], 3) for s, r in ratios.items()}
        goals["org_p95_ms"] = {"value": org, "met": org <= GOALS["org_p95_ms_max"]}
        goals["service_p95_ms"] = {"value": one, "met": one <= GOALS["service_p95_ms_max"]}
        goals["speedup_vs_fourkeys_p95"] = {
            "value": speedups,
            "met": min(speedups.values()) >= GOALS["speedup_vs_fourkeys_min"],
        }
    ingest = result.get("ingest")
    if ingest and "skipped" not in ingest:
        best = max(r["events_per_s"] for r in ingest["rows"] if r["database"] == "postgresql")
        goals["ingest_events_per_s_pg_best"] = {
            "value": best,
            "met": best >= GOALS["ingest_events_per_s_min"],
        }
    return goals


def _tables(result: dict[str, Any]) -> None:
    rows: list[list[object]] = []
    for key in ("postgresql", "sqlite"):
        part = result.get(key)
        if not part or "skipped" in part:
            continue
        for scope in ("service", "organisation"):
            got = part["sluicegate"][scope]
            rows.append(
                [
                    key,
                    "Sluicegate dora_metrics (5 metrics), read model warm",
                    scope,
                    got["ms"]["p50"],
                    got["ms"]["p95"],
                    got["first_call_ms"],
                ]
            )
            rows.append(
                [
                    key,
                    "Sluicegate dora_metrics, cold (after a write)",
                    scope,
                    got["cold_ms"]["p50"],
                    got["cold_ms"]["p95"],
                    "",
                ]
            )
        if key == "postgresql":
            for scope in ("service", "organisation"):
                got = part["fourkeys"][scope]["four_figures_ms"]
                rows.append(
                    [key, "Four Keys, 4 dashboard figures", scope, got["p50"], got["p95"], ""]
                )
    if rows:
        print_table(
            f"DORA metrics, 90-day window, {result['data']['services']} services over "
            f"{result['data']['years']:g} years ({result['data']['deployments']:,} deployments, "
            f"{result['data']['commits']:,} commits, {result['data']['incidents']:,} incidents)",
            ["database", "what", "scope", "p50 ms", "p95 ms", "first call ms"],
            rows,
        )
    pg = result.get("postgresql")
    if pg and "skipped" not in pg:
        print_table(
            "Four Keys queries (PostgreSQL port), per query",
            ["scope", "query", "p50 ms", "p95 ms", "rows"],
            [
                [scope, name, q["ms"]["p50"], q["ms"]["p95"], q["rows"]]
                for scope in ("service", "organisation")
                for name, q in pg["fourkeys"][scope]["queries"].items()
            ],
        )
        print(f"ratio ours / Four Keys: {pg['ratio_ours_over_fourkeys']}")
        print(f"breakdown (org, PostgreSQL, ms): {pg['breakdown_org_ms']}")
        for scope in ("service", "organisation"):
            print(f"figures {scope}: ours {pg['sluicegate'][scope]['figures']}")
            print(f"figures {scope}: Four Keys {pg['fourkeys'][scope]['figures']}")
    ingest = result.get("ingest")
    if ingest and "skipped" not in ingest:
        print_table(
            f"Ingest: {ingest['endpoint']}, wrk, {ingest['seconds']:g} s per row",
            ["database", "workers", "connections", "events/s", "p50 ms", "p99 ms", "failures"],
            [
                [
                    r["database"],
                    r["workers"],
                    r["connections"],
                    r["events_per_s"],
                    r["p50"],
                    r["p99"],
                    r["failures"],
                ]
                for r in ingest["rows"]
            ],
        )
        print(ingest["webhook_note"])
    backfill = result.get("backfill")
    if backfill and "skipped" not in backfill:
        print(
            f"\nBackfill of {backfill['events']:,} events ({backfill['via']}): "
            f"{backfill['load_seconds']:g} s; first org-wide query "
            f"{backfill['first_org_query_ms']:g} ms, second {backfill['second_org_query_ms']:g} "
            f"ms; metrics up to date after {backfill['up_to_date_seconds']:g} s"
        )
    for name, goal in result["goal_results"].items():
        print(f"goal {name}: {'met' if goal['met'] else 'MISSED'} ({goal['value']})")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks delivery")
    parser.add_argument("--services", type=int, default=50, help="full scale: 500")
    parser.add_argument("--years", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=5, help="timed dora_metrics calls per scope")
    parser.add_argument("--series-runs", type=int, default=3, help="per Four Keys daily series")
    parser.add_argument("--only", default=",".join(PARTS), help=f"some of {','.join(PARTS)}")
    parser.add_argument("--connections", default="1,8,32", help="wrk connections, ingest")
    parser.add_argument("--ingest-seconds", type=float, default=10.0)
    parser.add_argument("--backfill", type=int, default=100_000, help="events to backfill")
    parser.add_argument("--backfill-via", choices=("bulk", "service"), default="bulk")
    parser.add_argument("--seed", type=int, default=13)
    args, _ = parser.parse_known_args(argv)
    wanted = {s.strip() for s in args.only.split(",")}
    parts = tuple(p for p in PARTS if p in wanted)
    if wanted - set(PARTS) or not parts or args.runs < 1 or args.services < 1:
        parser.error(f"--only takes some of {','.join(PARTS)}; --runs, --services >= 1")
    connections = [int(c) for c in args.connections.split(",")]
    began = time.perf_counter()
    history = data.generate(args.services, args.years * 365, seed=args.seed)
    generate_s = time.perf_counter() - began
    result: dict[str, Any] = {
        "goals": GOALS,
        "window_days": WINDOW_DAYS,
        "data": {
            "services": args.services,
            "years": args.years,
            "end": data.END.isoformat(),
            "deployments": len(history.deployments),
            "commits": len(history.commits),
            "incidents": len(history.incidents),
            "generate_seconds": round(generate_s, 1),
            "one_service": SERVICE,
        },
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    sys.stderr.write(f"generated {history.events:,} events in {generate_s:.1f} s\n")
    with tempfile.TemporaryDirectory(prefix="sluice-bench-delivery-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        pg = _Postgres(stack)
        runners: dict[str, Callable[[], dict[str, Any]]] = {
            "pg": lambda: measure_pg(pg, work, history, args.runs, args.series_runs),
            "sqlite": lambda: measure_sqlite(work, history, args.runs),
            "ingest": lambda: measure_ingest(pg, work, connections, args.ingest_seconds),
            "backfill": lambda: measure_backfill(pg, work, args.backfill, args.backfill_via),
        }
        keys = {"pg": "postgresql", "sqlite": "sqlite", "ingest": "ingest", "backfill": "backfill"}
        for part in parts:
            sys.stderr.write(f"delivery: {part}...\n")
            part_began = time.perf_counter()
            try:
                got = runners[part]()
            except RuntimeError:
                if not pg.problem:
                    raise
                got = {"skipped": pg.problem}
            got["part_seconds"] = round(time.perf_counter() - part_began, 1)
            result[keys[part]] = got
    result["goal_results"] = _goals(result)
    _tables(result)
    name = "delivery" if args.services == 50 else f"delivery-{args.services}"
    write_results(name, result)


if __name__ == "__main__":
    main(sys.argv[1:])
