"""Mann-Whitney U test and the Hodges-Lehmann shift estimate with its confidence interval.

Both are computed from sorted samples without materialising the ``n1 * n2`` pairwise differences:

* ``U`` counts the pairs ``(x_i, y_j)`` with ``x_i > y_j`` (ties count one half); with both samples
  sorted that is two ``searchsorted`` calls.  The p-value is the normal approximation with tie and
  continuity correction, as in ``scipy.stats.mannwhitneyu(method="asymptotic")`` and R's
  ``wilcox.test(exact=FALSE, correct=TRUE)``.
* The Hodges-Lehmann estimate is the median of the pairwise differences ``x_i - y_j``; the interval
  is the pair of order statistics of those differences that R's asymptotic ``wilcox.test(conf.int=
  TRUE)`` lands on: ranks ``floor(N/2 -+ z*sigma -+ 1/2) + 1`` (1-indexed, ``N = n1*n2``).  An order
  statistic of the differences is found by counting differences below a trial shift (one
  ``searchsorted``), narrowing the trial shift by interpolation, then sorting only the few
  differences left inside the bracket.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = [
    "RankSumResult",
    "hodges_lehmann",
    "mann_whitney",
    "pairwise_difference_order_statistics",
    "tie_term",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_ENUMERATE_LIMIT = 12_000
_MAX_ROUNDS = 80
_NEWTON_MARGIN = 1_500.0
_WEIGHTED_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class RankSumResult:
    """Outcome of a two-sided Mann-Whitney test of ``x`` (canary) against ``y`` (baseline)."""

    u: float
    z: float
    p_value: float
    shift: float
    ci_low: float
    ci_high: float
    confidence: float


def tie_term(*samples: FloatArray, presorted: bool = False) -> float:
    """``sum(t**3 - t)`` over the tie groups of the pooled samples (one sorted sample: no sort)."""
    if presorted and len(samples) == 1:
        pooled = samples[0]
    else:
        pooled = np.sort(np.concatenate(samples), kind="stable")
    if pooled.size < 2:
        return 0.0
    edges = np.flatnonzero(np.diff(pooled) != 0)
    if edges.size == pooled.size - 1:
        return 0.0
    bounds = np.concatenate(([-1], edges, [pooled.size - 1]))
    t = np.diff(bounds).astype(np.float64)
    return float(np.sum(t**3 - t))


def _sigma(n1: int, n2: int, ties: float) -> float:
    n = n1 + n2
    var = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1)))
    return math.sqrt(var) if var > 0 else 0.0


def _u_statistic(xs: FloatArray, ys: FloatArray, tied: bool) -> float:
    """Pairs with ``x_i > y_j`` plus half the tied pairs, by linear-time stable merges."""
    n1, n2 = xs.size, ys.size
    base = n1 * (n1 - 1) // 2
    y_first = np.argsort(np.concatenate((ys, xs)), kind="stable")
    if not tied:
        return float(int(np.flatnonzero(y_first >= n2).sum()) - base)
    x_first = np.argsort(np.concatenate((xs, ys)), kind="stable")
    upto = int(np.flatnonzero(y_first >= n2).sum()) - base
    below = int(np.flatnonzero(x_first < n1).sum()) - base
    return (upto + below) / 2.0


def mann_whitney(
    x: FloatArray, y: FloatArray, *, confidence: float = 0.95, presorted: bool = False
) -> RankSumResult:
    """Two-sided Mann-Whitney U test plus Hodges-Lehmann shift ``x - y`` and its interval."""
    xs = x if presorted else np.sort(x)
    ys = y if presorted else np.sort(y)
    n1, n2 = int(xs.size), int(ys.size)
    if n1 == 0 or n2 == 0:
        raise ValueError("both samples need at least one value")
    ties = tie_term(xs, ys)
    u = _u_statistic(xs, ys, ties > 0)
    mu = n1 * n2 / 2.0
    sigma = _sigma(n1, n2, ties) if n1 + n2 > 1 else 0.0
    if sigma == 0.0:
        z, p = 0.0, 1.0
    else:
        big = max(u, n1 * n2 - u)
        z_abs = max(big - mu - 0.5, 0.0) / sigma
        p = min(1.0, float(2.0 * special.ndtr(-z_abs)))
        z = math.copysign(z_abs, u - mu)
    shift, low, high = hodges_lehmann(xs, ys, confidence=confidence, presorted=True)
    return RankSumResult(u, z, p, shift, low, high, confidence)


def hodges_lehmann(
    x: FloatArray,
    y: FloatArray,
    *,
    confidence: float = 0.95,
    presorted: bool = False,
) -> tuple[float, float, float]:
    """``(estimate, ci_low, ci_high)`` of the shift ``x - y`` (median of pairwise differences).

    The interval's standard deviation is tie-corrected for ties *within* each sample, which do not
    move with the shift, so the interval is exactly shift-equivariant.  R corrects for the ties of
    ``c(x - d, y)`` at the root ``d``; the two agree whenever no ``x_i - y_j`` difference is tied
    with the interval's end point (always, for continuous data).
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be strictly between 0 and 1")
    xs = x if presorted else np.sort(x)
    ys = y if presorted else np.sort(y)
    n1, n2 = int(xs.size), int(ys.size)
    n = n1 * n2
    within = tie_term(xs, presorted=True) + tie_term(ys, presorted=True)
    sigma = _sigma(n1, n2, within) if n1 + n2 > 1 else 0.0
    zq = float(special.ndtri(0.5 + confidence / 2.0))
    k_lo = min(max(math.floor(n / 2.0 - zq * sigma - 0.5), 0), n - 1)
    k_hi = min(max(math.floor(n / 2.0 + zq * sigma + 0.5), 0), n - 1)
    ks = np.array([(n - 1) // 2, n // 2, k_lo, k_hi], dtype=np.int64)
    values = pairwise_difference_order_statistics(xs, ys, ks)
    return float((values[0] + values[1]) / 2.0), float(values[2]), float(values[3])


def _rows_at_or_below(xs: FloatArray, ys: FloatArray, shift: float) -> IntArray:
    """Per row ``i``: how many ``y_j <= x_i - shift`` (i.e. differences ``x_i - y_j >= shift``).

    A stable sort of ``ys`` followed by ``xs - shift`` merges two sorted runs in linear time; the
    merged position of ``x_i - shift`` minus ``i`` is the count.
    """
    n2 = ys.size
    order = np.argsort(np.concatenate((ys, xs - shift)), kind="stable")
    return (np.flatnonzero(order >= n2) - np.arange(xs.size)).astype(np.int64)


def _rows_below(xs: FloatArray, ys: FloatArray, shift: float) -> IntArray:
    """Per row ``i``: how many ``y_j < x_i - shift`` (i.e. differences ``x_i - y_j > shift``)."""
    n1 = xs.size
    order = np.argsort(np.concatenate((xs - shift, ys)), kind="stable")
    return (np.flatnonzero(order < n1) - np.arange(n1)).astype(np.int64)


def _select(
    xs: FloatArray, start: IntArray, stop: IntArray, ys: FloatArray, ranks: IntArray
) -> FloatArray:
    """The ``ranks``-th smallest differences among rows' index windows ``[start_i, stop_i)``."""
    lengths = stop - start
    total = int(lengths.sum())
    widest = int(lengths.max()) if lengths.size else 0
    if widest <= 32:
        # Narrow windows: one gather per column offset beats ``np.repeat`` bookkeeping.
        live = np.flatnonzero(lengths)
        parts = []
        for j in range(widest):
            live = live[lengths[live] > j]
            parts.append(xs[live] - ys[start[live] + j])
        diffs = np.concatenate(parts) if parts else np.empty(0)
    else:
        rows = np.repeat(np.arange(xs.size), lengths)
        offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        diffs = xs[rows] - ys[start[rows] + offsets]
    return np.partition(diffs, ranks)[ranks].astype(np.float64)


def _initial_guess(xs: FloatArray, ys: FloatArray, ks: IntArray) -> tuple[FloatArray, FloatArray]:
    """Trial shifts from a systematic sub-sample, and the local density of differences."""
    m = 64
    xi = xs[np.linspace(0, xs.size - 1, min(m, xs.size)).astype(np.int64)]
    yi = ys[np.linspace(0, ys.size - 1, min(m, ys.size)).astype(np.int64)]
    sub = np.sort(np.subtract.outer(xi, yi).ravel())
    n = xs.size * ys.size
    last = sub.size - 1
    p = (ks + 0.5) / n
    step = 0.03
    guess = sub[np.clip(np.round(p * last).astype(np.int64), 0, last)]
    above = sub[np.clip(np.round((p + step) * last).astype(np.int64), 0, last)]
    below = sub[np.clip(np.round((p - step) * last).astype(np.int64), 0, last)]
    width = above - below
    safe = np.where(width > 0, width, 1.0)
    density = np.where(width > 0, 2 * step * n / safe, np.inf)
    return guess.astype(np.float64), density.astype(np.float64)


def _weighted_order_statistics(xs: FloatArray, ys: FloatArray, ks: IntArray) -> FloatArray:
    """Order statistics for heavily tied samples: differences of distinct values, weighted."""
    ux, cx = np.unique(xs, return_counts=True)
    uy, cy = np.unique(ys, return_counts=True)
    diffs = np.subtract.outer(ux, uy).ravel()
    weights = np.multiply.outer(cx, cy).ravel()
    order = np.argsort(diffs, kind="stable")
    cumulative = np.cumsum(weights[order])
    pos = np.searchsorted(cumulative, ks, side="right")
    return diffs[order][pos].astype(np.float64)


def pairwise_difference_order_statistics(
    xs: FloatArray, ys: FloatArray, ks: IntArray
) -> FloatArray:
    """The ``ks``-th (0-indexed) smallest values of ``x_i - y_j`` for sorted ``xs`` and ``ys``."""
    n1, n2 = xs.size, ys.size
    n = n1 * n2
    if n == 0:
        raise ValueError("both samples need at least one value")
    if ks.size and (int(ks.min()) < 0 or int(ks.max()) >= n):
        raise ValueError(f"ranks must lie in [0, {n})")
    distinct_x = int(np.count_nonzero(np.diff(xs))) + 1
    distinct_y = int(np.count_nonzero(np.diff(ys))) + 1
    if distinct_x * distinct_y <= _WEIGHTED_LIMIT:
        return _weighted_order_statistics(xs, ys, ks)
    wanted = np.unique(ks)
    targets = wanted[~np.isin(wanted - 1, wanted)]  # k+1 usually shares k's bracket
    found = _Brackets(xs, ys, targets)
    if targets.size > 1:
        # Settle the rank nearest the median first; Newton from there (exact count, local density)
        # starts the others within a few thousand ranks of their targets.
        first = int(np.argmin(np.abs(targets - n // 2)))
        found.narrow(np.array([first]))
        if np.isnan(found.tied[first]) and found.measured[first] > 0:
            anchor = (found.lo[first] + found.hi[first]) / 2.0
            rank = (found.c_lo[first] + found.c_hi[first]) / 2.0
            others = np.arange(targets.size) != first
            found.trial[others] = anchor + (targets[others] - rank) / found.measured[first]
            found.density[others] = found.measured[first]
    found.narrow(np.arange(targets.size))
    out = np.full(ks.size, np.nan)
    for t in range(targets.size):
        group = wanted[(wanted >= targets[t]) & (wanted <= targets[t] + 1)]
        if not np.isnan(found.tied[t]):
            first, stop = found.tied_ranks[t]
            out[np.isin(ks, group[(group >= first) & (group < stop)])] = found.tied[t]
            continue
        group = group[(group >= found.c_lo[t]) & (group < found.c_hi[t])]
        values = _select(xs, found.win_start[t], found.win_stop[t], ys, group - found.c_lo[t])
        for k, v in zip(group, values, strict=True):
            out[ks == k] = v
    missing = np.unique(ks[np.isnan(out)])
    if missing.size:
        if missing.size == wanted.size:  # pragma: no cover - defensive, the search always narrows
            raise RuntimeError("order statistic search did not converge")
        for k, v in zip(
            missing, pairwise_difference_order_statistics(xs, ys, missing), strict=True
        ):
            out[ks == k] = v
    return out


class _Brackets:
    """Per target rank ``k``: shifts ``lo <= D_k < hi`` and each row's window of ``y`` inside."""

    def __init__(self, xs: FloatArray, ys: FloatArray, targets: IntArray) -> None:
        n1, n2 = xs.size, ys.size
        count = targets.size
        self.xs, self.ys, self.targets, self.n = xs, ys, targets, n1 * n2
        self.span_lo = float(xs[0] - ys[-1])
        self.span_hi = float(np.nextafter(xs[-1] - ys[0], np.inf))
        self.lo = np.full(count, self.span_lo)
        self.hi = np.full(count, self.span_hi)
        self.win_start = np.zeros((count, n1), dtype=np.int64)
        self.win_stop = np.full((count, n1), n2, dtype=np.int64)
        self.c_lo = np.zeros(count, dtype=np.int64)
        self.c_hi = np.full(count, self.n, dtype=np.int64)
        self.tied = np.full(count, np.nan)  # the answer when it sits in a mass of equal values
        self.tied_ranks = np.zeros((count, 2), dtype=np.int64)  # [first, last + 1) of that mass
        self.streak = np.zeros(count, dtype=np.int64)  # consecutive trials landing on one side
        self.side = np.zeros(count, dtype=np.int64)  # -1: last trial was below D_k, +1: above
        self.trial, self.density = _initial_guess(xs, ys, targets)
        self.measured = np.zeros(count)  # density of differences measured at the first trial

    def narrow(self, which: IntArray) -> None:
        """Narrow the brackets of targets ``which`` until each can be enumerated cheaply."""
        for round_no in range(_MAX_ROUNDS):
            wide = (self.c_hi[which] - self.c_lo[which]) > _ENUMERATE_LIMIT
            todo = which[wide & np.isnan(self.tied[which])]
            if todo.size == 0:
                return
            for t in todo:
                self._step(int(t), round_no)

    def _snap(self, t: int, side: int) -> bool:
        """Move one side of the bracket onto the nearest difference ``v`` inside it.

        Returns True if ``D_k == v``; otherwise the bracket has moved past one distinct value, so
        discrete data cannot stall the search.
        """
        xs, ys, k = self.xs, self.ys, int(self.targets[t])
        rows = self.win_stop[t] if side < 0 else self.win_start[t]
        v = _snap_value(xs, ys, rows, side)
        if v is None:
            return False
        if side < 0:  # no difference in [lo, v): count those <= v
            strict = _rows_below(xs, ys, v)
            c_le = self.n - int(strict.sum())
            if c_le > k:
                self.tied[t], self.tied_ranks[t] = v, (self.c_lo[t], c_le)
                return True
            self.lo[t], self.c_lo[t], self.win_stop[t] = v, c_le, strict
        else:  # no difference in (v, hi): count those < v
            at_or_below = _rows_at_or_below(xs, ys, v)
            c_lt = self.n - int(at_or_below.sum())
            if c_lt <= k:
                self.tied[t], self.tied_ranks[t] = v, (c_lt, self.c_hi[t])
                return True
            self.hi[t], self.c_hi[t], self.win_start[t] = v, c_lt, at_or_below
        return False

    def _step(self, t: int, round_no: int) -> None:
        xs, ys, k = self.xs, self.ys, int(self.targets[t])
        lo, hi = float(self.lo[t]), float(self.hi[t])
        closed = lo > self.span_lo and hi < self.span_hi
        d = min(max(float(self.trial[t]), lo), hi)
        rows = _rows_at_or_below(xs, ys, d)
        c = self.n - int(rows.sum())  # differences < d
        side = -1 if c <= k else 1
        self.streak[t] = self.streak[t] + 1 if side == self.side[t] else 0
        self.side[t] = side
        if side < 0:
            self.lo[t], self.c_lo[t], self.win_stop[t] = d, c, rows
        else:
            self.hi[t], self.c_hi[t], self.win_start[t] = d, c, rows
        wide = self.c_hi[t] - self.c_lo[t] > _ENUMERATE_LIMIT
        if wide and closed and round_no >= 2:
            # Newton is not converging: probably a mass of tied differences.  Snap both sides
            # onto their nearest actual differences; either one is the answer or both move.
            if self._snap(t, side):
                return
            if self._snap(t, -side):
                return
        if round_no == 0:  # the sub-sample's density is rough; refine it once, exactly here
            density = _local_density(ys, rows)
            if density > 0:
                self.density[t] = self.measured[t] = density
        # Newton step on the count with a margin past the target so the bracket closes from the
        # other side; bisection when interpolation stalls or leaves the bracket.
        miss = k + 0.5 - c
        # The margin grows fourfold each time a trial lands on the same side again (a rough
        # density, e.g. for discrete data), so the bracket always closes within a few steps.
        margin = min(_NEWTON_MARGIN * 4.0 ** min(int(self.streak[t]), 30), float(self.n))
        newton = d + (miss + math.copysign(margin, miss)) / self.density[t]
        if self.lo[t] < newton < self.hi[t] and (round_no < 4 or not closed):
            self.trial[t] = newton
        else:
            self.trial[t] = self.lo[t] + (self.hi[t] - self.lo[t]) / 2.0
            self.density[t] /= 2.0


def _snap_value(xs: FloatArray, ys: FloatArray, rows: IntArray, side: int) -> float | None:
    """The difference nearest to a bracket side, on its inner side.

    ``rows[i]`` is row ``i``'s window edge: differences ``x_i - y_j`` with ``j < rows[i]`` lie
    above the side.  Side -1 (lower): the smallest of those; side +1 (upper): the largest of the
    others.
    """
    if side < 0:
        ok = rows >= 1
        return float(np.min(xs[ok] - ys[rows[ok] - 1])) if ok.any() else None
    ok = rows < ys.size
    return float(np.max(xs[ok] - ys[rows[ok]])) if ok.any() else None


def _local_density(ys: FloatArray, rows: IntArray, half: int = 16) -> float:
    """``d/dd #{x_i - y_j < d}``: the sum over rows of the density of ``y`` at ``x_i - d``."""
    last = ys.size - 1
    lo_idx = np.clip(rows - half, 0, last)
    hi_idx = np.clip(rows + half - 1, 0, last)
    width = ys[hi_idx] - ys[lo_idx]
    ok = width > 0
    return float(np.sum((hi_idx - lo_idx)[ok] / width[ok]))
