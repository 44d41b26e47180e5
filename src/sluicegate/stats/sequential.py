"""Always-valid monitoring of a canary's error ratio against its baseline.

Conditional on the total number of errors in an interval, and with the request counts observed,
the canary's share of errors is (approximately Poisson-thinned) binomial with success probability
``q(r) = r * n_c / (r * n_c + n_b)`` where ``r = p_canary / p_baseline`` is the error rate ratio.
For each ratio ``r`` on a grid the product over intervals of ``Binom(e_c | e, q(r)) / Binom(e_c |
e, q(r0))`` is a non-negative martingale under ``r = r0`` (and a supermartingale for ``r < r0`` and
for hypergeometric sampling, which is less dispersed), so their average (a mixture sequential
probability ratio test, mSPRT) is too.  By Ville's inequality the chance that it *ever* reaches
``1/alpha`` is at most ``alpha``: checking after every interval costs no extra false alarms.

Two such e-processes run side by side:

* harm: ``H0: r <= tolerated_ratio`` against ``r`` above it  -> ``rollback``
* safety: ``H0: r >= harmful_ratio`` against ``r`` below it  -> ``promote_ready``

The harm mixture weighs its grid of ratios uniformly by default.  With ``expected_ratio`` set (for
example 2.0: "the regressions we care about double the error ratio") the weights follow a normal
prior on ``log r`` centred there (``prior_width`` is its standard deviation), which puts the
evidence where that alternative lives and so rolls back such canaries sooner.  The weights are
fixed before any data is seen, so the mixture is still a test supermartingale and the guarantee
(at most ``alpha`` false rollbacks, however often the monitor is checked) is unchanged.

The sample-ratio check is sequential too (ADR 0012).  Within a stretch of intervals with one canary
weight ``w``, the canary's share of requests is binomial with success probability ``w`` when the
split works.  The beta-binomial Bayes factor of Lindon & Malek (2022, "Anytime-valid inference for
multinomial count data", the two-arm case of their Dirichlet-multinomial mixture) against that null,
averaged over the prior concentrations ``SRM_CONCENTRATIONS``, is a test martingale under the null;
a change of weight closes the stretch and starts a new factor, and the product over stretches is
again a test martingale.  So the chance that the split of a healthy rollout is *ever* called broken
is at most ``srm_alpha``, however often it is checked, and the harm test runs at ``alpha -
srm_alpha``: a healthy canary with a working split is rolled back with probability at most
``alpha`` in all, over any number of looks.

The vectorised kernels (``error_ratio_log_lr``, ``srm_log_e_value``) work on arrays of rollouts at
once; the benchmarks and ``SequentialMonitor`` share them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from sluicegate.stats.simulator import IntervalSample

__all__ = [
    "Action",
    "MonitorConfig",
    "MonitorDecision",
    "MonitorState",
    "SequentialMonitor",
    "error_ratio_log_lr",
    "mixture_log_e_value",
    "ratio_grid",
    "srm_log_e_value",
]

# Prior concentrations k of the beta-binomial SRM mixture: Beta(k w, k (1 - w)) around the
# configured weight w.  Small k finds gross mismatches in little traffic, large k small ones in a
# lot; averaging the four factors costs at most log 4 nats against the best of them.
SRM_CONCENTRATIONS = (10.0, 100.0, 1_000.0, 10_000.0)

FloatArray = npt.NDArray[np.float64]


def ratio_grid(low: float, high: float, points: int) -> FloatArray:
    """Log-spaced alternative ratios strictly between ``low`` and ``high``."""
    return np.exp(np.linspace(math.log(low), math.log(high), points + 2)[1:-1]).astype(np.float64)


def error_ratio_log_lr(
    canary_errors: npt.ArrayLike,
    baseline_errors: npt.ArrayLike,
    canary_requests: npt.ArrayLike,
    baseline_requests: npt.ArrayLike,
    ratios: FloatArray,
    null_ratio: float,
) -> FloatArray:
    """Log likelihood ratio increments, shape ``(..., len(ratios))``, for one interval each.

    Intervals where either arm served no request carry no information and contribute 0.
    """
    ec = np.asarray(canary_errors, dtype=np.float64)[..., None]
    eb = np.asarray(baseline_errors, dtype=np.float64)[..., None]
    nc = np.asarray(canary_requests, dtype=np.float64)[..., None]
    nb = np.asarray(baseline_requests, dtype=np.float64)[..., None]
    live = (nc > 0) & (nb > 0)
    nc_s, nb_s = np.where(live, nc, 1.0), np.where(live, nb, 1.0)
    log_odds = np.log(ratios) - math.log(null_ratio)  # log q/(1-q) - log q0/(1-q0)
    # log q(r)/q(r0) and log (1-q(r))/(1-q(r0)) via log1p for accuracy.
    base = nc_s * null_ratio / nb_s
    log_norm = np.log1p(base * np.exp(log_odds)) - np.log1p(base)
    inc = ec * (log_odds - log_norm) + eb * (-log_norm)
    return np.where(live, inc, 0.0)


def mixture_log_e_value(log_lr: FloatArray, weights: FloatArray | None = None) -> FloatArray:
    """log of the mixture of ``exp(log_lr)`` over the last axis (equal weights by default).

    ``weights`` (non-negative, any scale) are normalised to sum to 1.
    """
    if weights is None:
        k = log_lr.shape[-1]
        return np.asarray(special.logsumexp(log_lr, axis=-1) - math.log(k), dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    return np.asarray(special.logsumexp(log_lr, axis=-1, b=w / w.sum()), dtype=np.float64)


def srm_log_e_value(
    canary_requests: npt.ArrayLike, total_requests: npt.ArrayLike, weight: float
) -> FloatArray:
    """log e-value of "the canary gets share ``weight``" after ``canary_requests`` of
    ``total_requests`` (cumulative counts within one stretch of constant weight, any shape).

    The beta-binomial mixture Bayes factor ``mean_k B(k w + C, k (1 - w) + T - C) / B(k w, k (1 -
    w)) / (w**C (1 - w)**(T - C))`` over ``SRM_CONCENTRATIONS``; 0 (an e-value of 1) with no
    traffic.  A weight of 0 or 1 admits no traffic on the other side: any such request gives +inf.
    """
    c = np.asarray(canary_requests, dtype=np.float64)
    t = np.asarray(total_requests, dtype=np.float64)
    rest = t - c
    if weight <= 0.0 or weight >= 1.0:
        wrong = c if weight <= 0.0 else rest
        return np.where(wrong > 0, np.inf, 0.0).astype(np.float64)
    log_null = c * math.log(weight) + rest * math.log1p(-weight)
    parts = []
    for k in SRM_CONCENTRATIONS:
        a, b = k * weight, k * (1.0 - weight)
        parts.append(special.betaln(a + c, b + rest) - special.betaln(a, b) - log_null)
    stacked = np.stack(parts, axis=-1)
    out = special.logsumexp(stacked, axis=-1) - math.log(len(SRM_CONCENTRATIONS))
    return np.asarray(np.where(t > 0, out, 0.0), dtype=np.float64)


class Action(StrEnum):
    CONTINUE = "continue"
    ROLLBACK = "rollback"
    PROMOTE_READY = "promote_ready"


@dataclass(frozen=True, slots=True)
class MonitorConfig:
    # Bound on the chance of ever rolling back a canary no worse than tolerated whose traffic split
    # works: ``srm_alpha`` of it goes to the sample-ratio check, the rest to the harm test.
    alpha: float = 0.01
    beta: float = 0.05  # bound on the chance of calling a harmful canary safe
    tolerated_ratio: float = 1.0  # canary/baseline error ratio that is still fine
    harmful_ratio: float = 1.5  # ratio that must be ruled out before "promote_ready"
    min_requests: int = 100  # per arm, before any decision
    min_intervals: int = 1
    grid_points: int = 24
    max_ratio: float = 20.0
    # The sample-ratio check's share of alpha; unset (NaN): 0.001, or alpha / 10 for an alpha of
    # 0.001 or less, so that every alpha that was valid before ADR 0012 still is.
    srm_alpha: float = math.nan
    # None: the harm mixture weighs its ratios equally.  A ratio (e.g. 2.0): a normal prior on
    # log(ratio) centred there, with standard deviation ``prior_width``, as mixture weights.
    expected_ratio: float | None = None
    prior_width: float = 0.25

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0 or not 0.0 < self.beta < 1.0:
            raise ValueError("alpha and beta must lie in (0, 1)")
        if not 0.0 < self.tolerated_ratio < self.harmful_ratio < self.max_ratio:
            raise ValueError("need 0 < tolerated_ratio < harmful_ratio < max_ratio")
        if self.grid_points < 1 or self.min_requests < 0 or self.min_intervals < 0:
            raise ValueError("grid_points >= 1, min_requests >= 0 and min_intervals >= 0")
        if self.expected_ratio is not None and not (
            self.tolerated_ratio < self.expected_ratio < self.max_ratio
        ):
            raise ValueError("need tolerated_ratio < expected_ratio < max_ratio")
        if not self.prior_width > 0.0:
            raise ValueError("prior_width must be > 0")
        if math.isnan(self.srm_alpha):
            object.__setattr__(self, "srm_alpha", min(0.001, self.alpha / 10.0))
        if not 0.0 < self.srm_alpha < self.alpha:
            raise ValueError("srm_alpha must lie in (0, alpha): it is spent out of alpha")

    @property
    def harm_alpha(self) -> float:
        """The harm test's share of ``alpha`` (the sample-ratio check has ``srm_alpha``)."""
        return self.alpha - self.srm_alpha

    def harm_grid(self) -> FloatArray:
        return ratio_grid(self.tolerated_ratio, self.max_ratio, self.grid_points)

    def harm_weights(self) -> FloatArray | None:
        """Mixture weights over ``harm_grid()`` (None: equal weights)."""
        if self.expected_ratio is None:
            return None
        z = (np.log(self.harm_grid()) - math.log(self.expected_ratio)) / self.prior_width
        log_w = -0.5 * z**2
        w = np.exp(log_w - log_w.max())  # the nearest grid point keeps weight, however narrow
        return np.asarray(w / w.sum(), dtype=np.float64)

    def safety_grid(self) -> FloatArray:
        return ratio_grid(self.harmful_ratio / self.max_ratio, self.harmful_ratio, self.grid_points)


@dataclass(frozen=True, slots=True)
class MonitorState:
    """Everything the monitor remembers; plain numbers so it round-trips through JSON."""

    intervals: int = 0
    canary_requests: int = 0
    canary_errors: int = 0
    baseline_requests: int = 0
    baseline_errors: int = 0
    # Sample-ratio check, over the intervals that reported the canary weight in force:
    srm_canary_requests: int = 0
    srm_total_requests: int = 0
    expected_canary_requests: float = 0.0
    # The sequential SRM e-process: log e-value of the closed stretches of constant weight, and the
    # open stretch's weight and counts.
    srm_log_e_closed: float = 0.0
    srm_segment_weight: float | None = None
    srm_segment_canary: int = 0
    srm_segment_total: int = 0
    max_srm_log_e: float = 0.0
    harm_log_lr: tuple[float, ...] = ()
    safety_log_lr: tuple[float, ...] = ()
    max_harm_log_e: float = 0.0
    max_safety_log_e: float = 0.0
    final: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["harm_log_lr"] = list(self.harm_log_lr)
        out["safety_log_lr"] = list(self.safety_log_lr)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MonitorState:
        known = {f: data[f] for f in cls.__dataclass_fields__ if f in data}
        known["harm_log_lr"] = tuple(float(v) for v in known.get("harm_log_lr", ()))
        known["safety_log_lr"] = tuple(float(v) for v in known.get("safety_log_lr", ()))
        return cls(**known)


@dataclass(frozen=True, slots=True)
class MonitorDecision:
    action: Action
    reason: str
    p_value: float  # always-valid p-value of "canary no worse than tolerated"
    safety_p_value: float  # always-valid p-value of "canary at least harmful_ratio worse"
    e_value: float
    observed_ratio: float
    srm_p_value: float  # always-valid p-value of "the split matches the weights" (NaN: unchecked)
    state: MonitorState = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "reason": self.reason,
            "p_value": self.p_value,
            "safety_p_value": self.safety_p_value,
            "e_value": self.e_value,
            "observed_ratio": self.observed_ratio if math.isfinite(self.observed_ratio) else None,
            "srm_p_value": self.srm_p_value,
            "state": self.state.to_dict(),
        }


def _rate(errors: int, requests: int) -> float:
    return errors / requests if requests else math.nan


class SequentialMonitor:
    """Per-rollout policy: feed one interval's counts at a time, get continue/rollback/promote."""

    def __init__(self, config: MonitorConfig | None = None, state: MonitorState | None = None):
        self.config = config or MonitorConfig()
        k = self.config.grid_points
        self.state = state or MonitorState(harm_log_lr=(0.0,) * k, safety_log_lr=(0.0,) * k)

    def to_dict(self) -> dict[str, Any]:
        return {"config": asdict(self.config), "state": self.state.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SequentialMonitor:
        return cls(MonitorConfig(**data["config"]), MonitorState.from_dict(data["state"]))

    def observe(self, sample: IntervalSample) -> MonitorDecision:
        """``update`` from one simulated (or measured) interval, with its canary weight."""
        return self.update(
            sample.canary.requests,
            sample.canary.errors,
            sample.baseline.requests,
            sample.baseline.errors,
            canary_weight=sample.canary_weight,
        )

    def update(
        self,
        canary_requests: int,
        canary_errors: int,
        baseline_requests: int,
        baseline_errors: int,
        *,
        canary_weight: float | None = None,
    ) -> MonitorDecision:
        """Add one interval's counts; ``canary_weight`` (0..1) enables the sample-ratio check.

        Counts must be whole numbers >= 0 (an ``int``, or a float with an integral value), errors
        at most requests; NaN, infinities and fractions raise ``ValueError`` naming the field.
        """
        names = ("canary_requests", "canary_errors", "baseline_requests", "baseline_errors")
        raw = (canary_requests, canary_errors, baseline_requests, baseline_errors)
        for name, value in zip(names, raw, strict=True):
            if isinstance(value, bool) or not isinstance(value, int | float | np.integer):
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
            if not math.isfinite(value) or value != int(value):
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
        canary_requests, canary_errors, baseline_requests, baseline_errors = (int(v) for v in raw)
        counts = (canary_requests, canary_errors, baseline_requests, baseline_errors)
        if any(v < 0 for v in counts) or canary_errors > canary_requests:
            raise ValueError("counts must be >= 0 and errors <= requests")
        if baseline_errors > baseline_requests:
            raise ValueError("counts must be >= 0 and errors <= requests")
        weighed = canary_weight is not None
        if weighed and not (
            isinstance(canary_weight, int | float)
            and not isinstance(canary_weight, bool)
            and 0.0 <= float(canary_weight) <= 1.0
        ):
            raise ValueError(f"canary_weight must lie in [0, 1], got {canary_weight!r}")
        cfg, s = self.config, self.state
        harm = np.asarray(s.harm_log_lr, dtype=np.float64) + error_ratio_log_lr(
            canary_errors,
            baseline_errors,
            canary_requests,
            baseline_requests,
            cfg.harm_grid(),
            cfg.tolerated_ratio,
        )
        safety = np.asarray(s.safety_log_lr, dtype=np.float64) + error_ratio_log_lr(
            canary_errors,
            baseline_errors,
            canary_requests,
            baseline_requests,
            cfg.safety_grid(),
            cfg.harmful_ratio,
        )
        harm_e = float(mixture_log_e_value(harm, cfg.harm_weights()))
        safety_e = float(mixture_log_e_value(safety))
        total = canary_requests + baseline_requests
        weight = float(canary_weight) if canary_weight is not None else 0.0
        expected = s.expected_canary_requests + (total * weight)
        srm_fields = (
            s.srm_log_e_closed,
            s.srm_segment_weight,
            s.srm_segment_canary,
            s.srm_segment_total,
            s.max_srm_log_e,
        )
        if weighed:
            closed, seg_c, seg_t = s.srm_log_e_closed, s.srm_segment_canary, s.srm_segment_total
            if s.srm_segment_weight is not None and s.srm_segment_weight != weight:
                # A new weight closes the stretch: its factor is final, a new one starts at 1.
                closed += float(srm_log_e_value(seg_c, seg_t, s.srm_segment_weight))
                seg_c, seg_t = 0, 0
            seg_c, seg_t = seg_c + canary_requests, seg_t + total
            log_e = closed + float(srm_log_e_value(seg_c, seg_t, weight))
            srm_fields = (closed, weight, seg_c, seg_t, max(s.max_srm_log_e, log_e))
        s = replace(
            s,
            intervals=s.intervals + 1,
            canary_requests=s.canary_requests + canary_requests,
            canary_errors=s.canary_errors + canary_errors,
            baseline_requests=s.baseline_requests + baseline_requests,
            baseline_errors=s.baseline_errors + baseline_errors,
            srm_canary_requests=s.srm_canary_requests + (canary_requests if weighed else 0),
            srm_total_requests=s.srm_total_requests + (total if weighed else 0),
            expected_canary_requests=expected,
            harm_log_lr=tuple(float(v) for v in harm),
            safety_log_lr=tuple(float(v) for v in safety),
            max_harm_log_e=max(s.max_harm_log_e, harm_e),
            max_safety_log_e=max(s.max_safety_log_e, safety_e),
            srm_log_e_closed=srm_fields[0],
            srm_segment_weight=srm_fields[1],
            srm_segment_canary=srm_fields[2],
            srm_segment_total=srm_fields[3],
            max_srm_log_e=srm_fields[4],
        )
        decision = self._decide(s)
        self.state = decision.state
        return decision

    def _decide(self, s: MonitorState) -> MonitorDecision:
        cfg = self.config
        p = min(1.0, math.exp(-s.max_harm_log_e))
        p_safe = min(1.0, math.exp(-s.max_safety_log_e))
        rc = _rate(s.canary_errors, s.canary_requests)
        rb = _rate(s.baseline_errors, s.baseline_requests)
        ratio = rc / rb if rb and rb > 0 and not math.isnan(rc) else math.nan
        srm_p = math.nan
        if s.srm_segment_weight is not None:
            srm_p = min(1.0, math.exp(-s.max_srm_log_e)) if s.max_srm_log_e < math.inf else 0.0
        counts = (
            f"canary {s.canary_errors}/{s.canary_requests} errors ({rc:.3%}), "
            f"baseline {s.baseline_errors}/{s.baseline_requests} ({rb:.3%})"
        )
        enough = (
            min(s.canary_requests, s.baseline_requests) >= cfg.min_requests
            and s.intervals >= cfg.min_intervals
        )
        action, reason = Action.CONTINUE, f"not enough evidence yet: {counts}"
        if s.final is not None:
            action = Action(s.final)
            reason = f"already decided ({s.final}); {counts}"
        elif not enough:
            reason = (
                f"waiting for {cfg.min_requests} requests per arm and {cfg.min_intervals} "
                f"interval(s): {counts}"
            )
        elif not math.isnan(srm_p) and srm_p <= cfg.srm_alpha:
            action = Action.ROLLBACK
            share = s.srm_canary_requests / max(s.srm_total_requests, 1)
            expected = s.expected_canary_requests / max(s.srm_total_requests, 1)
            reason = (
                f"sample ratio mismatch (always-valid p = {srm_p:.2g} <= {cfg.srm_alpha:g}): the "
                f"canary got {share:.2%} of the requests, {expected:.2%} expected; the split is "
                "broken"
            )
        elif p <= cfg.harm_alpha:
            action = Action.ROLLBACK
            reason = (
                f"canary error ratio is higher than {cfg.tolerated_ratio:g}x baseline "
                f"(always-valid p = {p:.2g} <= {cfg.harm_alpha:g}, alpha {cfg.alpha:g} less "
                f"srm_alpha {cfg.srm_alpha:g}): {counts}"
            )
        elif p_safe <= cfg.beta:
            action = Action.PROMOTE_READY
            reason = (
                f"canary error ratio is below {cfg.harmful_ratio:g}x baseline "
                f"(always-valid p = {p_safe:.2g} <= {cfg.beta:g}): {counts}"
            )
        if action is not Action.CONTINUE and s.final is None:
            s = replace(s, final=action.value)
        return MonitorDecision(
            action, reason, p, p_safe, math.exp(s.max_harm_log_e), ratio, srm_p, s
        )
