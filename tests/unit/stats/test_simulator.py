"""The traffic simulator: determinism, random access, regressions and the vectorised counts."""

from __future__ import annotations

import numpy as np
import pytest

from sluicegate.stats import LatencyModel, Regression, Simulator, SimulatorConfig
from sluicegate.stats.simulator import Distribution


def test_same_seed_same_stream_and_random_access() -> None:
    cfg = SimulatorConfig(1000, 0.2)
    a = [s.to_dict() for s in Simulator(cfg, 5).stream(0, 6)]
    b = [Simulator(cfg, 5).interval(i).to_dict() for i in reversed(range(6))][::-1]
    assert a == b
    assert Simulator(cfg, 6).interval(0).to_dict() != a[0]


def test_split_and_error_ratios_follow_the_config() -> None:
    cfg = SimulatorConfig(
        20_000,
        0.25,
        baseline_error_ratio=0.02,
        regressions=(Regression(start=10, error_multiplier=3.0),),
    )
    samples = list(Simulator(cfg, 1).stream(0, 20))
    before, after = samples[:10], samples[10:]
    share = sum(s.canary.requests for s in samples) / sum(
        s.canary.requests + s.baseline.requests for s in samples
    )
    assert share == pytest.approx(0.25, abs=0.01)
    ratio_before = sum(s.canary.errors for s in before) / sum(s.canary.requests for s in before)
    ratio_after = sum(s.canary.errors for s in after) / sum(s.canary.requests for s in after)
    assert ratio_before == pytest.approx(0.02, rel=0.15)
    assert ratio_after == pytest.approx(0.06, rel=0.1)


def test_weight_steps_and_latency_regression() -> None:
    cfg = SimulatorConfig(
        4000,
        0.1,
        weight_steps=((5, 0.5),),
        baseline_latency=LatencyModel(Distribution.LOGNORMAL, 100.0, 0.3),
        regressions=(Regression(start=5, latency_shift_ms=50.0),),
    )
    sim = Simulator(cfg, 2)
    assert sim.interval(4).canary_weight == 0.1
    assert sim.interval(5).canary_weight == 0.5
    base, canary = sim.latency_series(range(5, 10))
    assert np.median(canary) - np.median(base) == pytest.approx(50.0, abs=8.0)


@pytest.mark.parametrize("dist", list(Distribution))
def test_latency_distributions_have_the_requested_median(dist: Distribution) -> None:
    draws = LatencyModel(dist, 200.0, 0.3).draw(np.random.default_rng(0), 50_000)
    assert draws.min() >= 0.0
    assert np.median(draws) == pytest.approx(200.0, rel=0.06)


def test_vectorised_counts() -> None:
    cfg = SimulatorConfig(
        1000, 0.1, baseline_error_ratio=0.05, regressions=(Regression(error_multiplier=2.0),)
    )
    m = Simulator(cfg, 3).counts(500, 20)
    assert m.canary_requests.shape == (500, 20)
    assert m.canary_errors.sum() / m.canary_requests.sum() == pytest.approx(0.10, rel=0.05)
    assert m.baseline_errors.sum() / m.baseline_requests.sum() == pytest.approx(0.05, rel=0.05)
    again = Simulator(cfg, 3).counts(500, 20)
    np.testing.assert_array_equal(m.canary_errors, again.canary_errors)


def test_invalid_config_is_rejected() -> None:
    with pytest.raises(ValueError, match="weights"):
        SimulatorConfig(canary_weight=1.5)
    with pytest.raises(ValueError, match=">= 0"):
        Simulator().interval(-1)
