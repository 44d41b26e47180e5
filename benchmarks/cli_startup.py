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
Run ``python -m benchmarks cli_startup [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
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


def _time(argv: list[str], env: dict[str, str], runs: int) -> tuple[list[float], list[float]]:
    """Wall seconds and CPU seconds (user + system of the child) of each run."""
    wall, cpu = [], []
    for n in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, check=False, timeout=60)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()}")
        if n:  # the first run only warms the caches
            wall.append(elapsed)
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks cli_startup")
    parser.add_argument("--runs", type=int, default=20)
    args, _ = parser.parse_known_args(argv)

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {
        **os.environ,
        "SLUICE_URL": f"http://127.0.0.1:{server.server_address[1]}",
        "SLUICE_TOKEN": "sg_benchmark",
        "COLUMNS": "120",
    }
    sluice = [sys.executable, "-m", "sluicegate"]
    cases: list[tuple[str, list[str], bool]] = [
        ("python -c pass", [sys.executable, "-c", "pass"], False),
        ("sluice --help", [*sluice, "--help"], True),
        ("sluice --version", [*sluice, "--version"], True),
        ("sluice rollout --help", [*sluice, "rollout", "--help"], True),
        ("sluice experiment list", [*sluice, "experiment", "list"], True),
        ("sluice rollout list --json", [*sluice, "rollout", "list", "--json"], True),
    ]
    results: dict[str, Any] = {}
    rows = []
    try:
        for name, command, goal in cases:
            wall, cpu = _time(command, env, args.runs)
            stats = percentiles(wall, 50, 90)
            median = statistics.median(wall)
            cpu_median = statistics.median(cpu)
            meets = median <= GOAL_SECONDS if goal else None
            results[name] = {
                "runs": len(wall),
                "median_s": median,
                "cpu_median_s": cpu_median,
                **stats,
                "meets_goal": meets,
            }
            rows.append(
                (
                    name,
                    median * 1000,
                    stats["p90"] * 1000,
                    cpu_median * 1000,
                    "-" if meets is None else str(meets),
                )
            )
    finally:
        server.shutdown()
        server.server_close()
    print_table(
        f"CLI start-up, {args.runs} runs each (goal: median <= {GOAL_SECONDS * 1000:.0f} ms)",
        ["case", "median ms", "p90 ms", "cpu median ms", "meets goal"],
        rows,
    )
    write_results("cli_startup", {"goal_seconds": GOAL_SECONDS, "cases": results})
