"""Decision quality of continuous canary monitoring: how fast is a bad canary rolled back, and how
often is a healthy one rolled back by mistake?

All policies watch the same simulated streams (a canary at a fixed weight; counts are simulated
in 15-second ticks and summed for policies that check less often):

* ours: ``sluicegate.stats.SequentialMonitor`` -- an always-valid mixture SPRT on the canary's
  share of errors (rollback at p <= alpha, promote-ready once a harmful ratio is ruled out); as
  shipped (uniform mixture), with ``expected_ratio=2`` (mixture weights centred on a doubling),
  checked every minute or every 15 s, and with its alpha calibrated to the 1% budget.  The
  benchmark runs the monitor's own vectorised kernel over all rollouts at once.
* Flagger-style: every ``interval`` (1m in Flagger's docs) check the canary's success rate over
  the last interval against ``thresholdRange.min`` (99); roll back once ``analysis.threshold``
  (5) checks have failed.
* Argo-Rollouts-style: an AnalysisTemplate measures the success rate over a query window every
  ``interval``; the run fails once failed measurements exceed ``failureLimit``.  The documented
  example is ``interval: 5m``, ``successCondition: result[0] >= 0.95``, ``failureLimit: 3`` over a
  5m query window.
* oracle (not deployable): Wald's SPRT of the canary's error ratio with the true healthy and bad
  ratios known, calibrated to the budget -- a reference for what knowing both ratios buys.

Fairness: the tuned baselines and every calibrated threshold are chosen on one seeded set of
rollouts (tuning) and scored on another (evaluation), so nobody is flattered; all share the
same false-rollback budget (1%).  The tuned baselines check every minute (Flagger's documented
interval; Argo's interval is free, and 1m matches it); the monitor is shown at 1m (the same
cadence, which is what the goal compares) and at 15 s, next to an Argo-style rule that is also
tuned at 15 s -- giving only the monitor the faster cadence would not be a fair comparison.

An information bound closes the comparison: with the healthy and bad error ratios *known*, the
Neyman-Pearson lemma gives the largest share of bad canaries that any rule -- whatever it looks
at and however often -- can roll back within ``m`` minutes while rolling back at most 1% of
healthy ones within ``m`` minutes.  Where that share is below one half, no policy can have a
median time to rollback of ``m`` or less.

Three scenarios, each with that protocol (the verdict "twice as fast as the tuned baselines" is
computed the same way for each: ours within the budget on the held-out set, every tuned baseline
with at least our held-out false-rollback rate, and our median at most half of each baseline's;
``goal_met_by_scenario`` lists the three and the top-level ``goal_met`` is the single-service one):

* ``single_service``: one service whose error ratio is a stationary 1% (a bad canary: 2%), 5000
  req/min, canary weight 10%.  The information bound above applies, and shows that 2x over the
  tuned Argo-style rule is out of reach for any rule.
* ``fleet``: services with baseline error ratios 0.25% .. 4% (equal shares), one setting for all.
* ``drifting_baseline``: one service (same traffic and weight) whose true error ratio moves over
  time for reasons that hit baseline and canary alike.  A healthy canary has, at every 15-s tick,
  the baseline's error ratio at that tick; a bad canary twice it.  The ratio at tick ``t`` is
  ``1% * 2 ** sin(phase + 2 pi t / 24 h) * incident(t)`` (``Drift``), chosen before any run:

  - a diurnal swing between 0.5% (night) and 2% (peak), geometric around 1%: error ratios of
    busy services commonly rise severalfold with load at the daily peak (retries, timeouts,
    saturated dependencies).  Rollouts start at a uniformly random hour (``phase`` per rollout),
    so a 30-minute rollout sees an almost constant level (at most ~9% change within it), but
    which level is random;
  - shared dependency incidents: a two-state Markov chain per tick, on average one incident
    every 3 hours (several a day, as with a handful of dependencies that each blip now and then)
    lasting on average 3 minutes (geometric), during which the ratio is multiplied by a factor
    drawn uniformly from 3..5 per incident.  Rollouts start in the chain's stationary state, so
    ~1.6% of them start mid-incident and ~16% see one within 30 minutes;
  - no further per-minute noise (real error counts are usually overdispersed, which would only
    make fixed thresholds noisier; leaving it out is the conservative choice for the baselines).

  Everything is seeded (the path generator has its own seed stream per set).  No oracle or
  information bound is shown: the stationary bound does not apply to a moving ratio.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
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
from sluicegate.stats.simulator import CountMatrix, Regression, Simulator, SimulatorConfig

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
NEVER = np.inf
TICKS_PER_MINUTE = 4  # the simulation tick: 15 s
BUDGET = 0.01  # the false-rollback budget every tuned or calibrated policy must meet
# Error-ratio thresholds searched when tuning (success-rate thresholds 99.8% .. 90%).
RATIO_GRID = np.round(
    np.concatenate((np.arange(0.002, 0.04, 0.001), np.arange(0.04, 0.1001, 0.005))), 4
)
WINDOWS_MIN = (1, 2, 3, 5, 10)  # Argo query windows searched when tuning (minutes)


@dataclass(frozen=True)
class Drift:
    """The drifting-baseline scenario's shared error-ratio path (see the module docstring).

    At 15-s tick ``t`` of a rollout the service's error ratio is
    ``level * diurnal_swing ** sin(phase + 2 pi t / diurnal_period) * incident(t)``, the same for
    baseline and canary (a bad canary has twice it, tick by tick)."""

    level: float = 0.01  # geometric mid-point of the daily swing
    diurnal_swing: float = 2.0  # x / this at the trough, x this at the peak: 0.5% .. 2%
    diurnal_period_minutes: float = 24 * 60
    incident_gap_minutes: float = 180.0  # mean time between shared dependency incidents
    incident_minutes: float = 3.0  # mean length of one (geometric, in ticks)
    incident_multiplier: tuple[float, float] = (3.0, 5.0)  # uniform, drawn per incident

    def multipliers(self, rollouts: int, ticks: int, seed: int) -> FloatArray:
        """Per rollout and tick: the error ratio divided by ``level`` (seeded)."""
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0xD21F7]))
        phase = rng.uniform(0.0, 2 * math.pi, (rollouts, 1))  # rollouts start at any hour
        minutes = np.arange(ticks) / TICKS_PER_MINUTE
        diurnal = self.diurnal_swing ** np.sin(
            phase + 2 * math.pi * minutes / self.diurnal_period_minutes
        )
        onset = 1.0 / (self.incident_gap_minutes * TICKS_PER_MINUTE)
        end = 1.0 / (self.incident_minutes * TICKS_PER_MINUTE)
        low, high = self.incident_multiplier
        on = rng.random(rollouts) < onset / (onset + end)  # stationary start: mid-incident too
        factor = rng.uniform(low, high, rollouts)
        incident = np.ones((rollouts, ticks))
        for t in range(ticks):
            if t:
                u = rng.random(rollouts)
                begins = ~on & (u < onset)
                factor = np.where(begins, rng.uniform(low, high, rollouts), factor)
                on = (on & (u >= end)) | begins
            incident[:, t] = np.where(on, factor, 1.0)
        return np.asarray(diurnal * incident, dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        return {
            "error_ratio_range": [self.level / self.diurnal_swing, self.level * self.diurnal_swing],
            "diurnal_period_minutes": self.diurnal_period_minutes,
            "diurnal_phase": "uniform per rollout",
            "incident_mean_gap_minutes": self.incident_gap_minutes,
            "incident_mean_minutes": self.incident_minutes,
            "incident_multiplier_uniform": list(self.incident_multiplier),
            "incident_model": "two-state Markov chain per 15-s tick, stationary start",
        }


@dataclass(frozen=True)
class Outcome:
    policy: str
    settings: str
    check_every: str
    false_rollback: float  # share of healthy canaries rolled back (evaluation set)
    detected: float  # share of bad canaries rolled back within the horizon
    median_minutes: float  # median time to roll back a bad canary (inf if < half detected)
    p90_minutes: float

    def row(self) -> list[object]:
        return [
            self.policy,
            self.settings,
            self.check_every,
            f"{self.false_rollback:.2%}",
            f"{self.detected:.1%}",
            _minutes(self.median_minutes),
            _minutes(self.p90_minutes),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "settings": self.settings,
            "check_every": self.check_every,
            "false_rollback_rate": self.false_rollback,
            "detection_rate": self.detected,
            "median_minutes_to_rollback": _finite(self.median_minutes),
            "p90_minutes_to_rollback": _finite(self.p90_minutes),
        }


def _finite(value: float) -> float | None:
    return None if math.isinf(value) else value


def _minutes(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:g}"


def quantile(times: FloatArray, q: float) -> float:
    return float(np.quantile(times, q, method="inverted_cdf"))


def summarise(
    policy: str, settings: str, every: str, healthy: FloatArray, bad: FloatArray
) -> Outcome:
    return Outcome(
        policy,
        settings,
        every,
        float(np.mean(np.isfinite(healthy))),
        float(np.mean(np.isfinite(bad))),
        quantile(bad, 0.5),
        quantile(bad, 0.9),
    )


def coarsen(counts: CountMatrix, ticks: int) -> CountMatrix:
    """Sum consecutive groups of ``ticks`` intervals (15-s ticks -> 1-min intervals)."""
    if ticks == 1:
        return counts

    def fold(a: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return np.asarray(a.reshape(a.shape[0], -1, ticks).sum(axis=2), dtype=np.int64)

    return CountMatrix(*(fold(getattr(counts, f)) for f in CountMatrix.__dataclass_fields__))


def first_time(trigger: BoolArray, minutes_per_step: float) -> FloatArray:
    """Per rollout: minutes until the first True (step i ends at (i+1) steps), else inf."""
    hit = trigger.any(axis=1)
    return np.where(hit, (trigger.argmax(axis=1) + 1.0) * minutes_per_step, NEVER)


# --- ours ------------------------------------------------------------------------------------


def evidence(
    counts: CountMatrix, config: MonitorConfig, weight: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Running maxima of the log e-values (harm, safety, sample-ratio check at ``weight``), NaN
    until both arms have ``min_requests``, computed in chunks of rollouts to bound memory."""
    rollouts, steps = counts.canary_errors.shape
    harm_out = np.empty((rollouts, steps))
    safe_out = np.empty((rollouts, steps))
    weights = config.harm_weights()
    for lo in range(0, rollouts, 500):
        part = slice(lo, lo + 500)
        args = (
            counts.canary_errors[part],
            counts.baseline_errors[part],
            counts.canary_requests[part],
            counts.baseline_requests[part],
        )
        harm = np.cumsum(
            error_ratio_log_lr(*args, config.harm_grid(), config.tolerated_ratio), axis=1
        )
        safe = np.cumsum(
            error_ratio_log_lr(*args, config.safety_grid(), config.harmful_ratio), axis=1
        )
        harm_out[part] = np.maximum.accumulate(mixture_log_e_value(harm, weights), axis=1)
        safe_out[part] = np.maximum.accumulate(mixture_log_e_value(safe), axis=1)
    cum_c = np.cumsum(counts.canary_requests, axis=1)
    cum_b = np.cumsum(counts.baseline_requests, axis=1)
    srm_out = np.maximum.accumulate(srm_log_e_value(cum_c, cum_c + cum_b, weight), axis=1)
    enough = np.minimum(cum_c, cum_b) >= config.min_requests
    enough &= np.arange(1, enough.shape[1] + 1) >= config.min_intervals
    return (
        np.where(enough, harm_out, np.nan),
        np.where(enough, safe_out, np.nan),
        np.where(enough, srm_out, np.nan),
    )


def rollback_times(
    paths: tuple[FloatArray, FloatArray, FloatArray],
    threshold: float,
    beta: float,
    step: float,
    srm_threshold: float,
) -> FloatArray:
    """Rollback times under the monitor's rules: the sample-ratio e-value >= ``srm_threshold``
    or the harm e-value >= ``threshold``, before the safety e-value reaches 1/beta
    (promote-ready ends the monitoring)."""
    harm, safe, srm = paths
    with np.errstate(invalid="ignore"):
        rollback = first_time((harm >= threshold) | (srm >= srm_threshold), step)
        promote = first_time(safe >= math.log(1 / beta), step)
    return np.where(rollback <= promote, rollback, NEVER)


def calibrate(times_for: Callable[[float], FloatArray], lo: float, hi: float) -> float:
    """Smallest threshold in [lo, hi] whose false-rollback rate (on the tuning set) is within
    the budget; ``times_for(threshold)`` gives the healthy rollouts' rollback times."""
    for _ in range(40):
        mid = (lo + hi) / 2
        if float(np.mean(np.isfinite(times_for(mid)))) <= BUDGET:
            hi = mid
        else:
            lo = mid
    return hi


# --- Flagger / Argo style threshold rules ------------------------------------------------------


def failed_checks(
    counts: CountMatrix, max_error_ratio: float, window: int, every: int
) -> BoolArray:
    """Per check (every ``every`` ticks): does the canary's success rate over the last
    ``window`` ticks fail?  No data counts as a failed check (both tools treat a query without
    result as failed)."""
    cum_req = np.cumsum(counts.canary_requests, axis=1)
    cum_err = np.cumsum(counts.canary_errors, axis=1)
    req, err = cum_req.copy(), cum_err.copy()
    req[:, window:] -= cum_req[:, :-window]
    err[:, window:] -= cum_err[:, :-window]
    fails = (req == 0) | (err > max_error_ratio * req + 1e-9)
    return np.asarray(fails[:, every - 1 :: every], dtype=np.bool_)


def threshold_times(fails: BoolArray, limit: int, step: float) -> FloatArray:
    """Roll back when the running count of failed checks reaches ``limit``."""
    return first_time(np.cumsum(fails, axis=1) >= limit, step)


@dataclass(frozen=True)
class Rule:
    ratio: float
    limit: int  # failed checks that trigger the rollback
    window: int  # ticks
    every: int  # ticks


def rule_times(counts: CountMatrix, rule: Rule, tick: float) -> FloatArray:
    fails = failed_checks(counts, rule.ratio, rule.window, rule.every)
    return threshold_times(fails, rule.limit, rule.every * tick)


def tune_rule(
    healthy: CountMatrix, bad: CountMatrix, windows: tuple[int, ...], every: int, tick: float
) -> Rule:
    """Fastest median (then most detected, then p90) on the tuning set among rules with false
    rollbacks <= budget.

    For a threshold and window, fewer allowed failures is always faster, so only the smallest
    count within the budget is tried."""
    best: tuple[tuple[float, float, float], Rule] | None = None
    for window in windows:
        for ratio in RATIO_GRID:
            fails = failed_checks(healthy, float(ratio), window, every)
            totals = np.sort(fails.sum(axis=1))
            # smallest limit n with mean(totals >= n) <= budget
            allowed = math.floor(BUDGET * totals.size)
            limit = int(totals[totals.size - 1 - allowed]) + 1 if allowed < totals.size else 1
            rule = Rule(float(ratio), max(limit, 1), window, every)
            times = rule_times(bad, rule, tick)
            key = (quantile(times, 0.5), -float(np.mean(np.isfinite(times))), quantile(times, 0.9))
            if best is None or key < best[0]:
                best = (key, rule)
    assert best is not None
    return best[1]


def describe(rule: Rule, style: str, tick: float) -> str:
    count = f"threshold {rule.limit}" if style == "flagger" else f"failureLimit {rule.limit - 1}"
    return f"success >= {1 - rule.ratio:.1%}, {count}, window {rule.window * tick:g}m"


# --- oracle and information bound ---------------------------------------------------------------


def oracle_llr(counts: CountMatrix, p0: float, p1: float) -> FloatArray:
    """Running maximum of Wald's log likelihood ratio with both error ratios known."""
    e, n = counts.canary_errors, counts.canary_requests
    step = e * math.log(p1 / p0) + (n - e) * math.log((1 - p1) / (1 - p0))
    return np.maximum.accumulate(np.cumsum(step, axis=1), axis=1)


def _oracle_times(llr: FloatArray, step: float) -> Callable[[float], FloatArray]:
    return lambda threshold: first_time(llr >= threshold, step)


def detection_bound(canary_per_minute: float, p0: float, p1: float, minutes: float) -> float:
    """Largest P(bad canary rolled back within ``minutes``) over all rules whose chance of
    rolling back a healthy canary within ``minutes`` is <= budget (Neyman-Pearson, exact).

    The canary's request count in ``minutes`` is Poisson (Poisson traffic, binomial split) and
    its errors binomial; the baseline's counts do not depend on the canary and carry nothing."""
    mean = canary_per_minute * minutes
    spread = 8 * math.sqrt(mean) + 10
    n = np.arange(max(0, int(mean - spread)), int(mean + spread) + 1)
    e = np.arange(0, int(n[-1] * p1 + 10 * math.sqrt(n[-1] * p1) + 10))
    pn = stats.poisson.pmf(n, mean)[:, None]
    h0 = (pn * stats.binom.pmf(e[None, :], n[:, None], p0)).ravel()
    h1 = (pn * stats.binom.pmf(e[None, :], n[:, None], p1)).ravel()
    ok = h0 > 0
    llr = np.full(h0.shape, np.inf)
    llr[ok] = np.log(h1[ok]) - np.log(h0[ok])
    order = np.argsort(-llr, kind="stable")
    size, power = np.cumsum(h0[order]), np.cumsum(h1[order])
    cut = int(np.searchsorted(size, BUDGET, side="right"))
    base = power[cut - 1] if cut else 0.0
    used = size[cut - 1] if cut else 0.0
    if cut < order.size and h0[order[cut]] > 0:  # randomise on the boundary outcome
        base += (BUDGET - used) / h0[order[cut]] * h1[order[cut]]
    return float(min(base, 1.0))


def fastest_feasible_median(canary_per_minute: float, p0: float, p1: float) -> float:
    """Smallest m (to 0.01 min) at which the bound reaches one half: no rule within the
    budget can have a median time to rollback below it."""
    lo, hi = 0.0, 60.0
    for _ in range(14):
        mid = (lo + hi) / 2
        if detection_bound(canary_per_minute, p0, p1, mid) >= 0.5:
            hi = mid
        else:
            lo = mid
    return round(hi, 2)


# --- the judge: latency shift, tail and spread regressions ----------------------------------------

JUDGE_SIZES = (200, 1_000, 5_000, 20_000)  # latency samples per arm in one analysis
LATENCY_MU, LATENCY_SIGMA = math.log(100.0), 0.5  # the simulator's default lognormal (ms)


def _latency_scenarios() -> dict[str, Callable[[np.random.Generator, int], FloatArray]]:
    """Canary latency generators: healthy, and the three regressions of issue 10."""
    q95 = math.exp(LATENCY_MU + 1.6448536269514722 * LATENCY_SIGMA)

    def healthy(rng: np.random.Generator, n: int) -> FloatArray:
        return rng.lognormal(LATENCY_MU, LATENCY_SIGMA, n)

    def shift(rng: np.random.Generator, n: int) -> FloatArray:
        return healthy(rng, n) * 1.10  # every request 10% slower

    def tail(rng: np.random.Generator, n: int) -> FloatArray:
        x = healthy(rng, n)  # the slowest 5% twice as slow: p99 x2, median unchanged
        return np.where(x > q95, 2.0 * x, x)

    def spread(rng: np.random.Generator, n: int) -> FloatArray:
        # log-variance x2 around the same median: p99 x exp(2.326 * 0.5 * (sqrt 2 - 1)) = 1.62
        return rng.lognormal(LATENCY_MU, LATENCY_SIGMA * math.sqrt(2.0), n)

    return {"healthy": healthy, "shift +10%": shift, "p99 x2": tail, "variance x2": spread}


def judge_scenarios(runs: int, seed: int) -> dict[str, Any]:
    """Share of analyses that fail the latency metric, per regression, sample size and check.

    One judge verdict per analysis (a fixed-horizon test: no peeking), the baseline drawn from
    the healthy model, ``runs`` seeded analyses per cell.  Three metrics judge the same data: the
    default rank test, the rank test plus ``quantiles: {p99: 10}``, and the rank test plus
    ``distribution_test: ks``."""
    from sluicegate.stats import judge, parse_judge_config

    cfg = parse_judge_config(
        {
            "metrics": [
                {"name": "shift", "kind": "latency"},
                {"name": "p99", "kind": "latency", "quantiles": {"p99": 10}},
                {"name": "ks", "kind": "latency", "distribution_test": "ks"},
            ]
        }
    )
    checks = ("shift", "p99", "ks")
    rates: dict[str, dict[str, dict[str, float]]] = {}
    for number, (name, draw) in enumerate(_latency_scenarios().items()):
        rates[name] = {}
        for n in JUDGE_SIZES:
            rng = np.random.default_rng(np.random.SeedSequence([seed, number, n]))
            failed = dict.fromkeys(checks, 0)
            for _ in range(runs):
                base = rng.lognormal(LATENCY_MU, LATENCY_SIGMA, n)
                can = draw(rng, n)
                verdict = judge(dict.fromkeys(checks, base), dict.fromkeys(checks, can), cfg)
                for k in checks:
                    failed[k] += not verdict.metric(k).passed
            rates[name][str(n)] = {k: failed[k] / runs for k in checks}
    rows = []
    for name, by_size in rates.items():
        for check in checks:
            cells = [f"{by_size[str(n)][check]:.1%}" for n in JUDGE_SIZES]
            smallest = next((n for n in JUDGE_SIZES if by_size[str(n)][check] >= 0.5), None)
            label = "false fail" if name == "healthy" else "detected"
            rows.append([name, check, label, *cells, f"{smallest:,}" if smallest else "never"])
    print_table(
        f"The judge on latency (lognormal median 100 ms, sigma 0.5; {runs} analyses per cell; "
        "share of analyses that fail the metric)",
        ["scenario", "check", "rate", *(f"n={n:,}" for n in JUDGE_SIZES), "n for 50%"],
        rows,
    )
    return {
        "runs_per_cell": runs,
        "samples_per_arm": list(JUDGE_SIZES),
        "latency_model": {"distribution": "lognormal", "median_ms": 100.0, "sigma": LATENCY_SIGMA},
        "checks": {
            "shift": "rank test (default)",
            "p99": "rank test + quantiles {p99: 10}",
            "ks": "rank test + distribution_test ks",
        },
        "fail_rate": rates,
        "smallest_n_detecting_half": {
            name: {
                check: next((n for n in JUDGE_SIZES if by_size[str(n)][check] >= 0.5), None)
                for check in checks
            }
            for name, by_size in rates.items()
            if name != "healthy"
        },
    }


# --- scenarios ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Streams:
    tune_healthy: CountMatrix
    tune_bad: CountMatrix
    healthy: CountMatrix
    bad: CountMatrix

    def minutes(self) -> Streams:
        return Streams(
            *(coarsen(getattr(self, f), TICKS_PER_MINUTE) for f in self.__dataclass_fields__)
        )


def scenario(
    title: str,
    ticks: Streams,
    monitor: MonitorConfig,
    oracle: tuple[float, float] | None,
    canary_per_minute: float,
    weight: float,
) -> dict[str, Any]:
    tick = 1.0 / TICKS_PER_MINUTE
    mins = ticks.minutes()
    focused = replace(monitor, expected_ratio=2.0)
    rows: list[Outcome] = []

    srm_at = math.log(1 / monitor.srm_alpha)

    def ours(label: str, cfg: MonitorConfig, s: Streams, step: float, every: str) -> Outcome:
        threshold = math.log(1 / cfg.harm_alpha)  # alpha less the SRM check's share
        out = summarise(
            label,
            f"alpha {cfg.alpha:g} (harm {cfg.harm_alpha:g} + SRM {cfg.srm_alpha:g}), "
            f"min {cfg.min_requests} req/arm"
            + (f", expected_ratio {cfg.expected_ratio:g}" if cfg.expected_ratio else ""),
            every,
            rollback_times(evidence(s.healthy, cfg, weight), threshold, cfg.beta, step, srm_at),
            rollback_times(evidence(s.bad, cfg, weight), threshold, cfg.beta, step, srm_at),
        )
        rows.append(out)
        return out

    shipped = ours("ours, as shipped", monitor, mins, 1.0, "1m")
    ours_1m = ours("ours, expected_ratio 2", focused, mins, 1.0, "1m")
    ours_15s = ours("ours, expected_ratio 2", focused, ticks, tick, "15s")
    tune_paths = evidence(mins.tune_healthy, focused, weight)
    threshold = calibrate(
        lambda t: rollback_times(tune_paths, t, focused.beta, 1.0, srm_at),
        0.0,
        math.log(1 / monitor.harm_alpha),
    )
    calibrated = summarise(
        "ours, expected_ratio 2, calibrated",
        f"harm alpha {math.exp(-threshold):.3f} (tuned to {BUDGET:.0%} on the tuning set)",
        "1m",
        rollback_times(
            evidence(mins.healthy, focused, weight), threshold, focused.beta, 1.0, srm_at
        ),
        rollback_times(evidence(mins.bad, focused, weight), threshold, focused.beta, 1.0, srm_at),
    )
    rows.append(calibrated)

    flagger_docs = Rule(0.01, 5, 1, 1)
    argo_docs = Rule(0.05, 4, 5, 5)
    for label, style, rule in (
        ("Flagger-style (docs)", "flagger", flagger_docs),
        ("Argo-style (docs example)", "argo", argo_docs),
    ):
        every = f"{rule.every:g}m"
        rows.append(
            summarise(
                label,
                describe(rule, style, 1.0),
                every,
                rule_times(mins.healthy, rule, 1.0),
                rule_times(mins.bad, rule, 1.0),
            )
        )
    flagger_rule = tune_rule(mins.tune_healthy, mins.tune_bad, (1,), 1, 1.0)
    argo_rule = tune_rule(mins.tune_healthy, mins.tune_bad, WINDOWS_MIN, 1, 1.0)
    argo_fast = tune_rule(
        ticks.tune_healthy,
        ticks.tune_bad,
        (*(w * TICKS_PER_MINUTE for w in WINDOWS_MIN), 1, 2),
        1,
        tick,
    )
    tuned = {}
    for label, style, rule, s, step, every in (
        ("Flagger-style (tuned)", "flagger", flagger_rule, mins, 1.0, "1m"),
        ("Argo-style (tuned)", "argo", argo_rule, mins, 1.0, "1m"),
        ("Argo-style (tuned)", "argo", argo_fast, ticks, tick, "15s"),
    ):
        out = summarise(
            label,
            describe(rule, style, step),
            every,
            rule_times(s.healthy, rule, step),
            rule_times(s.bad, rule, step),
        )
        rows.append(out)
        tuned[(label, every)] = out

    bound: dict[str, Any] | None = None
    if oracle is not None:
        p0, p1 = oracle
        for s, step, every in ((mins, 1.0, "1m"), (ticks, tick, "15s")):
            tune = oracle_llr(s.tune_healthy, p0, p1)
            hi = float(np.max(tune)) + 1.0
            t = calibrate(_oracle_times(tune, step), 0.0, hi)
            rows.append(
                summarise(
                    "oracle SPRT (knows both ratios)",
                    f"log LR >= {t:.2f}",
                    every,
                    first_time(oracle_llr(s.healthy, p0, p1) >= t, step),
                    first_time(oracle_llr(s.bad, p0, p1) >= t, step),
                )
            )
        floor = fastest_feasible_median(canary_per_minute, p0, p1)
        bound = {
            "fastest_feasible_median_minutes": floor,
            "best_share_rolled_back_within_1_min": detection_bound(canary_per_minute, p0, p1, 1.0),
            "best_share_rolled_back_within_2_min": detection_bound(canary_per_minute, p0, p1, 2.0),
        }

    print_table(
        title,
        ["policy", "settings", "checks", "false rollback", "detected", "median min", "p90 min"],
        [o.row() for o in rows],
    )
    same_cadence = {
        k[0]: v for k, v in tuned.items() if k[1] == "1m"
    }  # baselines at their 1m interval
    speedups = {
        name: out.median_minutes / ours_1m.median_minutes
        for name, out in same_cadence.items()
        if math.isfinite(ours_1m.median_minutes) and ours_1m.median_minutes > 0
    }
    # Fair to the baselines: ours within the budget on the held-out set, and every tuned
    # baseline at least as many false rollbacks as ours there (a baseline that overshoots the
    # budget is only helped by it: more rollbacks, sooner). An earlier version also required the
    # baselines to stay within 1.5x the budget; that guards against nothing (overshooting
    # favours them) and turned a baseline that was faster *because* it overshot into "no".
    fair = all(o.false_rollback >= ours_1m.false_rollback for o in same_cadence.values())
    goal_met = (
        ours_1m.false_rollback <= BUDGET
        and fair
        and len(speedups) == 2
        and all(v >= 2.0 for v in speedups.values())
    )
    for policy, value in speedups.items():
        shown = f"{value:.2f}x" if math.isfinite(value) else "unbounded (its median is 'never')"
        print(f"speed-up of ours (expected_ratio 2, 1m) over {policy} (1m, median): {shown}")
    fast_speedup = (
        tuned[("Argo-style (tuned)", "15s")].median_minutes / ours_15s.median_minutes
        if math.isfinite(ours_15s.median_minutes)
        else math.nan
    )
    shown = f"{fast_speedup:.2f}x" if math.isfinite(fast_speedup) else "unbounded"
    print(f"speed-up at 15 s checks over Argo-style (tuned, 15s): {shown}")
    if bound is not None:
        argo_median = same_cadence["Argo-style (tuned)"].median_minutes
        best = argo_median / bound["fastest_feasible_median_minutes"]
        bound["largest_possible_speedup_over_tuned_argo"] = best
        print(
            f"information bound: no rule within {BUDGET:.0%} false rollbacks has a median below "
            f"{bound['fastest_feasible_median_minutes']:g} min (best share rolled back within "
            f"1 min: {bound['best_share_rolled_back_within_1_min']:.1%}); the largest possible "
            f"speed-up over the tuned Argo-style rule is {best:.2f}x"
        )
    verdict = "yes" if goal_met else "no"
    if not fair:
        verdict += " (a tuned baseline rolled back fewer healthy canaries than ours)"
    print(f"<= 1% false rollbacks and >= 2x faster than both tuned baselines: {verdict}")
    return {
        "title": title,
        "outcomes": [o.to_dict() for o in rows],
        "shipped_monitor": shipped.to_dict(),
        "speedup_over_tuned_same_cadence": {k: _finite(v) for k, v in speedups.items()},
        "speedup_at_15s_over_argo_tuned_15s": _finite(fast_speedup)
        if not math.isnan(fast_speedup)
        else None,
        "information_bound": bound,
        "baselines_at_least_our_false_rollbacks": fair,
        "twice_as_fast_as_tuned_baselines": goal_met,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="benchmarks.detection")
    parser.add_argument("--rollouts", type=int, default=4000, help="per set and arm")
    parser.add_argument("--intervals", type=int, default=30, help="analysis horizon (minutes)")
    parser.add_argument("--requests", type=float, default=5000.0, help="per minute, both arms")
    parser.add_argument("--weight", type=float, default=0.1, help="canary traffic share")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--judge-runs", type=int, default=200, help="analyses per judge cell")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    monitor = MonitorConfig()
    doubled = (Regression(start=0, error_multiplier=2.0),)
    ticks = args.intervals * TICKS_PER_MINUTE

    def counts(
        error_ratio: float, bad: bool, rollouts: int, seed: int, drift: Drift | None = None
    ) -> CountMatrix:
        cfg = SimulatorConfig(
            args.requests / TICKS_PER_MINUTE,
            args.weight,
            baseline_error_ratio=error_ratio,
            regressions=doubled if bad else (),
        )
        if drift is None:
            return Simulator(cfg, seed).counts(rollouts, ticks)
        path = drift.multipliers(rollouts, ticks, seed)
        return Simulator(cfg, seed).counts(rollouts, ticks, shared_error_multiplier=path)

    def stack(parts: list[CountMatrix]) -> CountMatrix:
        return CountMatrix(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in CountMatrix.__dataclass_fields__
            )
        )

    n, seed = args.rollouts, args.seed
    common = (
        f"{n} rollouts per set and arm, {args.requests:g} req/min, canary weight {args.weight:g}"
    )
    single = scenario(
        f"One service: error ratio 1% -> 2% ({common}, horizon {args.intervals} min)",
        Streams(
            counts(0.01, False, n, seed + 100),
            counts(0.01, True, n, seed + 101),
            counts(0.01, False, n, seed),
            counts(0.01, True, n, seed + 1),
        ),
        monitor,
        (0.01, 0.02),
        args.requests * args.weight,
        args.weight,
    )
    levels = [0.0025, 0.005, 0.01, 0.02, 0.04]
    per = max(n // len(levels), 1)

    def fleet(bad: bool, offset: int) -> CountMatrix:
        return stack([counts(v, bad, per, seed + offset + i) for i, v in enumerate(levels)])

    verdict = "met" if single["twice_as_fast_as_tuned_baselines"] else "NOT met"
    print(f"goal of issue 5 section 6 (single service, >= 2x at <= 1%): {verdict}")
    fleet_out = scenario(
        f"A fleet: baseline error ratio {', '.join(f'{v:.2%}' for v in levels)}, bad canaries x2; "
        f"one setting for all ({per * len(levels)} rollouts per set and arm)",
        Streams(fleet(False, 110), fleet(True, 120), fleet(False, 10), fleet(True, 20)),
        monitor,
        None,
        args.requests * args.weight,
        args.weight,
    )
    drift = Drift()

    def drifting(bad: bool, offset: int) -> CountMatrix:
        return counts(drift.level, bad, n, seed + offset, drift)

    low, high = drift.incident_multiplier
    drift_out = scenario(
        f"One service, drifting baseline: error ratio {drift.level / drift.diurnal_swing:.1%}.."
        f"{drift.level * drift.diurnal_swing:.0%} over the day (random hour), shared incidents "
        f"x{low:g}-{high:g} (every {drift.incident_gap_minutes / 60:g} h, "
        f"~{drift.incident_minutes:g} min, on average); bad canaries x2 at every tick ({common}, "
        f"horizon {args.intervals} min)",
        Streams(
            drifting(False, 300), drifting(True, 301), drifting(False, 200), drifting(True, 201)
        ),
        monitor,
        None,
        args.requests * args.weight,
        args.weight,
    )
    judge_out = judge_scenarios(args.judge_runs, args.seed)
    write_results(
        "detection",
        {
            "setup": {
                "rollouts_per_set_and_arm": n,
                "horizon_minutes": args.intervals,
                "tick_seconds": 60 // TICKS_PER_MINUTE,
                "requests_per_minute": args.requests,
                "canary_weight": args.weight,
                "seed": args.seed,
                "false_rollback_budget": BUDGET,
                "monitor": {
                    "alpha": monitor.alpha,
                    "srm_alpha": monitor.srm_alpha,
                    "harm_alpha": monitor.harm_alpha,
                    "beta": monitor.beta,
                    "min_requests": monitor.min_requests,
                },
                "tuning": "thresholds tuned on separately seeded rollouts, scored on others",
                "drifting_baseline": drift.to_dict(),
            },
            "single_service": single,
            "fleet": fleet_out,
            "drifting_baseline": drift_out,
            "judge_latency": judge_out,
            # Issue 5 section 6, per scenario. The stationary single service cannot meet it
            # (see its information bound); "goal_met" stays that strictest reading.
            "goal_met": single["twice_as_fast_as_tuned_baselines"],
            "goal_met_by_scenario": {
                "single_service": single["twice_as_fast_as_tuned_baselines"],
                "fleet": fleet_out["twice_as_fast_as_tuned_baselines"],
                "drifting_baseline": drift_out["twice_as_fast_as_tuned_baselines"],
            },
            "seconds": time.perf_counter() - started,
        },
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
