"""Mann-Whitney U and Hodges-Lehmann: against SciPy, brute force and R's documented algorithm."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special, stats

from sluicegate.stats.ranksum import (
    hodges_lehmann,
    mann_whitney,
    pairwise_difference_order_statistics,
    tie_term,
)

FIXED_X = np.array([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30, 2.01, 0.90, 1.10])
FIXED_Y = np.array([0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29, 0.41, 0.77])


def _brute_order_statistics(x: np.ndarray, y: np.ndarray, ks: np.ndarray) -> np.ndarray:
    ordered: np.ndarray = np.sort(np.subtract.outer(x, y).ravel())[ks]
    return ordered


def _r_asymptotic_ci(x: np.ndarray, y: np.ndarray, conf: float) -> tuple[float, float]:
    """R's wilcox.test(x, y, conf.int=TRUE, exact=FALSE, correct=TRUE) interval, transcribed.

    R finds the roots (``uniroot``) of ``wdiff(d, zq) = (dz - sign(dz)/2) / sigma(d) - zq`` where
    ``dz`` is the rank sum of ``x - d`` in ``c(x - d, y)`` minus its null mean and ``sigma(d)`` is
    the tie-corrected standard deviation at that shift.  The function is a decreasing step
    function of ``d``; we locate its sign change by bisection to ~1e-12 instead of R's 1e-4.
    """
    n1, n2 = x.size, y.size

    def wdiff(d: float, zq: float) -> float:
        pooled = np.concatenate((x - d, y))
        ranks = stats.rankdata(pooled)
        dz = ranks[:n1].sum() - n1 * (n1 + 1) / 2 - n1 * n2 / 2
        _, counts = np.unique(pooled, return_counts=True)
        n = n1 + n2
        sigma = np.sqrt(n1 * n2 / 12 * ((n + 1) - np.sum(counts**3 - counts) / (n * (n - 1))))
        return float((dz - np.sign(dz) * 0.5) / sigma - zq)

    z = float(special.ndtri(0.5 + conf / 2))
    lo, hi = float(x.min() - y.max()), float(x.max() - y.min())
    lower = optimize.bisect(lambda d: wdiff(d, z), lo, hi, xtol=1e-12)
    upper = optimize.bisect(lambda d: wdiff(d, -z), lo, hi, xtol=1e-12)
    return lower, upper


def test_u_and_p_match_scipy_on_fixed_data() -> None:
    res = mann_whitney(FIXED_X, FIXED_Y)
    ref = stats.mannwhitneyu(FIXED_X, FIXED_Y, alternative="two-sided", method="asymptotic")
    assert res.u == ref.statistic
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-12)


def test_u_and_p_match_scipy_with_heavy_ties() -> None:
    rng = np.random.default_rng(3)
    x = rng.poisson(4, 300).astype(float)
    y = rng.poisson(4.4, 250).astype(float)
    res = mann_whitney(x, y)
    ref = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    assert res.u == ref.statistic
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(-50, 50), min_size=2, max_size=60),
    st.lists(st.integers(-50, 50), min_size=2, max_size=60),
)
def test_u_and_p_match_scipy_property(xs: list[int], ys: list[int]) -> None:
    x, y = np.array(xs, dtype=float), np.array(ys, dtype=float)
    res = mann_whitney(x, y)
    ref = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    assert res.u == ref.statistic
    if np.isnan(ref.pvalue):  # scipy: every value tied -> undefined; we report p = 1
        assert res.p_value == 1.0
    else:
        assert res.p_value == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)


def test_hodges_lehmann_is_the_median_of_pairwise_differences() -> None:
    est, _, _ = hodges_lehmann(FIXED_X, FIXED_Y)
    assert est == pytest.approx(np.median(np.subtract.outer(FIXED_X, FIXED_Y)), abs=1e-15)


@pytest.mark.parametrize(
    "draw",
    [
        lambda rng, n: rng.lognormal(4, 0.7, n),
        lambda rng, n: rng.normal(0, 1, n),
        lambda rng, n: rng.poisson(3, n).astype(float),
        lambda rng, n: np.round(rng.lognormal(5, 1, n)),
        lambda rng, n: np.round(rng.lognormal(3, 1, n), 1),
        lambda rng, n: np.where(rng.random(n) < 0.7, 0.0, rng.lognormal(0, 1, n)),
    ],
    ids=["lognormal", "normal", "poisson", "rounded-ms", "rounded-decimal", "zero-inflated"],
)
@pytest.mark.parametrize(("n1", "n2"), [(1, 1), (3, 8), (200, 150), (1500, 1700)])
def test_order_statistics_match_brute_force(draw, n1: int, n2: int) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(n1 * 7 + n2)
    x, y = np.sort(draw(rng, n1)), np.sort(draw(rng, n2))
    n = n1 * n2
    ks = np.unique(
        np.array(
            [0, n // 7, n // 4, n // 3, n // 2 - 1 if n > 1 else 0, n // 2, (9 * n) // 10, n - 1]
        )
    )
    got = pairwise_difference_order_statistics(x, y, ks)
    # Exact up to floating-point rounding of ``x_i - d`` against ``y_j`` (a few ulps).
    np.testing.assert_allclose(got, _brute_order_statistics(x, y, ks), rtol=1e-12, atol=1e-12)


def test_order_statistics_reject_out_of_range_ranks() -> None:
    with pytest.raises(ValueError, match="ranks"):
        pairwise_difference_order_statistics(np.sort(FIXED_X), np.sort(FIXED_Y), np.array([132]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_confidence_interval_matches_r_asymptotic_algorithm(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(3, 0.5, 80) + 1.0
    y = rng.lognormal(3, 0.5, 70)
    _, low, high = hodges_lehmann(x, y, confidence=0.95)
    r_low, r_high = _r_asymptotic_ci(x, y, 0.95)
    assert low == pytest.approx(r_low, abs=1e-9)
    assert high == pytest.approx(r_high, abs=1e-9)


def test_confidence_interval_uses_the_documented_ranks() -> None:
    x, y = np.sort(FIXED_X), np.sort(FIXED_Y)
    n1, n2 = x.size, y.size
    sigma = np.sqrt(
        n1 * n2 / 12 * ((n1 + n2 + 1) - (tie_term(x) + tie_term(y)) / ((n1 + n2) * (n1 + n2 - 1)))
    )
    z = special.ndtri(0.975)
    n = n1 * n2
    k_lo, k_hi = int(np.floor(n / 2 - z * sigma - 0.5)), int(np.floor(n / 2 + z * sigma + 0.5))
    diffs = np.sort(np.subtract.outer(x, y).ravel())
    _, low, high = hodges_lehmann(x, y)
    assert (low, high) == (diffs[k_lo], diffs[k_hi])


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, 1000), min_size=3, max_size=80),
    st.lists(st.integers(0, 1000), min_size=3, max_size=80),
    st.integers(-500, 500),
)
def test_shift_invariance(xs: list[int], ys: list[int], c: int) -> None:
    x, y = np.array(xs, dtype=float), np.array(ys, dtype=float)
    a = mann_whitney(x, y)
    both = mann_whitney(x + c, y + c)  # moving both samples changes nothing
    assert (both.u, both.p_value, both.shift, both.ci_low, both.ci_high) == (
        a.u,
        a.p_value,
        a.shift,
        a.ci_low,
        a.ci_high,
    )
    moved = mann_whitney(x + c, y)  # moving the canary moves the shift and its interval
    assert (moved.shift, moved.ci_low, moved.ci_high) == (a.shift + c, a.ci_low + c, a.ci_high + c)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, 300), min_size=2, max_size=60),
    st.lists(st.integers(0, 300), min_size=2, max_size=60),
)
def test_symmetry(xs: list[int], ys: list[int]) -> None:
    x, y = np.array(xs, dtype=float), np.array(ys, dtype=float)
    a, b = mann_whitney(x, y), mann_whitney(y, x)
    assert a.u + b.u == x.size * y.size
    assert a.p_value == pytest.approx(b.p_value, rel=1e-12)
    assert (a.shift, a.ci_low, a.ci_high) == (-b.shift, -b.ci_high, -b.ci_low)


def test_identical_samples_show_no_shift() -> None:
    x = np.random.default_rng(5).lognormal(2, 1, 500)
    res = mann_whitney(x, x.copy())
    assert res.p_value == 1.0
    assert res.shift == 0.0
    assert res.ci_low < 0.0 < res.ci_high


def test_ten_thousand_points_per_side_are_exact_at_the_median() -> None:
    rng = np.random.default_rng(11)
    x, y = rng.lognormal(3, 0.6, 10_000), rng.lognormal(3.05, 0.6, 10_000)
    est, low, high = hodges_lehmann(x, y)
    assert low < est < high
    # Spot-check against brute force on the rows, without building all 1e8 differences at once.
    below = sum(int(np.count_nonzero(xi - y < est)) for xi in x)
    assert (
        below
        <= x.size * y.size // 2
        <= below + int(np.count_nonzero(np.isclose(np.subtract.outer(x[:1], y), est))) + 1
    )


def test_empty_sample_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least one"):
        mann_whitney(np.array([]), FIXED_Y)


@pytest.mark.parametrize(
    "draw",
    [
        lambda rng: np.round(rng.lognormal(5.5, 0.5, 10_000)),  # integer milliseconds
        lambda rng: rng.poisson(40, 10_000).astype(float),
        lambda rng: rng.lognormal(4, 0.5, 10_000),
        lambda rng: np.concatenate((np.zeros(7_000), rng.lognormal(0, 1, 3_000))),
    ],
    ids=["rounded", "poisson", "continuous", "zero-inflated"],
)
def test_search_needs_few_counting_passes(draw, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The bracket search must not degrade into bisection or a full enumeration (1e8 values)."""
    import sluicegate.stats.ranksum as module

    calls = []
    counting = module._rows_at_or_below
    enumerated = []
    select = module._select

    def counted(*args):  # type: ignore[no-untyped-def]
        calls.append(1)
        return counting(*args)

    def recorded(xs, start, stop, ys, ranks):  # type: ignore[no-untyped-def]
        enumerated.append(int((stop - start).sum()))
        return select(xs, start, stop, ys, ranks)

    monkeypatch.setattr(module, "_rows_at_or_below", counted)
    monkeypatch.setattr(module, "_select", recorded)
    rng = np.random.default_rng(17)
    x, y = np.sort(draw(rng)), np.sort(draw(rng) * 1.01)
    est, low, high = hodges_lehmann(x, y, presorted=True)
    assert low <= est <= high
    assert len(calls) <= 3 * 12
    assert all(n <= module._ENUMERATE_LIMIT for n in enumerated)


@pytest.mark.parametrize("shift", [-0.37, 0.0, 0.21])
@pytest.mark.parametrize("offsets", [[0], [0, 1], [5], [250], [-1], [-2, -3], [-280]])
def test_one_sided_selection_matches_brute_force(shift: float, offsets: list[int]) -> None:
    import sluicegate.stats.ranksum as module

    rng = np.random.default_rng(21)
    x, y = np.sort(rng.normal(0, 1, 400)), np.sort(rng.normal(0.1, 1.3, 300))
    rows = module._rows_at_or_below(x, y, shift)
    below = x.size * y.size - int(rows.sum())  # differences < shift
    diffs = np.sort(np.subtract.outer(x, y).ravel())
    assert below == int(np.count_nonzero(diffs < shift))
    for rho in (0.0, 1e5):  # without and with a density guess for the bound
        got = module._select_next(x, y, rows, offsets, shift, rho)
        assert got == [diffs[below + o] for o in offsets]
    # Too far from the count for a one-sided walk: the caller falls back to the bracket search.
    assert module._select_next(x, y, rows, [5_000], shift, 1e5) is None


@pytest.mark.parametrize(
    "draw",
    [
        lambda rng, n: rng.lognormal(3, 0.5, n),
        lambda rng, n: rng.standard_cauchy(n),
        lambda rng, n: np.round(rng.lognormal(3, 1, n), 2),
    ],
    ids=["lognormal", "cauchy", "rounded"],
)
@pytest.mark.parametrize("shift", [0.0, 1.5])
def test_mann_whitney_matches_brute_force_at_scale(draw, shift: float, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """2,500 points per side: estimate and interval equal the brute-force order statistics, and
    the search needs only a few counting passes."""
    import sluicegate.stats.ranksum as module

    calls = []
    counting = module._rows_at_or_below

    def counted(*args):  # type: ignore[no-untyped-def]
        calls.append(1)
        return counting(*args)

    monkeypatch.setattr(module, "_rows_at_or_below", counted)
    rng = np.random.default_rng(4)
    x, y = draw(rng, 2500) + shift, draw(rng, 2500)
    res = mann_whitney(x, y)
    diffs = np.sort(np.subtract.outer(x, y).ravel())
    n = diffs.size
    assert res.shift == pytest.approx((diffs[(n - 1) // 2] + diffs[n // 2]) / 2, abs=1e-12)
    within = tie_term(np.sort(x), presorted=True) + tie_term(np.sort(y), presorted=True)
    sigma = np.sqrt(2500 * 2500 / 12 * ((5001) - within / (5000 * 4999)))
    z = special.ndtri(0.975)
    k_lo, k_hi = int(np.floor(n / 2 - z * sigma - 0.5)), int(np.floor(n / 2 + z * sigma + 0.5))
    assert (res.ci_low, res.ci_high) == pytest.approx((diffs[k_lo], diffs[k_hi]), abs=1e-12)
    ref = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    assert res.u == ref.statistic
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)
    assert len(calls) <= 12


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(-20, 20), min_size=1, max_size=50),
    st.lists(st.integers(-20, 20), min_size=1, max_size=50),
)
def test_single_merge_statistics_match_the_definitions(xs: list[int], ys: list[int]) -> None:
    import sluicegate.stats.ranksum as module

    x, y = np.sort(np.array(xs, dtype=float)), np.sort(np.array(ys, dtype=float))
    merged = module._merge_statistics(x, y)
    assert merged.ties == tie_term(x, y)
    assert merged.within == tie_term(x, presorted=True) + tie_term(y, presorted=True)
    greater = np.subtract.outer(x, y)
    assert merged.u == float(np.sum(greater > 0) + 0.5 * np.sum(greater == 0))
    np.testing.assert_array_equal(merged.at_or_below, (y[None, :] <= x[:, None]).sum(axis=1))
    assert merged.negative == int(np.sum(greater < 0))
