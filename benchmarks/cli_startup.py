"""CLI start-up benchmark: wall time of whole ``sluice`` processes, from exec to exit.

Each case runs as a fresh subprocess ``--runs`` times (default 20, after one warm-up run that
fills the OS page cache and Python's bytecode cache) and reports the median and p90 of the wall
time, and the median CPU time (user + system) of the child, which a busy machine disturbs less
than the wall time:

* **python -c pass**: the interpreter alone, the floor no CLI can go below;
* **sluice --help**, **sluice --version**, **sluice rollout --help**: help and version;
* **experiment list** and **rollout list --json**: client commands against a local stub server
  (a thread of this process on loopback answering ``{"items": []}``), so the figure is the CLI's
  own cost plus one loopback HTTP round trip, not the server's.

Goal (issue 12): ``sluice --help`` and client commands start in <= 0.3 s (median).
Run ``python -m benchmarks cli_startup [--runs N] [--baseline PYTHON]``.

``--baseline PYTHON`` also times another installation's CLI (``PYTHON -m sluicegate``, e.g. the
virtualenv of a checkout of the previous release) with its runs interleaved with this one's, so
that both see the same machine load, and reports the ratio of the medians (baseline / this).
Its bytecode cache goes to a temporary directory (``PYTHONPYCACHEPREFIX``), so the other
checkout is not written to.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from benchmarks._common import percentiles, print_table, write_results

GOAL_SECONDS = 0.3


class _Stub(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"items": []}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system of the child) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False, timeout=60)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()}")
    return elapsed, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def _time(
    sides: list[tuple[list[str], dict[str, str]]], runs: int
) -> list[tuple[list[float], list[float]]]:
    """Wall and CPU seconds of ``runs`` runs of each side, the sides' runs interleaved."""
    samples: list[tuple[list[float], list[float]]] = [([], []) for _ in sides]
    for n in range(runs + 1):
        for (argv, env), (wall, cpu) in zip(sides, samples, strict=True):
            elapsed, used = _run_once(argv, env)
            if n:  # the first run only warms the caches
                wall.append(elapsed)
                cpu.append(used)
    return samples


def _summary(wall: list[float], cpu: list[float], goal: bool) -> dict[str, Any]:
    median = statistics.median(wall)
    return {
        "runs": len(wall),
        "median_s": median,
        "cpu_median_s": statistics.median(cpu),
        **percentiles(wall, 50, 90),
        "meets_goal": median <= GOAL_SECONDS if goal else None,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks cli_startup")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--baseline",
        metavar="PYTHON",
        help="also time PYTHON -m sluicegate (another checkout's venv) and report the ratio",
    )
    args, _ = parser.parse_known_args(argv)

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # The warm-up run must be able to fill the bytecode cache, or every run compiles every module
    # (some shells set PYTHONDONTWRITEBYTECODE; an installed CLI has its .pyc files).
    inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env = {
        **inherited,
        "SLUICE_URL": f"http://127.0.0.1:{server.server_address[1]}",
        "SLUICE_TOKEN": "sg_benchmark",
        "COLUMNS": "120",
    }
    cache = tempfile.TemporaryDirectory(prefix="cli-startup-baseline-")
    base_env = {**env, "PYTHONPYCACHEPREFIX": cache.name}
    cases: list[tuple[str, list[str], bool]] = [
        ("python -c pass", ["-c", "pass"], False),
        ("sluice --help", ["-m", "sluicegate", "--help"], True),
        ("sluice --version", ["-m", "sluicegate", "--version"], True),
        ("sluice rollout --help", ["-m", "sluicegate", "rollout", "--help"], True),
        ("sluice experiment list", ["-m", "sluicegate", "experiment", "list"], True),
        ("sluice rollout list --json", ["-m", "sluicegate", "rollout", "list", "--json"], True),
    ]
    results: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    rows = []
    try:
        for name, command, goal in cases:
            sides = [([sys.executable, *command], env)]
            if args.baseline:
                sides.append(([args.baseline, *command], base_env))
            timed = _time(sides, args.runs)
            results[name] = this = _summary(*timed[0], goal)
            row: list[object] = [
                name,
                this["median_s"] * 1000,
                this["p90"] * 1000,
                this["cpu_median_s"] * 1000,
                "-" if this["meets_goal"] is None else str(this["meets_goal"]),
            ]
            if args.baseline:
                baseline[name] = other = _summary(*timed[1], False)
                other["ratio_baseline_over_this"] = other["median_s"] / this["median_s"]
                row += [other["median_s"] * 1000, other["ratio_baseline_over_this"]]
            rows.append(row)
    finally:
        server.shutdown()
        server.server_close()
        cache.cleanup()
    headers = ["case", "median ms", "p90 ms", "cpu median ms", "meets goal"]
    if args.baseline:
        headers += ["baseline median ms", "baseline / this"]
    print_table(
        f"CLI start-up, {args.runs} runs each (goal: median <= {GOAL_SECONDS * 1000:.0f} ms)",
        headers,
        rows,
    )
    data: dict[str, Any] = {"goal_seconds": GOAL_SECONDS, "cases": results}
    if args.baseline:
        data["baseline"] = {"python": args.baseline, "cases": baseline}
    write_results("cli_startup", data)
