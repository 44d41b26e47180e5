"""Time for a full canary verdict: 100 metrics x 10,000 samples per side (goal: p50 <= 200 ms).

Each metric gets the Mann-Whitney U test, the Hodges-Lehmann shift with its confidence interval,
the mean ratio, thresholds and scoring.  For reference the table also times SciPy's
``mannwhitneyu`` alone (no shift, no interval) over the same data, round-robin with ours so that
load from other processes on a shared machine hits all of them alike.  Wall-clock times depend
on that load; the CPU time per call (all threads of this process) and the ratio to SciPy much
less so, and both are reported too.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np
from scipy import stats

from benchmarks._common import percentiles, print_table, write_results
from sluicegate.stats import judge, parse_judge_config


def dataset(metrics: int, points: int, seed: int) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """Latency-like metrics (lognormal), a few with real regressions, some with ties (rounded)."""
    rng = np.random.default_rng(seed)
    baseline: dict[str, Any] = {}
    canary: dict[str, Any] = {}
    rows = []
    for i in range(metrics):
        name = f"m{i:03d}"
        scale = float(rng.uniform(10, 500))
        b = rng.lognormal(np.log(scale), 0.5, points)
        c = rng.lognormal(np.log(scale * (1.1 if i % 10 == 0 else 1.0)), 0.5, points)
        if i % 4 == 1:  # millisecond resolution: many ties
            b, c = np.round(b), np.round(c)
        baseline[name], canary[name] = b, c
        rows.append(
            {
                "name": name,
                "kind": "latency",
                "direction": "increase",
                "allowed_increase_pct": 5,
                "group": f"g{i % 5}",
            }
        )
    config = parse_judge_config({"metrics": rows, "groups": {f"g{g}": 20 for g in range(5)}})
    return baseline, canary, config


def _interleaved(fns: list[Any], repeat: int) -> tuple[list[list[float]], list[list[float]]]:
    """Wall and CPU seconds per call for each function, measured round-robin so that load
    changes on a shared machine hit all of them alike."""
    for fn in fns:
        fn()  # warm up
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall[i].append(time.perf_counter() - start)
            cpu[i].append(time.process_time() - start_cpu)
    return wall, cpu


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="benchmarks.judge")
    parser.add_argument("--metrics", type=int, default=100)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    baseline, canary, config = dataset(args.metrics, args.points, args.seed)
    verdict = judge(baseline, canary, config)

    def scipy_only() -> None:
        for name in baseline:
            stats.mannwhitneyu(canary[name], baseline[name], method="asymptotic")

    (ours, single, ref), cpu = _interleaved(
        [
            lambda: judge(baseline, canary, config),
            lambda: judge(baseline, canary, config, workers=1),
            scipy_only,
        ],
        args.repeat,
    )
    o, r = percentiles(ours, 50, 99), percentiles(ref, 50, 99)
    one = percentiles(single, 50, 99)
    o_cpu, one_cpu, r_cpu = (percentiles(c, 50) for c in cpu)
    threads = min(os.cpu_count() or 1, 8)
    goal_ms = 200.0
    print_table(
        f"Full verdict, {args.metrics} metrics x {args.points:,} points per side",
        [
            "implementation",
            "p50 ms",
            "p99 ms",
            "per metric ms",
            "p50 / scipy",
            "p99 / scipy",
            "CPU ms (p50)",
            "what it computes",
        ],
        [
            [
                f"sluicegate judge ({threads} threads)",
                o["p50"] * 1e3,
                o["p99"] * 1e3,
                o["p50"] * 1e3 / args.metrics,
                o["p50"] / r["p50"],
                o["p99"] / r["p99"],
                o_cpu["p50"] * 1e3,
                "U, p, HL shift + CI, effect, score",
            ],
            [
                "sluicegate judge (1 thread)",
                one["p50"] * 1e3,
                one["p99"] * 1e3,
                one["p50"] * 1e3 / args.metrics,
                one["p50"] / r["p50"],
                one["p99"] / r["p99"],
                one_cpu["p50"] * 1e3,
                "same",
            ],
            [
                "scipy mannwhitneyu",
                r["p50"] * 1e3,
                r["p99"] * 1e3,
                r["p50"] * 1e3 / args.metrics,
                1.0,
                1.0,
                r_cpu["p50"] * 1e3,
                "U and p only",
            ],
        ],
    )
    met = o["p50"] * 1e3 <= goal_ms
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(
        f"goal (p50 <= {goal_ms:g} ms): {'met' if met else 'NOT met'}; "
        f"verdict {verdict.decision.value}, score {verdict.score:.1f}"
    )
    write_results(
        "judge",
        {
            "metrics": args.metrics,
            "points_per_side": args.points,
            "repeat": args.repeat,
            "sluicegate_seconds": o,
            "sluicegate_cpu_seconds": o_cpu,
            "sluicegate_single_thread_cpu_seconds": one_cpu,
            "scipy_mannwhitneyu_only_cpu_seconds": r_cpu,
            "ratio_to_scipy_p50": o["p50"] / r["p50"],
            "ratio_to_scipy_p99": o["p99"] / r["p99"],
            "sluicegate_threads": threads,
            "sluicegate_single_thread_seconds": one,
            "scipy_mannwhitneyu_only_seconds": r,
            "goal_p50_ms": goal_ms,
            "goal_met": met,
            "load_average_1m": os.getloadavg()[0],
            "verdict": {"decision": verdict.decision.value, "score": verdict.score},
        },
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
