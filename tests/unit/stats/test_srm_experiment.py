"""Sample-ratio mismatch and A/B comparisons against SciPy and textbook formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sluicegate.stats import (
    ExperimentOutcome,
    compare_means,
    compare_proportions,
    compare_shift,
    sample_ratio_mismatch,
)


def test_srm_matches_scipy_chisquare() -> None:
    res = sample_ratio_mismatch([5120, 4880], [0.5, 0.5])
    ref = stats.chisquare([5120, 4880], [5000, 5000])
    assert res.chi2 == pytest.approx(ref.statistic)
    assert res.p_value == pytest.approx(ref.pvalue)
    assert not res.mismatch


def test_srm_flags_a_broken_split_with_a_strict_alpha() -> None:
    res = sample_ratio_mismatch([1100, 8900], [1, 9], alpha=0.001)
    assert res.mismatch
    assert "sample ratio mismatch" in res.reason
    assert res.to_dict()["observed"] == [1100, 8900]


def test_srm_traffic_to_a_zero_weight_arm() -> None:
    assert sample_ratio_mismatch([3, 100], [0, 1]).mismatch


def test_srm_validates_input() -> None:
    with pytest.raises(ValueError, match="one weight per arm"):
        sample_ratio_mismatch([1, 2], [1.0])


def test_difference_in_proportions() -> None:
    res = compare_proportions("conversion", 400, 10_000, 470, 10_000)
    pb, pv = 0.04, 0.047
    se = math.sqrt(pb * (1 - pb) / 10_000 + pv * (1 - pv) / 10_000)
    assert res.effect == pytest.approx(pv - pb)
    assert res.ci_low == pytest.approx(pv - pb - stats.norm.ppf(0.975) * se)
    # The pooled z-test equals the chi-square test of the 2x2 table without continuity correction.
    table = np.array([[400, 9600], [470, 9530]])
    assert res.p_value == pytest.approx(stats.chi2_contingency(table, correction=False)[1])
    assert res.outcome is ExperimentOutcome.BETTER


def test_lower_is_better_turns_an_increase_into_worse() -> None:
    res = compare_proportions("bounce", 400, 10_000, 470, 10_000, higher_is_better=False)
    assert res.outcome is ExperimentOutcome.WORSE


def test_welch_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(10, 2, 300), rng.normal(10.2, 3, 200)
    res = compare_means("revenue", a, b)
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert res.p_value == pytest.approx(ref.pvalue)
    ci = ref.confidence_interval(0.95)
    assert (res.ci_low, res.ci_high) == pytest.approx((ci.low, ci.high))


def test_shift_comparison_is_inconclusive_for_equal_arms() -> None:
    rng = np.random.default_rng(2)
    x = rng.lognormal(3, 1, 400)
    res = compare_shift("time_on_page", x, x.copy())
    assert res.outcome is ExperimentOutcome.INCONCLUSIVE
    assert res.to_dict()["method"] == "mann-whitney shift"
