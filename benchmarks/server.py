"""Server throughput with wrk: Sluicegate's endpoints against a bare FastAPI app, in one run.

Each target is a real server on loopback started the way an operator would (``sluice serve`` for
Sluicegate on SQLite with the OFREP rate limit off; ``uvicorn --factory`` for the bare app), and
``wrk`` drives it with ``CONNECTIONS`` keep-alive connections for ``--seconds`` per scenario.
The figures are ratios to the bare app measured in the same minute (these machines are noisy).

Scenarios (issue 11 section 6): the bare app's async GET and POST; Sluicegate's health, an
authenticated read (``GET /api/v1/me``), OFREP single and bulk evaluation, and the same with
``--workers 2``.

Parts, each selectable with ``--only`` (comma-separated; default all of them):

* ``sqlite``: the scenarios above (the JSON's ``rows``).
* ``pg``: ``GET /api/v1/me``, OFREP single and bulk against ``sluice serve`` on a throwaway
  PostgreSQL 15 (``SLUICE_DATABASE_URL``) at 1 and 2 workers, and the 2-worker/1-worker
  throughput ratio (goal >= 1.7x on 2 cores).
* ``gates``: the gate check (``POST /api/v1/experiments/{key}/gates/{stage}/check``) of the
  experiment benchmarks/gates.py seeds (20 Rego policies, 5 approval rules, 3 evidence gates), on
  PostgreSQL, under ``GATE_CONNECTIONS`` wrk connections; an answer other than 200 with
  ``"outcome":"pass"`` is a failure (goal p99 <= 100 ms).
* ``unleash``: Unleash (npm ``unleash-server``, benchmarks/_unleash.py) on the same PostgreSQL
  with the same 30 flags: its frontend API (``GET /api/frontend``, a frontend token, the same
  context as query parameters) against Sluicegate's OFREP bulk and single on PostgreSQL, one
  process each, at ``CONNECTIONS`` connections (goal >= 2x the throughput at an equal or lower
  p99). When npm, Node or Unleash fails, the JSON says why instead of a figure.
* ``soak``: ``--soak-seconds`` (600) of wrk load on OFREP single and ``GET /api/v1/me`` against
  one ``sluice serve`` worker on SQLite, sampling the server's RSS (its process tree, from
  /proc) every ``SOAK_SAMPLE_SECONDS``: RSS after the first minute, at the end, and the growth
  (goal <= 5 %).

``python -m benchmarks.server [--seconds N] [--only pg,gates,...] [--soak-seconds N]`` prints
the tables and writes ``benchmarks/results/server.json``; a run of some parts keeps the other
parts' last figures in it (each part records when it was measured).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks import _unleash
from benchmarks._common import RESULTS_DIR, print_table, write_results
from benchmarks._flags_ofrep import FLAGS, _document, _free_port, _sluice

__all__ = ["main", "measure"]

CONNECTIONS = 20
GATE_CONNECTIONS = 50
THREADS = 2
WORKER_COUNTS = tuple(int(n) for n in os.environ.get("BENCH_WORKERS", "1,2").split(","))
HEADERS = ["target", "scenario", "requests/s", "p50 ms", "p99 ms", "ratio to bare"]
PARTS = ("sqlite", "pg", "gates", "unleash", "soak")
#: The JSON key of each part (``rows`` is the original SQLite table).
SECTIONS = {
    "sqlite": "rows",
    "pg": "postgresql",
    "gates": "gate_checks",
    "unleash": "unleash",
    "soak": "soak",
}
GOALS = {
    "pg_two_workers_ratio_min": 1.7,
    "gate_check_p99_ms_max": 100.0,
    "unleash_throughput_ratio_min": 2.0,
    "soak_rss_growth_percent_max": 5.0,
}
SOAK_SAMPLE_SECONDS = 10.0
SOAK_BASELINE_SECONDS = 60.0
GATE_KEY, GATE_STAGE = "bench", "staging"
#: wrk's per-request timeout for the gate checks: slower answers count in the percentiles, and
#: as failures only beyond this
GATE_TIMEOUT_SECONDS = 30.0


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log.read_text(encoding="utf-8", errors="replace"))
        time.sleep(0.2)


@contextmanager
def _process(
    command: list[str], env: dict[str, str], probe: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait(probe, proc, log)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


@contextmanager
def bare(workdir: Path) -> Iterator[str]:
    port = _free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "benchmarks._bare_app:create",
        "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with _process(command, dict(os.environ), f"{url}/health", workdir / "bare.log"):
        yield url


def prepare(home: Path, database_url: str = "") -> tuple[dict[str, str], str, str]:
    """An installation (SQLite in ``home``, or ``database_url``); its env and the admin token."""
    # access log off, as the bare app runs (--no-access-log): like for like; measure_sqlite
    # also reports the access log's own cost (ADR 0021)
    env = {
        **os.environ,
        "SLUICE_HOME": str(home),
        "SLUICE_OFREP_RATE": "0",
        "SLUICE_ACCESS_LOG": "0",
    }
    env.pop("SLUICE_DATABASE_URL", None)
    if database_url:
        env["SLUICE_DATABASE_URL"] = database_url
    admin = json.loads(_sluice(env, "init", "--admin", "bench", "--json"))["token"]
    return env, admin, ""


@contextmanager
def serve(
    home: Path, env: dict[str, str], workers: int
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``sluice serve`` on a free port; yields the process and its URL."""
    port = _free_port()
    command = [sys.executable, "-m", "sluicegate", "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    url = f"http://127.0.0.1:{port}"
    log = home / f"serve-{workers}.log"
    with _process(command, env, f"{url}/api/v1/health", log) as proc:
        yield proc, url


@contextmanager
def sluice(home: Path, env: dict[str, str], workers: int) -> Iterator[str]:
    with serve(home, env, workers) as (_, url):
        yield url


def seed_flags(url: str, admin: str) -> str:
    """The benchmark's flag set (30 flags) and a token scoped to it."""
    with httpx.Client(
        base_url=url, headers={"authorization": f"Bearer {admin}"}, timeout=30
    ) as http:
        http.post("/api/v1/teams", json={"key": "bench", "name": "Bench"}).raise_for_status()
        body = {"name": "bench", "environment": "staging", "owner_team": "bench"}
        http.post("/api/v1/flag-sets", json={**body, "document": _document()}).raise_for_status()
        issued = http.post("/api/v1/flag-sets/bench/staging/tokens", json={"name": "bench"})
        issued.raise_for_status()
        token: str = issued.json()["token"]
        return token


_LUA = """
wrk.method = "{method}"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
{auth}
"""

#: Appended to the script when ``expect`` is given: a response is good when its status is 200 and
#: its body contains ``expect``; done() prints the other responses' count over all threads.
_LUA_EXPECT = """
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, {expect}, 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("UNEXPECTED %d\\n", total))
end
"""


def _wrk_command(
    url: str,
    seconds: float,
    *,
    method: str = "GET",
    body: Any = None,
    token: str = "",
    authorization: str = "",
    connections: int = CONNECTIONS,
    expect: str = "",
    timeout: float = 0.0,
) -> tuple[list[str], str]:
    """The wrk command line and the path of its Lua script (the caller removes it)."""
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed (Debian package wrk)")
    value = authorization or (f"Bearer {token}" if token else "")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            _LUA.format(
                method=method,
                body=json.dumps(json.dumps(body)) if body is not None else "nil",
                auth=f'wrk.headers["Authorization"] = "{value}"' if value else "",
            )
        )
        if expect:
            script.write(_LUA_EXPECT.format(expect=json.dumps(expect)))
    command = [
        binary, "-t", str(min(THREADS, connections)), "-c", str(connections), "-d", f"{seconds:g}s",
        "--latency", "-s", script.name, url,
    ]  # fmt: skip
    if timeout:  # wrk leaves answers slower than its timeout (2 s) out of the percentiles
        command[1:1] = ["--timeout", f"{timeout:g}s"]
    return command, script.name


def _parse(out: str, what: str, *, strict: bool) -> dict[str, float]:
    """Requests/s, p50 and p99 of wrk's output, with the failed answers' count."""
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if strict and non_2xx is not None:
        raise RuntimeError(f"{what}: non-2xx answers\n{out}")
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    unexpected = re.search(r"^UNEXPECTED (\d+)$", out, re.M)
    requests = re.search(r"(\d+) requests in", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    got = {"rps": rps, "p50": _pct(out, "50%"), "p99": _pct(out, "99%")}
    if not strict:
        got["requests"] = int(requests.group(1)) if requests else 0
        got["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
        got["socket_errors"] = sum(int(n) for n in sock.groups()) if sock else 0
        got["unexpected"] = int(unexpected.group(1)) if unexpected else 0
        got["failures"] = got["socket_errors"] + max(got["non_2xx"], got["unexpected"])
    return got


def wrk(
    url: str,
    seconds: float,
    *,
    method: str = "GET",
    body: Any = None,
    token: str = "",
    authorization: str = "",
    connections: int = CONNECTIONS,
    expect: str = "",
    timeout: float = 0.0,
) -> dict[str, float]:
    """Requests/s and latency percentiles of one wrk run.

    Without ``expect`` any non-2xx answer fails the run; with it, answers that are not 200 with
    ``expect`` in the body, and socket errors, are counted (``failures``) instead.
    """
    command, script = _wrk_command(
        url,
        seconds,
        method=method,
        body=body,
        token=token,
        authorization=authorization,
        connections=connections,
        expect=expect,
        timeout=timeout,
    )
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60, check=True
        )
    finally:
        os.unlink(script)
    return _parse(done.stdout, f"{method} {url}", strict=not expect)


def _pct(out: str, label: str) -> float:
    match = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


CONTEXT = {"context": {"targetingKey": "user-7", "plan": "pro", "n": 7}}


def _scenarios(
    url: str, admin: str, flag_token: str, seconds: float
) -> dict[str, dict[str, float]]:
    """``GET /api/v1/me``, OFREP single and OFREP bulk against one server."""
    return {
        "GET /api/v1/me": wrk(f"{url}/api/v1/me", seconds, token=admin),
        "OFREP single": wrk(
            f"{url}/ofrep/v1/evaluate/flags/flag-1",
            seconds,
            method="POST",
            body=CONTEXT,
            token=flag_token,
        ),
        "OFREP bulk (30 flags)": wrk(
            f"{url}/ofrep/v1/evaluate/flags", seconds, method="POST", body=CONTEXT, token=flag_token
        ),
    }


def _label(workers: int) -> str:
    return f"sluice serve, {workers} worker{'s' if workers > 1 else ''}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def measure_sqlite(work: Path, seconds: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    home = work / "home"
    env, admin, _ = prepare(home)
    with bare(work) as url:
        base_get = wrk(f"{url}/health", seconds)
        base_post = wrk(f"{url}/evaluate", seconds, method="POST", body=CONTEXT)
    rows.append({"target": "bare FastAPI", "scenario": "async GET", **base_get, "ratio": 1.0})
    rows.append({"target": "bare FastAPI", "scenario": "async POST", **base_post, "ratio": 1.0})
    flag_token = ""
    for workers in WORKER_COUNTS:
        with sluice(home, env, workers) as url:
            if not flag_token:
                flag_token = seed_flags(url, admin)
            health = wrk(f"{url}/api/v1/health", seconds)
            runs = {"GET /api/v1/health": health, **_scenarios(url, admin, flag_token, seconds)}
            rows += _rows(_label(workers), runs, base_get, base_post)
    with sluice(home, {**env, "SLUICE_ACCESS_LOG": "1"}, 1) as url:
        runs = _scenarios(url, admin, flag_token, seconds)
        rows += _rows("sluice serve, 1 worker, access log on", runs, base_get, base_post)
    return rows


def _rows(
    target: str,
    runs: dict[str, dict[str, float]],
    base_get: dict[str, float],
    base_post: dict[str, float],
) -> list[dict[str, Any]]:
    """Table rows of ``runs``, each with its ratio to the bare app's GET or POST."""
    rows = []
    for scenario, got in runs.items():
        base = base_get if scenario.startswith("GET") else base_post
        ratio = round(got["rps"] / base["rps"], 3)
        rows.append({"target": target, "scenario": scenario, **got, "ratio": ratio})
    return rows


class _Postgres:
    """The throwaway PostgreSQL 15 of tests/support/postgres.py, started on first use."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._cluster: Any = None
        self.problem = ""

    def database(self, driver: str = "postgresql+psycopg") -> str:
        """A new database's URL; raises RuntimeError when PostgreSQL cannot start here."""
        if self.problem:
            raise RuntimeError(self.problem)
        if self._cluster is None:
            try:
                from tests.support.postgres import start_cluster

                self._cluster = self._stack.enter_context(start_cluster())
            except BaseException as exc:  # skip the PostgreSQL parts, saying why
                self.problem = f"PostgreSQL 15 unavailable: {type(exc).__name__}: {exc}"
                raise RuntimeError(self.problem) from exc
        name = str(self._cluster.create_database())
        return f"{driver}://postgres@127.0.0.1:{self._cluster.port}/{name}"


def measure_pg(work: Path, pg: _Postgres, seconds: float) -> dict[str, Any]:
    home = work / "pg"
    env, admin, _ = prepare(home, pg.database())
    rows: list[dict[str, Any]] = []
    flag_token = ""
    for workers in WORKER_COUNTS:
        with sluice(home, env, workers) as url:
            if not flag_token:
                flag_token = seed_flags(url, admin)
            for scenario, got in _scenarios(url, admin, flag_token, seconds).items():
                rows.append({"target": _label(workers), "workers": workers, "scenario": scenario})
                rows[-1].update(got)
    scaling: dict[str, float] = {}
    if {1, 2} <= set(WORKER_COUNTS):
        by = {(r["workers"], r["scenario"]): r["rps"] for r in rows}
        for scenario in dict.fromkeys(r["scenario"] for r in rows):
            scaling[scenario] = round(by[(2, scenario)] / by[(1, scenario)], 3)
    return {
        "database": "postgresql 15 (throwaway cluster, fsync off)",
        "rows": rows,
        "two_workers_ratio": scaling,
        "goal_met": bool(scaling) and min(scaling.values()) >= GOALS["pg_two_workers_ratio_min"],
    }


def measure_gates(work: Path, pg: _Postgres, seconds: float) -> dict[str, Any]:
    from benchmarks.gates import POLICIES, seed

    home = work / "gates"
    home.mkdir(mode=0o700)
    url = pg.database()
    container, _, alice = seed(home, url)
    container.close()
    env = {
        **os.environ,
        "SLUICE_HOME": str(home),
        "SLUICE_DATABASE_URL": url,
        "SLUICE_POLICY_DIR": str(home / "policies"),
    }
    path = f"/api/v1/experiments/{GATE_KEY}/gates/{GATE_STAGE}/check"
    rows: list[dict[str, Any]] = []
    for workers in WORKER_COUNTS:
        with sluice(home, env, workers) as base:
            first = httpx.post(
                f"{base}{path}", json={}, headers={"authorization": f"Bearer {alice}"}, timeout=60
            )
            if first.status_code != 200 or first.json().get("outcome") != "pass":
                raise RuntimeError(f"the gate check must pass: {first.status_code} {first.text}")
            time.sleep(2.5)  # the bundle settles, as in benchmarks/gates.py
            got = wrk(
                f"{base}{path}",
                seconds,
                method="POST",
                body={},
                token=alice,
                connections=GATE_CONNECTIONS,
                expect='"outcome":"pass"',
                timeout=GATE_TIMEOUT_SECONDS,
            )
        rows.append({"target": _label(workers), "workers": workers, **got})
    return {
        "database": "postgresql 15 (throwaway cluster, fsync off)",
        "connections": GATE_CONNECTIONS,
        "wrk_timeout_seconds": GATE_TIMEOUT_SECONDS,
        "endpoint": f"POST {path}",
        "setup": {"rego_policies": POLICIES, "approval_rules": 5, "evidence_gates": 3},
        "rows": rows,
        "goal_met": all(
            r["p99"] <= GOALS["gate_check_p99_ms_max"] and r["failures"] == 0 for r in rows
        ),
    }


def measure_unleash(work: Path, pg: _Postgres, seconds: float) -> dict[str, Any]:
    """Unleash's frontend API beside Sluicegate's OFREP on PostgreSQL, one process each."""
    try:
        package = _unleash.install()
    except (_unleash.Unavailable, OSError, subprocess.SubprocessError) as exc:
        return {"skipped": str(exc), "version": _unleash.VERSION}
    home = work / "peer"
    env, admin, _ = prepare(home, pg.database())
    unleash_db = pg.database(driver="postgres")
    query = _unleash.frontend_query(CONTEXT)
    rows: list[dict[str, Any]] = []
    with sluice(home, env, 1) as url:
        flag_token = seed_flags(url, admin)
        try:
            with _unleash.serve(package, unleash_db, work / "unleash.log") as (peer, uadmin, front):
                on = _unleash.seed(peer, uadmin, front, CONTEXT)
                wrk(f"{peer}/api/frontend?{query}", min(seconds, 2.0), authorization=front)
                unleash = wrk(f"{peer}/api/frontend?{query}", seconds, authorization=front)
                bulk = wrk(
                    f"{url}/ofrep/v1/evaluate/flags",
                    seconds,
                    method="POST",
                    body=CONTEXT,
                    token=flag_token,
                )
                single = wrk(
                    f"{url}/ofrep/v1/evaluate/flags/flag-1",
                    seconds,
                    method="POST",
                    body=CONTEXT,
                    token=flag_token,
                )
        except _unleash.Unavailable as exc:
            return {"skipped": str(exc), "version": _unleash.VERSION}
    rows.append({"target": f"Unleash {_unleash.VERSION}", "scenario": "GET /api/frontend"})
    rows[-1].update(unleash)
    rows.append({"target": _label(1), "scenario": "OFREP bulk (30 flags)", **bulk})
    rows.append({"target": _label(1), "scenario": "OFREP single", **single})
    ratios = {
        "bulk_vs_unleash": round(bulk["rps"] / unleash["rps"], 3),
        "single_vs_unleash": round(single["rps"] / unleash["rps"], 3),
    }
    minimum = GOALS["unleash_throughput_ratio_min"]
    return {
        "version": _unleash.VERSION,
        "database": "postgresql 15 (the same throwaway cluster, a database each)",
        "connections": CONNECTIONS,
        "flags": FLAGS,
        "unleash_flags_on_for_context": len(on),
        "flag_mapping": (
            "each flag enabled in 'development' with one flexibleRollout strategy: static = 100 %"
            " (on; Sluicegate's static flags answer off), attribute = 100 % with plan IN [pro],"
            " fractional = 50 % sticky on userId; the frontend API answers only the flags on for"
            " the context"
        ),
        "rows": rows,
        "ratios": ratios,
        "goal_met": ratios["bulk_vs_unleash"] >= minimum and bulk["p99"] <= unleash["p99"],
    }


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def rss_bytes(pid: int) -> int:
    """The resident set of ``pid`` and its descendants (psutil if installed, else /proc)."""
    try:
        import psutil  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        tree = _children()
        total, todo = 0, [pid]
        while todo:
            p = todo.pop()
            todo.extend(tree.get(p, []))
            try:
                status = Path(f"/proc/{p}/status").read_text()
            except OSError:
                continue
            match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            total += int(match.group(1)) * 1024 if match else 0
        return total
    proc = psutil.Process(pid)
    procs = [proc, *proc.children(recursive=True)]
    return int(sum(p.memory_info().rss for p in procs if p.is_running()))


def measure_soak(work: Path, soak_seconds: float) -> dict[str, Any]:
    home = work / "soak"
    env, admin, _ = prepare(home)
    samples: list[tuple[float, int]] = []
    with serve(home, env, 1) as (proc, url):
        flag_token = seed_flags(url, admin)
        half = CONNECTIONS // 2
        commands = [
            _wrk_command(
                f"{url}/ofrep/v1/evaluate/flags/flag-1",
                soak_seconds,
                method="POST",
                body=CONTEXT,
                token=flag_token,
                connections=half,
            ),
            _wrk_command(f"{url}/api/v1/me", soak_seconds, token=admin, connections=half),
        ]
        started = time.monotonic()
        loads = [subprocess.Popen(c, stdout=subprocess.PIPE, text=True) for c, _ in commands]
        try:
            while any(load.poll() is None for load in loads):
                samples.append((round(time.monotonic() - started, 1), rss_bytes(proc.pid)))
                _sleep_until(started, len(samples) * SOAK_SAMPLE_SECONDS, loads)
            outs = [load.communicate(timeout=60)[0] for load in loads]
        finally:
            for load in loads:
                if load.poll() is None:
                    load.kill()
            for _, script in commands:
                os.unlink(script)
        samples.append((round(time.monotonic() - started, 1), rss_bytes(proc.pid)))
    runs = {
        "OFREP single": _parse(outs[0], "soak OFREP single", strict=True),
        "GET /api/v1/me": _parse(outs[1], "soak GET /api/v1/me", strict=True),
    }
    at = min(SOAK_BASELINE_SECONDS, soak_seconds / 2)
    baseline = next((s for s in samples if s[0] >= at), samples[-1])
    end = samples[-1]
    growth = (end[1] - baseline[1]) / baseline[1] * 100 if baseline[1] else math.nan
    return {
        "database": "sqlite",
        "workers": 1,
        "seconds": soak_seconds,
        "connections": {"OFREP single": half, "GET /api/v1/me": half},
        "load": runs,
        "sample_every_seconds": SOAK_SAMPLE_SECONDS,
        "rss_samples": [{"t": t, "rss_mib": round(b / 2**20, 2)} for t, b in samples],
        "baseline_at_seconds": baseline[0],
        "rss_after_first_minute_mib": round(baseline[1] / 2**20, 2),
        "rss_end_mib": round(end[1] / 2**20, 2),
        "rss_growth_percent": round(growth, 2),
        "goal_met": growth <= GOALS["soak_rss_growth_percent_max"],
    }


def _sleep_until(started: float, offset: float, loads: list[subprocess.Popen[str]]) -> None:
    while time.monotonic() < started + offset and any(load.poll() is None for load in loads):
        time.sleep(0.2)


def measure(
    seconds: float,
    parts: tuple[str, ...] = PARTS,
    *,
    gate_seconds: float | None = None,
    soak_seconds: float = 600.0,
) -> dict[str, Any]:
    """The selected parts' figures, keyed as in ``SECTIONS`` (a part that cannot run here says
    why in ``{"skipped": reason}``)."""
    result: dict[str, Any] = {"connections": CONNECTIONS, "seconds": seconds, "goals": GOALS}
    with tempfile.TemporaryDirectory(prefix="sluice-bench-server-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        pg = _Postgres(stack)
        durations = {
            "sqlite": seconds,
            "pg": seconds,
            "gates": gate_seconds or seconds,
            "unleash": seconds,
            "soak": soak_seconds,
        }
        runners: dict[str, Callable[[], Any]] = {
            "sqlite": lambda: measure_sqlite(work, seconds),
            "pg": lambda: measure_pg(work, pg, seconds),
            "gates": lambda: measure_gates(work, pg, gate_seconds or seconds),
            "unleash": lambda: measure_unleash(work, pg, seconds),
            "soak": lambda: measure_soak(work, soak_seconds),
        }
        for part in parts:
            began = _now()
            try:
                got = runners[part]()
            except RuntimeError:
                if part not in ("pg", "gates", "unleash") or not pg.problem:
                    raise
                got = {"skipped": pg.problem}
            if isinstance(got, dict):
                got["measured_at"] = began
                got.setdefault("seconds", durations[part])
            else:
                result["rows_measured_at"] = began
            result[SECTIONS[part]] = got
    return result


def _merge(result: dict[str, Any], parts: tuple[str, ...]) -> dict[str, Any]:
    """The last written results with the parts measured now replaced (a partial run)."""
    previous = RESULTS_DIR / "server.json"
    if set(parts) == set(PARTS) or not previous.is_file():
        return result
    old = json.loads(previous.read_text(encoding="utf-8"))
    kept = {k: v for k, v in old.items() if k not in ("benchmark", "machine")}
    if "sqlite" not in parts:
        result.pop("seconds", None)
    return {**kept, **result}


def _tables(result: dict[str, Any], parts: tuple[str, ...]) -> None:
    def fmt(r: dict[str, Any]) -> list[str]:
        return [f"{r['rps']:.0f}", f"{r['p50']:.1f}", f"{r['p99']:.1f}"]

    if "sqlite" in parts:
        print_table(
            f"Server throughput, SQLite, wrk -c{CONNECTIONS}, {result['seconds']:g} s per scenario",
            HEADERS,
            [[r["target"], r["scenario"], *fmt(r), f"{r['ratio']:.2f}"] for r in result["rows"]],
        )
    for part, title in (("pg", "PostgreSQL"), ("gates", "Gate checks"), ("unleash", "Unleash")):
        section = result.get(SECTIONS[part]) if part in parts else None
        if section is None:
            continue
        if "skipped" in section:
            print(f"\n{title}: skipped: {section['skipped']}")
            continue
        rows = section["rows"]
        print_table(
            f"{title}: wrk -c{section.get('connections', CONNECTIONS)}",
            ["target", "scenario", "requests/s", "p50 ms", "p99 ms", "failures"],
            [
                [
                    r["target"],
                    r.get("scenario", section.get("endpoint", "")),
                    *fmt(r),
                    str(r.get("failures", 0)),
                ]
                for r in rows
            ],
        )
        for key in ("two_workers_ratio", "ratios"):
            if key in section:
                print(f"{key}: {section[key]}")
        print(f"goal met: {section['goal_met']}")
    soak = result.get("soak") if "soak" in parts else None
    if soak is not None:
        print(
            f"\nSoak, {soak['seconds']:g} s, 1 worker on SQLite: RSS "
            f"{soak['rss_after_first_minute_mib']} MiB at {soak['baseline_at_seconds']:g} s, "
            f"{soak['rss_end_mib']} MiB at the end: {soak['rss_growth_percent']:+.2f} % "
            f"(goal <= {GOALS['soak_rss_growth_percent_max']:g} %: "
            f"{'met' if soak['goal_met'] else 'MISSED'})"
        )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server")
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk time per scenario")
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run, of {','.join(PARTS)} (default: all)",
    )
    parser.add_argument("--gate-seconds", type=float, default=None, help="default: --seconds")
    parser.add_argument("--soak-seconds", type=float, default=600.0)
    args, _ = parser.parse_known_args(argv)
    parts = tuple(p for p in PARTS if p in {s.strip() for s in args.only.split(",")})
    unknown = {s.strip() for s in args.only.split(",")} - set(PARTS)
    if unknown or not parts:
        parser.error(f"--only takes some of {','.join(PARTS)}; got {args.only!r}")
    result = measure(
        args.seconds, parts, gate_seconds=args.gate_seconds, soak_seconds=args.soak_seconds
    )
    _tables(result, parts)
    write_results("server", _merge(result, parts))


if __name__ == "__main__":
    main(sys.argv[1:])
