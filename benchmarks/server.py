"""Server throughput with wrk: Sluicegate's endpoints against a bare FastAPI app, in one run.

Each target is a real server on loopback started the way an operator would (``sluice serve`` for
Sluicegate on SQLite with the OFREP rate limit off; ``uvicorn --factory`` for the bare app), and
``wrk`` drives it with ``CONNECTIONS`` keep-alive connections for ``--seconds`` per scenario.
The figures are ratios to the bare app measured in the same minute (these machines are noisy).

Scenarios (issue 11 section 6): the bare app's async GET and POST; Sluicegate's health, an
authenticated read (``GET /api/v1/me``), OFREP single and bulk evaluation, and the same with
``--workers 2``.

``python -m benchmarks.server [--seconds N]`` prints the table and writes
``benchmarks/results/server.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from benchmarks._common import print_table, write_results
from benchmarks._flags_ofrep import _document, _free_port, _sluice

__all__ = ["main", "measure"]

CONNECTIONS = 20
THREADS = 2
WORKER_COUNTS = tuple(int(n) for n in os.environ.get("BENCH_WORKERS", "1,2").split(","))
HEADERS = ["target", "scenario", "requests/s", "p50 ms", "p99 ms", "ratio to bare"]


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
def _process(command: list[str], env: dict[str, str], probe: str, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait(probe, proc, log)
            yield
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


def prepare(home: Path) -> tuple[dict[str, str], str, str]:
    """A SQLite installation with one flag set; its env, the admin token and a flag token."""
    env = {**os.environ, "SLUICE_HOME": str(home), "SLUICE_OFREP_RATE": "0"}
    env.pop("SLUICE_DATABASE_URL", None)
    admin = json.loads(_sluice(env, "init", "--admin", "bench", "--json"))["token"]
    return env, admin, ""


@contextmanager
def sluice(home: Path, env: dict[str, str], workers: int) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "sluicegate", "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    url = f"http://127.0.0.1:{port}"
    with _process(command, env, f"{url}/api/v1/health", home / f"serve-{workers}.log"):
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


def wrk(
    url: str, seconds: float, *, method: str = "GET", body: Any = None, token: str = ""
) -> dict[str, float]:
    """Requests/s and latency percentiles of one wrk run (non-2xx answers fail the run)."""
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed (Debian package wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            _LUA.format(
                method=method,
                body=json.dumps(json.dumps(body)) if body is not None else "nil",
                auth=f'wrk.headers["Authorization"] = "Bearer {token}"' if token else "",
            )
        )
    try:
        done = subprocess.run(
            [
                binary, "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds:g}s",
                "--latency", "-s", script.name, url,
            ],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    out = done.stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"{method} {url}: non-2xx answers\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50": _pct(out, "50%"), "p99": _pct(out, "99%")}


def _pct(out: str, label: str) -> float:
    match = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


CONTEXT = {"context": {"targetingKey": "user-7", "plan": "pro", "n": 7}}


def measure(seconds: float) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="sluice-bench-server-") as tmp:
        work = Path(tmp)
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
                label = f"sluice serve, {workers} worker{'s' if workers > 1 else ''}"
                runs = {
                    "GET /api/v1/health": (wrk(f"{url}/api/v1/health", seconds), base_get),
                    "GET /api/v1/me": (wrk(f"{url}/api/v1/me", seconds, token=admin), base_get),
                    "OFREP single": (
                        wrk(
                            f"{url}/ofrep/v1/evaluate/flags/flag-1",
                            seconds,
                            method="POST",
                            body=CONTEXT,
                            token=flag_token,
                        ),
                        base_post,
                    ),
                    "OFREP bulk (30 flags)": (
                        wrk(
                            f"{url}/ofrep/v1/evaluate/flags",
                            seconds,
                            method="POST",
                            body=CONTEXT,
                            token=flag_token,
                        ),
                        base_post,
                    ),
                }
                for scenario, (got, base) in runs.items():
                    rows.append(
                        {
                            "target": label,
                            "scenario": scenario,
                            **got,
                            "ratio": round(got["rps"] / base["rps"], 3),
                        }
                    )
    return {"connections": CONNECTIONS, "seconds": seconds, "rows": rows}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    result = measure(args.seconds)
    print_table(
        f"Server throughput, wrk -c{CONNECTIONS}, {args.seconds:g} s per scenario",
        HEADERS,
        [
            [
                r["target"],
                r["scenario"],
                f"{r['rps']:.0f}",
                f"{r['p50']:.1f}",
                f"{r['p99']:.1f}",
                f"{r['ratio']:.2f}",
            ]
            for r in result["rows"]
        ],
    )
    write_results("server", result)


if __name__ == "__main__":
    main(sys.argv[1:])
