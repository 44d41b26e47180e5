"""How often does the sequential monitor roll back a *healthy* canary?

Healthy means: the canary's error ratio equals the baseline's at every look and the traffic split
works (each request goes to the canary with the configured weight, 0.5 here: the profiles name
requests per minute *per arm*).  Any rollback of such a canary is a false rollback.  The monitor's
guarantee (docs/statistics.md, ADR 0012) is that this happens with probability at most ``alpha``
(default 1%), however many looks there are.

Every profile (requests per minute per arm x error ratio x number of one-minute looks) runs
``--rollouts`` seeded healthy canaries (default 20,000) through the monitor's own vectorised
kernels and the same decision order as ``SequentialMonitor._decide`` at default settings:
nothing before ``min_requests`` per arm; then sample-ratio mismatch, then harm (rollback), then
safety (promote-ready), the first decision being final.  ``tests/unit/stats/
test_false_rollback_kernel.py`` checks that this vectorised replay makes the same decisions as the
step-by-step monitor.

Three rates per profile, each with a 95% Wilson interval:

* ``before``: the monitor before ADR 0012 -- a Pearson chi-square SRM test on the cumulative counts
  at every look (alpha 0.001, no sequential correction) and the harm test at the full alpha;
* ``now``: the monitor as shipped -- the anytime-valid beta-binomial mixture SRM at ``srm_alpha``
  and the harm test at ``alpha - srm_alpha``;
* ``now_no_promote``: the same, but watching on after promote-ready (so a rollback can still come
  later): the quantity the guarantee bounds, whatever the controller does after promote-ready.

``--quick`` runs 2,000 rollouts per profile (about a tenth of the time) for a smoke check.
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from benchmarks._common import print_table, write_results
from sluicegate.stats.sequential import (
    MonitorConfig,
    error_ratio_log_lr,
    mixture_log_e_value,
    srm_log_e_value,
)
from sluicegate.stats.simulator import CountMatrix, Simulator, SimulatorConfig

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

RATES = (50.0, 500.0, 5_000.0)  # requests per minute per arm
ERRORS = (0.001, 0.01, 0.1)
LOOKS = (60, 600)
WEIGHT = 0.5
CHUNK = 1_000


@dataclass(frozen=True)
class Paths:
    """Per rollout and look, for one chunk: whether each rule fires (after the request floor)."""

    srm_old: BoolArray
    srm_new: BoolArray
    harm_old: BoolArray  # at alpha
    harm_new: BoolArray  # at alpha - srm_alpha
    promote: BoolArray


def paths(counts: CountMatrix, cfg: MonitorConfig, weight: float) -> Paths:
    """The monitor's evidence for every look of every rollout in ``counts`` (vectorised)."""
    args = (
        counts.canary_errors,
        counts.baseline_errors,
        counts.canary_requests,
        counts.baseline_requests,
    )
    harm = np.cumsum(error_ratio_log_lr(*args, cfg.harm_grid(), cfg.tolerated_ratio), axis=1)
    harm_e = np.maximum.accumulate(mixture_log_e_value(harm, cfg.harm_weights()), axis=1)
    del harm
    safe = np.cumsum(error_ratio_log_lr(*args, cfg.safety_grid(), cfg.harmful_ratio), axis=1)
    safe_e = np.maximum.accumulate(mixture_log_e_value(safe), axis=1)
    del safe
    cum_c = np.cumsum(counts.canary_requests, axis=1)
    cum_b = np.cumsum(counts.baseline_requests, axis=1)
    total = cum_c + cum_b
    srm_e = np.maximum.accumulate(srm_log_e_value(cum_c, total, weight), axis=1)
    # Before ADR 0012: Pearson chi-square of the cumulative split at every look, p < srm_alpha.
    expected = total * weight
    with np.errstate(invalid="ignore", divide="ignore"):
        chi2 = (cum_c - expected) ** 2 / (expected * (1 - weight))
    srm_old = np.nan_to_num(chi2, nan=0.0) > stats.chi2.isf(cfg.srm_alpha, 1)
    enough = np.minimum(cum_c, cum_b) >= cfg.min_requests
    enough &= np.arange(1, enough.shape[1] + 1) >= cfg.min_intervals
    return Paths(
        srm_old=enough & srm_old,
        srm_new=enough & (srm_e >= math.log(1 / cfg.srm_alpha)),
        harm_old=enough & (harm_e >= math.log(1 / cfg.alpha)),
        harm_new=enough & (harm_e >= math.log(1 / cfg.harm_alpha)),
        promote=enough & (safe_e >= math.log(1 / cfg.beta)),
    )


def first(trigger: BoolArray) -> npt.NDArray[np.int64]:
    """Index of the first True per row; the row length when there is none."""
    hit = trigger.any(axis=1)
    out: npt.NDArray[np.int64] = np.where(hit, trigger.argmax(axis=1), trigger.shape[1])
    return out.astype(np.int64)


def outcomes(p: Paths) -> dict[str, BoolArray]:
    """Per rollout: rolled back? (before / now with promote stop / now watching on)."""
    old_rb = first(p.srm_old | p.harm_old)
    new_rb = first(p.srm_new | p.harm_new)
    promoted = first(p.promote)
    looks = p.promote.shape[1]
    return {
        "before": (old_rb < looks) & (old_rb <= promoted),
        "now": (new_rb < looks) & (new_rb <= promoted),
        "now_no_promote": new_rb < looks,
        "now_srm_only": first(p.srm_new) < looks,
    }


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval of a binomial proportion."""
    if n == 0:
        return (math.nan, math.nan)
    phat = k / n
    centre = (phat + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def profile(rate: float, error: float, looks: int, rollouts: int, seed: int) -> dict[str, Any]:
    cfg = MonitorConfig()
    sim_cfg = SimulatorConfig(2 * rate, WEIGHT, baseline_error_ratio=error)
    hits = {"before": 0, "now": 0, "now_no_promote": 0, "now_srm_only": 0}
    for number, lo in enumerate(range(0, rollouts, CHUNK)):
        size = min(CHUNK, rollouts - lo)
        counts = Simulator(sim_cfg, seed + number).counts(size, looks)
        for key, value in outcomes(paths(counts, cfg, WEIGHT)).items():
            hits[key] += int(value.sum())
    out: dict[str, Any] = {
        "requests_per_minute_per_arm": rate,
        "error_ratio": error,
        "looks": looks,
        "rollouts": rollouts,
    }
    for key, k in hits.items():
        low, high = wilson(k, rollouts)
        out[key] = {"rollbacks": k, "rate": k / rollouts, "ci95": [low, high]}
    out["within_alpha"] = out["now"]["ci95"][1] <= cfg.alpha
    out["within_alpha_no_promote"] = out["now_no_promote"]["ci95"][1] <= cfg.alpha
    return out


def _cell(entry: dict[str, Any]) -> str:
    low, high = entry["ci95"]
    return f"{entry['rate']:.2%} ({low:.2%}-{high:.2%})"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="benchmarks.false_rollbacks")
    parser.add_argument("--rollouts", type=int, default=20_000, help="healthy canaries a profile")
    parser.add_argument("--quick", action="store_true", help="2,000 rollouts a profile")
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args(argv)
    rollouts = 2_000 if args.quick else args.rollouts
    started = time.perf_counter()
    rows, results = [], []
    for index, (rate, error, looks) in enumerate(itertools.product(RATES, ERRORS, LOOKS)):
        t0 = time.perf_counter()
        out = profile(rate, error, looks, rollouts, args.seed + 1000 * index)
        out["seconds"] = time.perf_counter() - t0
        results.append(out)
        rows.append(
            [
                f"{rate:g}",
                f"{error:.1%}",
                str(looks),
                _cell(out["before"]),
                _cell(out["now"]),
                _cell(out["now_no_promote"]),
                _cell(out["now_srm_only"]),
                "yes" if out["within_alpha_no_promote"] else "NO",
            ]
        )
    cfg = MonitorConfig()
    print_table(
        f"False rollbacks of healthy canaries ({rollouts} per profile, alpha {cfg.alpha:g}, "
        f"srm_alpha {cfg.srm_alpha:g}; 95% Wilson intervals)",
        [
            "req/min/arm",
            "errors",
            "looks",
            "before (chi2 SRM)",
            "now",
            "now, no promote stop",
            "now, SRM alone",
            "upper <= alpha",
        ],
        rows,
    )
    worst = max(r["now_no_promote"]["ci95"][1] for r in results)
    print(f"largest upper 95% bound (now, no promote stop): {worst:.3%} (alpha {cfg.alpha:g})")
    write_results(
        "false_rollbacks",
        {
            "setup": {
                "rollouts_per_profile": rollouts,
                "canary_weight": WEIGHT,
                "look_minutes": 1,
                "seed": args.seed,
                "monitor": {
                    "alpha": cfg.alpha,
                    "srm_alpha": cfg.srm_alpha,
                    "harm_alpha": cfg.harm_alpha,
                    "beta": cfg.beta,
                    "min_requests": cfg.min_requests,
                },
                "interval": "95% Wilson score interval",
            },
            "profiles": results,
            "all_within_alpha": all(r["within_alpha_no_promote"] for r in results),
            "largest_upper_bound": worst,
            "seconds": time.perf_counter() - started,
        },
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
