"""A seeded traffic simulator: baseline and canary request streams, interval by interval.

Each interval draws a Poisson number of requests, splits them binomially by the canary weight in
force, draws errors binomially from each arm's error ratio and a sample of latencies from each
arm's latency distribution.  Regressions switch on at a given interval and multiply the canary's
error ratio and/or shift and scale its latencies.  ``Simulator(config, seed).interval(i)`` is a
pure function of ``(config, seed, i)`` (random access, any order); ``stream()`` yields intervals
in order; ``counts()`` draws request and error counts for many rollouts at once for benchmarks.
``counts(..., shared_error_multiplier=m)`` lets the service's error ratio drift over time: ``m``
(per interval, or per rollout and interval) multiplies both arms' error ratios alike, as a diurnal
swing or a flaky dependency would, so a healthy canary stays level with its baseline throughout.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "ArmSample",
    "CountMatrix",
    "Distribution",
    "IntervalSample",
    "LatencyModel",
    "Regression",
    "Simulator",
    "SimulatorConfig",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Distribution(StrEnum):
    LOGNORMAL = "lognormal"
    GAMMA = "gamma"
    EXPONENTIAL = "exponential"
    NORMAL = "normal"  # truncated at 0


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """Latency in milliseconds; ``median_ms`` and ``spread`` mean, per distribution:

    lognormal: median and sigma of log; gamma: median (approx.) and shape = 1/spread**2;
    exponential: median; normal: mean and standard deviation = spread * median.
    """

    distribution: Distribution = Distribution.LOGNORMAL
    median_ms: float = 100.0
    spread: float = 0.5

    def draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        if self.distribution is Distribution.LOGNORMAL:
            out = rng.lognormal(math.log(self.median_ms), self.spread, size)
        elif self.distribution is Distribution.GAMMA:
            shape = 1.0 / max(self.spread, 1e-6) ** 2
            scale = self.median_ms / max(shape - 1.0 / 3.0, 1e-6)
            out = rng.gamma(shape, scale, size)
        elif self.distribution is Distribution.EXPONENTIAL:
            out = rng.exponential(self.median_ms / math.log(2.0), size)
        else:
            out = np.maximum(rng.normal(self.median_ms, self.spread * self.median_ms, size), 0.0)
        return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Regression:
    """From interval ``start`` on, the canary's errors x ``error_multiplier`` and latencies
    ``* latency_multiplier + latency_shift_ms``."""

    start: int = 0
    error_multiplier: float = 1.0
    latency_shift_ms: float = 0.0
    latency_multiplier: float = 1.0


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    requests_per_interval: float = 5000.0  # Poisson mean, both arms together
    canary_weight: float = 0.1
    weight_steps: tuple[tuple[int, float], ...] = ()  # (from interval, weight), overrides above
    baseline_error_ratio: float = 0.01
    canary_error_ratio: float | None = None  # None: same as baseline
    baseline_latency: LatencyModel = field(default_factory=LatencyModel)
    canary_latency: LatencyModel | None = None
    regressions: tuple[Regression, ...] = ()
    latency_samples: int = 200  # per arm and interval, at most the arm's requests

    def __post_init__(self) -> None:
        weights = [self.canary_weight, *(w for _, w in self.weight_steps)]
        if any(not 0.0 <= w <= 1.0 for w in weights):
            raise ValueError("canary weights must lie in [0, 1]")
        ratios = [self.baseline_error_ratio, self.canary_error_ratio or 0.0]
        if any(not 0.0 <= r <= 1.0 for r in ratios) or self.requests_per_interval < 0:
            raise ValueError("error ratios must lie in [0, 1] and the request rate be >= 0")

    def weight_at(self, interval: int) -> float:
        weight = self.canary_weight
        for start, w in sorted(self.weight_steps):
            if interval >= start:
                weight = w
        return weight

    def canary_error_at(self, interval: int) -> float:
        p = (
            self.baseline_error_ratio
            if self.canary_error_ratio is None
            else self.canary_error_ratio
        )
        for reg in self.regressions:
            if interval >= reg.start:
                p *= reg.error_multiplier
        return min(p, 1.0)


@dataclass(frozen=True, slots=True)
class ArmSample:
    requests: int
    errors: int
    latency_ms: FloatArray

    @property
    def error_ratio(self) -> float:
        return self.errors / self.requests if self.requests else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "latency_ms": [float(v) for v in self.latency_ms],
        }


@dataclass(frozen=True, slots=True)
class IntervalSample:
    index: int
    canary_weight: float
    baseline: ArmSample
    canary: ArmSample

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "canary_weight": self.canary_weight,
            "baseline": self.baseline.to_dict(),
            "canary": self.canary.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class CountMatrix:
    """Counts for ``rollouts x intervals``: requests and errors per arm."""

    canary_requests: IntArray
    canary_errors: IntArray
    baseline_requests: IntArray
    baseline_errors: IntArray


class Simulator:
    def __init__(self, config: SimulatorConfig | None = None, seed: int = 0) -> None:
        self.config = config or SimulatorConfig()
        self.seed = int(seed)

    def _rng(self, *key: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, *key]))

    def interval(self, index: int) -> IntervalSample:
        """The sample for interval ``index``; the same ``(config, seed, index)`` -> same draw."""
        if index < 0:
            raise ValueError("interval index must be >= 0")
        cfg = self.config
        rng = self._rng(0, index)
        weight = cfg.weight_at(index)
        total = int(rng.poisson(cfg.requests_per_interval))
        n_canary = int(rng.binomial(total, weight))
        n_base = total - n_canary
        e_base = int(rng.binomial(n_base, cfg.baseline_error_ratio))
        e_canary = int(rng.binomial(n_canary, cfg.canary_error_at(index)))
        base_lat = cfg.baseline_latency.draw(rng, min(n_base, cfg.latency_samples))
        model = cfg.canary_latency or cfg.baseline_latency
        can_lat = model.draw(rng, min(n_canary, cfg.latency_samples))
        for reg in cfg.regressions:
            if index >= reg.start:
                can_lat = can_lat * reg.latency_multiplier + reg.latency_shift_ms
        return IntervalSample(
            index=index,
            canary_weight=weight,
            baseline=ArmSample(n_base, e_base, base_lat),
            canary=ArmSample(n_canary, e_canary, np.maximum(can_lat, 0.0)),
        )

    def stream(self, start: int = 0, stop: int | None = None) -> Iterator[IntervalSample]:
        """Intervals ``start, start+1, ...`` (endless when ``stop`` is None)."""
        index = start
        while stop is None or index < stop:
            yield self.interval(index)
            index += 1

    def counts(
        self,
        rollouts: int,
        intervals: int,
        *,
        shared_error_multiplier: npt.ArrayLike | None = None,
    ) -> CountMatrix:
        """Vectorised request/error counts for ``rollouts`` independent rollouts (no latencies).

        ``shared_error_multiplier`` (optional, >= 0, broadcastable to ``(rollouts, intervals)``,
        e.g. one value per interval or one row per rollout) multiplies the error ratio of *both*
        arms in each interval: the baseline's becomes ``baseline_error_ratio * m`` and the
        canary's ``canary_error_at(i) * m`` (regressions included), each capped at 1.  Request
        counts do not depend on it.  Without it the draws are exactly those of earlier versions.
        """
        cfg = self.config
        rng = self._rng(1, rollouts, intervals)
        shape = (rollouts, intervals)
        weights = np.array([cfg.weight_at(i) for i in range(intervals)])
        p_canary = np.array([cfg.canary_error_at(i) for i in range(intervals)])
        p_base: float | FloatArray = cfg.baseline_error_ratio
        p_can: FloatArray = np.broadcast_to(p_canary, shape)
        if shared_error_multiplier is not None:
            m = np.broadcast_to(np.asarray(shared_error_multiplier, dtype=np.float64), shape)
            if not bool(np.all(np.isfinite(m) & (m >= 0.0))):
                raise ValueError("shared_error_multiplier must be finite and >= 0")
            p_base = np.minimum(cfg.baseline_error_ratio * m, 1.0)
            p_can = np.minimum(p_can * m, 1.0)
        total = rng.poisson(cfg.requests_per_interval, shape)
        n_canary = rng.binomial(total, np.broadcast_to(weights, shape))
        n_base = total - n_canary
        return CountMatrix(
            canary_requests=n_canary.astype(np.int64),
            canary_errors=rng.binomial(n_canary, p_can).astype(np.int64),
            baseline_requests=n_base.astype(np.int64),
            baseline_errors=rng.binomial(n_base, p_base).astype(np.int64),
        )

    def latency_series(self, intervals: Sequence[int]) -> tuple[FloatArray, FloatArray]:
        """All baseline and canary latency samples of the given intervals, concatenated."""
        samples = [self.interval(i) for i in intervals]
        base = [s.baseline.latency_ms for s in samples]
        can = [s.canary.latency_ms for s in samples]
        return np.concatenate(base or [np.empty(0)]), np.concatenate(can or [np.empty(0)])
