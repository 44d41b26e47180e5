"""The simulator's time-varying (drifting) error ratio: ``counts(shared_error_multiplier=...)``."""

from __future__ import annotations

import numpy as np
import pytest

from sluicegate.stats import Regression, Simulator, SimulatorConfig


def _ratio(errors: np.ndarray, requests: np.ndarray) -> np.ndarray:
    """Error ratio per interval, pooled over the rollouts."""
    return np.asarray(errors.sum(axis=0) / requests.sum(axis=0), dtype=np.float64)


def test_counts_follow_a_per_interval_multiplier_on_both_arms() -> None:
    multiplier = np.array([0.5, 1.0, 4.0, 1.0, 2.0, 0.0])
    cfg = SimulatorConfig(
        2000, 0.2, baseline_error_ratio=0.01, regressions=(Regression(start=3, error_multiplier=2),)
    )
    m = Simulator(cfg, 11).counts(3000, multiplier.size, shared_error_multiplier=multiplier)
    base = _ratio(m.baseline_errors, m.baseline_requests)
    canary = _ratio(m.canary_errors, m.canary_requests)
    expected_base = 0.01 * multiplier
    expected_canary = expected_base * np.array([1, 1, 1, 2, 2, 2])
    # ~4.8M baseline and ~1.2M canary requests per interval: a few standard errors, well under
    # the differences between neighbouring intervals.
    np.testing.assert_allclose(base[:5], expected_base[:5], rtol=0.03)
    np.testing.assert_allclose(canary[:5], expected_canary[:5], rtol=0.05)
    assert m.baseline_errors[:, 5].sum() == 0
    assert m.canary_errors[:, 5].sum() == 0


def test_per_rollout_multipliers_and_requests_unaffected() -> None:
    cfg = SimulatorConfig(1000, 0.1, baseline_error_ratio=0.02)
    rows = np.array([[1.0], [3.0]]).repeat(500, axis=0)  # half the rollouts at 2%, half at 6%
    drifting = Simulator(cfg, 4).counts(1000, 10, shared_error_multiplier=rows)
    plain = Simulator(cfg, 4).counts(1000, 10)
    np.testing.assert_array_equal(drifting.canary_requests, plain.canary_requests)
    np.testing.assert_array_equal(drifting.baseline_requests, plain.baseline_requests)
    low, high = slice(0, 500), slice(500, 1000)
    for errors, requests in (
        (drifting.baseline_errors, drifting.baseline_requests),
        (drifting.canary_errors, drifting.canary_requests),
    ):
        assert errors[low].sum() / requests[low].sum() == pytest.approx(0.02, rel=0.05)
        assert errors[high].sum() / requests[high].sum() == pytest.approx(0.06, rel=0.05)


def test_multiplied_ratio_is_capped_at_one_and_bad_input_rejected() -> None:
    cfg = SimulatorConfig(100, 0.5, baseline_error_ratio=0.4)
    m = Simulator(cfg, 1).counts(20, 3, shared_error_multiplier=10.0)
    np.testing.assert_array_equal(m.baseline_errors, m.baseline_requests)
    np.testing.assert_array_equal(m.canary_errors, m.canary_requests)
    with pytest.raises(ValueError, match=">= 0"):
        Simulator(cfg, 1).counts(20, 3, shared_error_multiplier=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="broadcast"):
        Simulator(cfg, 1).counts(20, 3, shared_error_multiplier=np.ones(4))
