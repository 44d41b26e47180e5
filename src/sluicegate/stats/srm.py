"""Sample-ratio-mismatch check: are the observed arm sizes consistent with the split weights?

``sample_ratio_mismatch`` is a fixed-horizon test: read it once.  The sequential monitor does not
use it (ADR 0012): repeated at every look its false alarms add up; the monitor runs an
anytime-valid mixture test instead (``sequential.srm_log_e_value``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["SrmResult", "sample_ratio_mismatch"]


@dataclass(frozen=True, slots=True)
class SrmResult:
    chi2: float
    p_value: float
    mismatch: bool
    alpha: float
    observed: tuple[int, ...]
    expected: tuple[float, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "chi2": self.chi2,
            "p_value": self.p_value,
            "mismatch": self.mismatch,
            "alpha": self.alpha,
            "observed": list(self.observed),
            "expected": list(self.expected),
            "reason": self.reason,
        }


def sample_ratio_mismatch(
    counts: Sequence[int], weights: Sequence[float], *, alpha: float = 0.001
) -> SrmResult:
    """Pearson chi-square goodness of fit of ``counts`` against ``weights`` (normalised)."""
    if len(counts) != len(weights) or len(counts) < 2:
        raise ValueError("need one weight per arm and at least two arms")
    if not all(math.isfinite(float(c)) and float(c) == int(c) for c in counts):
        raise ValueError(f"counts must be whole numbers, got {list(counts)!r}")
    if not all(math.isfinite(float(w)) for w in weights):
        raise ValueError(f"weights must be finite, got {list(weights)!r}")
    if any(c < 0 for c in counts) or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("counts and weights must be non-negative, weights not all zero")
    obs = np.asarray(counts, dtype=np.float64)
    total = float(obs.sum())
    w = np.asarray(weights, dtype=np.float64) / float(np.sum(weights))
    expected = total * w
    if total == 0:
        return SrmResult(
            0.0,
            1.0,
            False,
            alpha,
            tuple(int(c) for c in counts),
            tuple(expected.tolist()),
            "no traffic yet",
        )
    if np.any((expected == 0) & (obs > 0)):
        return SrmResult(
            float("inf"),
            0.0,
            True,
            alpha,
            tuple(int(c) for c in counts),
            tuple(expected.tolist()),
            "traffic reached an arm with weight 0",
        )
    keep = expected > 0
    chi2, p = stats.chisquare(obs[keep], expected[keep])
    chi2, p = float(chi2), float(p)
    mismatch = p < alpha
    shares = ", ".join(f"{o / total:.2%} (expected {e:.2%})" for o, e in zip(obs, w, strict=True))
    reason = ("sample ratio mismatch" if mismatch else "split matches the weights") + (
        f": {shares}; chi2 = {chi2:.3g}, p = {p:.3g}, alpha = {alpha:g}"
    )
    return SrmResult(
        chi2, p, mismatch, alpha, tuple(int(c) for c in counts), tuple(expected.tolist()), reason
    )
