"""Period comparisons of delivery figures against published references (issue 13 §4)."""

from __future__ import annotations

import numpy as np
import pytest

from sluicegate.stats.impact import median_difference, rate_difference, rate_ratio


def test_newcombe_interval_matches_newcombes_published_example() -> None:
    """Newcombe (1998), Statistics in Medicine 17:873, table II, 56/70 - 48/80, method 10."""
    c = rate_difference(48, 80, 56, 70)
    assert c.estimate == pytest.approx(0.2)
    assert (c.ci_low, c.ci_high) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert c.significant is True


def test_rate_ratio_matches_r_poisson_test() -> None:
    """R's ``poisson.test(c(11, 6 + 8 + 7), c(800, 1083 + 1050 + 878))`` (its help page):
    rate ratio 1.971488, 95 % interval 0.8584264 to 4.2772659."""
    c = rate_ratio(21, 3011, 11, 800)
    assert c.estimate == pytest.approx(1.971488, rel=1e-6)
    assert (c.ci_low, c.ci_high) == pytest.approx((0.8584264, 4.2772659), rel=1e-6)
    assert c.significant is False


def test_no_data_is_said_not_guessed() -> None:
    assert rate_difference(0, 0, 1, 4).estimate is None
    assert rate_difference(0, 0, 1, 4).note == "no data in a period"
    assert median_difference([], [1.0]).estimate is None
    one = median_difference([5.0], [7.0, 9.0])
    assert (one.estimate, one.ci_low) == (3.0, None)
    assert rate_ratio(0, 10, 4, 10).estimate is None


def test_the_bootstrap_is_reproducible_and_covers_the_true_difference() -> None:
    a = median_difference([1, 2, 3, 4, 5, 6], [3, 4, 5, 6, 7, 8, 9])
    assert a == median_difference([1, 2, 3, 4, 5, 6], [3, 4, 5, 6, 7, 8, 9])
    rng = np.random.default_rng(1)
    hits = 0
    reps = 200
    for _ in range(reps):
        before = rng.exponential(10.0, 40)
        after = rng.exponential(10.0, 40) + 3.0  # true median difference: 3
        c = median_difference(list(before), list(after), resamples=999)
        assert c.ci_low is not None
        assert c.ci_high is not None
        hits += c.ci_low <= 3.0 <= c.ci_high
    # a percentile bootstrap of medians at n=40 covers near its nominal 95 %
    assert 0.88 <= hits / reps <= 0.99
