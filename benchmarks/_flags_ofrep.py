"""OFREP throughput against a real server: ``uvicorn --workers 2 --factory`` on loopback.

``measure()`` prepares a SQLite installation in a temporary directory, creates a flag set of
``FLAGS`` flags (static, attribute-targeting and fractional, a third each) and a token scoped to
it, starts ``uvicorn --workers 2 --factory sluicegate.api.app:create_app_from_env`` with the
OFREP rate limit off, and drives it with ``CONCURRENCY`` keep-alive httpx clients (asyncio,
split over ``CLIENT_PROCESSES`` processes) for a fixed number of seconds per scenario. It returns
``{"headers", "rows", ...}``, one row per scenario: requests/s, flags evaluated/s, mean latency.

``python -m benchmarks._flags_ofrep [--quick]`` prints the table.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from benchmarks._common import machine, print_table

__all__ = ["HEADERS", "main", "measure"]

HEADERS = ["scenario", "requests/s", "flags evaluated/s", "mean latency ms"]
FLAGS = 30
CONCURRENCY = 16
CLIENT_PROCESSES = 2
WORKERS = 2
CONTEXTS = [
    {"targetingKey": f"user-{i}", "plan": "pro" if i % 3 == 0 else "free", "n": i}
    for i in range(64)
]


def _document() -> dict[str, Any]:
    flags: dict[str, Any] = {}
    for i in range(FLAGS):
        flag: dict[str, Any] = {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
        }
        if i % 3 == 1:
            flag["targeting"] = {"if": [{"==": [{"var": "plan"}, "pro"]}, "on", "off"]}
        elif i % 3 == 2:
            flag["targeting"] = {"fractional": [["on", 50], ["off", 50]]}
        flags[f"flag-{i}"] = flag
    return {"flags": flags}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sluice(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sluicegate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


@contextmanager
def _server(home: Path) -> Iterator[tuple[str, str]]:
    """A prepared installation served by uvicorn workers; yields (url, scoped token)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SLUICE_HOME": str(home), "SLUICE_OFREP_RATE": "0"}
    env.pop("SLUICE_DATABASE_URL", None)
    admin = json.loads(_sluice(env, "init", "--admin", "bench", "--json"))["token"]
    log = (home / "uvicorn.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "--factory", "sluicegate.api.app:create_app_from_env",
            "--workers", str(WORKERS), "--port", str(port), "--log-level", "warning",
            "--no-access-log",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        with httpx.Client(
            base_url=url, headers={"authorization": f"Bearer {admin}"}, timeout=30
        ) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if http.get("/api/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((home / "uvicorn.log").read_text())
                time.sleep(0.2)
            http.post("/api/v1/teams", json={"key": "bench", "name": "Bench"}).raise_for_status()
            body = {
                "name": "bench",
                "environment": "staging",
                "owner_team": "bench",
                "document": _document(),
            }
            http.post("/api/v1/flag-sets", json=body).raise_for_status()
            issued = http.post("/api/v1/flag-sets/bench/staging/tokens", json={"name": "bench"})
            issued.raise_for_status()
        yield url, issued.json()["token"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
            log.close()


async def _drive(
    url: str, token: str, scenario: str, seconds: float, concurrency: int
) -> tuple[int, float, float]:
    """Requests done, elapsed seconds, and summed latency, over ``seconds`` of load."""
    headers = {"authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:
        etags: dict[int, str] = {}
        for i, ctx in enumerate(CONTEXTS):
            r = await client.post("/ofrep/v1/evaluate/flags", json={"context": ctx})
            r.raise_for_status()
            etags[i] = r.headers["etag"]
        done = 0
        latency = 0.0
        stop = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal done, latency
            i = offset
            while time.perf_counter() < stop:
                n = i % len(CONTEXTS)
                body = {"context": CONTEXTS[n]}
                began = time.perf_counter()
                if scenario == "single":
                    r = await client.post(f"/ofrep/v1/evaluate/flags/flag-{i % FLAGS}", json=body)
                elif scenario == "bulk-304":
                    r = await client.post(
                        "/ofrep/v1/evaluate/flags", json=body, headers={"If-None-Match": etags[n]}
                    )
                else:
                    r = await client.post("/ofrep/v1/evaluate/flags", json=body)
                latency += time.perf_counter() - began
                if r.status_code not in (200, 304):
                    raise RuntimeError(f"{scenario}: HTTP {r.status_code}: {r.text}")
                done += 1
                i += concurrency

        started = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        return done, time.perf_counter() - started, latency


def _client_process(
    url: str, token: str, scenario: str, seconds: float
) -> tuple[int, float, float]:
    return asyncio.run(_drive(url, token, scenario, seconds, CONCURRENCY // CLIENT_PROCESSES))


def _load(url: str, token: str, scenario: str, seconds: float) -> tuple[int, float, float]:
    """Run the scenario in every client process at once; sum their requests and latencies."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(CLIENT_PROCESSES, mp_context=context) as pool:
        futures = [
            pool.submit(_client_process, url, token, scenario, seconds)
            for _ in range(CLIENT_PROCESSES)
        ]
        results = [f.result() for f in futures]
    return (
        sum(r[0] for r in results),
        max(r[1] for r in results),
        sum(r[2] for r in results),
    )


def measure(*, seconds: float = 5.0) -> dict[str, Any]:
    """OFREP throughput with 2 uvicorn workers: bulk (200), bulk revalidation (304), single."""
    rows: list[list[Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="sluicegate-ofrep-") as tmp,
        _server(Path(tmp)) as (
            url,
            token,
        ),
    ):
        _load(url, token, "bulk", min(seconds, 1.0))  # warm both workers up
        for scenario, per_request in (("bulk", FLAGS), ("bulk-304", 0), ("single", 1)):
            done, elapsed, latency = _load(url, token, scenario, seconds)
            rate = done / elapsed
            rows.append([scenario, rate, rate * per_request, latency / done * 1000])
    return {
        "headers": HEADERS,
        "rows": rows,
        "flags_per_set": FLAGS,
        "uvicorn_workers": WORKERS,
        "concurrency": CONCURRENCY,
        "client_processes": CLIENT_PROCESSES,
        "seconds_per_scenario": seconds,
        "note": "client processes and server workers share this machine's CPUs",
        "machine": machine(),
    }


def main(argv: list[str]) -> None:
    result = measure(seconds=2.0 if "--quick" in argv else 5.0)
    print_table("OFREP over HTTP (2 uvicorn workers, loopback)", HEADERS, result["rows"])


if __name__ == "__main__":
    main(sys.argv[1:])
