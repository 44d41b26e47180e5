"""The monitor's sample-ratio check is anytime-valid (issue 10, defect 2; ADR 0012)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import numpy as np
import pytest
from scipy import stats

from sluicegate.stats import Action, MonitorConfig, SequentialMonitor
from sluicegate.stats.sequential import SRM_CONCENTRATIONS, srm_log_e_value


@pytest.mark.parametrize(
    ("canary", "total", "weight"), [(0, 0, 0.1), (7, 10, 0.5), (130, 1000, 0.1)]
)
def test_srm_e_value_is_the_beta_binomial_bayes_factor(
    canary: int, total: int, weight: float
) -> None:
    factors = [
        stats.betabinom.pmf(canary, total, k * weight, k * (1 - weight))
        / stats.binom.pmf(canary, total, weight)
        for k in SRM_CONCENTRATIONS
    ]
    expected = math.log(float(np.mean(factors)))
    assert float(srm_log_e_value(canary, total, weight)) == pytest.approx(expected, abs=1e-9)


def test_srm_e_value_has_expectation_one_under_the_null() -> None:
    """A test martingale: E[BF] = 1 for every n (exact sum over the binomial outcomes)."""
    for n, w in ((1, 0.5), (25, 0.1), (400, 0.3)):
        c = np.arange(n + 1)
        mean = float(np.sum(stats.binom.pmf(c, n, w) * np.exp(srm_log_e_value(c, n, w))))
        assert mean == pytest.approx(1.0, rel=1e-9)


def _srm_rollbacks(rollouts: int, looks: int, per_arm: int, seed: int) -> float:
    """Share of healthy splits (weight 0.5, no errors) that the monitor calls broken."""
    rng = np.random.default_rng(seed)
    cfg = MonitorConfig(alpha=0.3, srm_alpha=0.1, min_requests=0)
    hits = 0
    for _ in range(rollouts):
        monitor = SequentialMonitor(cfg)
        totals = rng.poisson(2 * per_arm, looks)
        canary = rng.binomial(totals, 0.5)
        for c, t in zip(canary, totals, strict=True):
            decision = monitor.update(int(c), 0, int(t - c), 0, canary_weight=0.5)
            if decision.action is Action.ROLLBACK:
                hits += "sample ratio mismatch" in decision.reason
                break
    return hits / rollouts


def test_checking_the_split_at_every_look_keeps_its_alpha() -> None:
    """Before ADR 0012 a chi-square test at every look called far more than srm_alpha of these
    healthy splits broken (40 looks at srm_alpha 0.1)."""
    rate = _srm_rollbacks(200, 40, 50, seed=11)
    assert rate <= 0.1 + 3 * math.sqrt(0.1 * 0.9 / 200)


def test_a_broken_split_is_still_caught_quickly() -> None:
    monitor = SequentialMonitor()
    # 12% of the requests served where 10% were set: caught in the first minute of 5,000.
    decision = monitor.update(600, 6, 4400, 44, canary_weight=0.1)
    assert decision.action is Action.ROLLBACK
    assert "sample ratio mismatch" in decision.reason


def test_a_weight_step_starts_a_new_stretch() -> None:
    monitor = SequentialMonitor()
    monitor.update(100, 1, 900, 9, canary_weight=0.1)
    closed_before = monitor.state.srm_log_e_closed
    decision = monitor.update(500, 5, 500, 5, canary_weight=0.5)  # a correct split at 50%
    assert monitor.state.srm_segment_weight == 0.5
    assert (monitor.state.srm_segment_canary, monitor.state.srm_segment_total) == (500, 1000)
    expected = closed_before + float(srm_log_e_value(100, 1000, 0.1))
    assert monitor.state.srm_log_e_closed == pytest.approx(expected)
    assert decision.action is not Action.ROLLBACK


def test_traffic_to_an_arm_with_weight_zero_is_a_mismatch() -> None:
    decision = SequentialMonitor().update(150, 0, 850, 8, canary_weight=0.0)
    assert decision.action is Action.ROLLBACK
    assert decision.srm_p_value == 0.0


def test_harm_test_spends_alpha_less_srm_alpha() -> None:
    cfg = MonitorConfig()
    assert cfg.harm_alpha == pytest.approx(cfg.alpha - cfg.srm_alpha)
    with pytest.raises(ValueError, match="srm_alpha"):
        MonitorConfig(alpha=0.01, srm_alpha=0.01)


@pytest.mark.parametrize(
    ("counts", "field"),
    [
        ((math.nan, 0, 10, 0), "canary_requests"),
        ((10, 0, math.inf, 0), "baseline_requests"),
        ((10, 0.5, 10, 0), "canary_errors"),
        ((10, 0, 10, "3"), "baseline_errors"),
    ],
)
def test_non_finite_or_fractional_counts_are_rejected(
    counts: tuple[object, ...], field: str
) -> None:
    monitor = SequentialMonitor()
    before = monitor.state
    with pytest.raises(ValueError, match=field):
        monitor.update(*counts)  # type: ignore[arg-type]
    assert monitor.state == before


def test_nan_weight_is_rejected() -> None:
    with pytest.raises(ValueError, match="canary_weight"):
        SequentialMonitor().update(10, 0, 10, 0, canary_weight=math.nan)


def test_a_tiny_alpha_still_configures_and_keeps_its_split() -> None:
    cfg = MonitorConfig(alpha=1e-9)  # valid before ADR 0012; the SRM share follows it
    assert cfg.srm_alpha == pytest.approx(1e-10)
    assert cfg.harm_alpha == pytest.approx(9e-10)
    assert MonitorConfig().srm_alpha == 0.001
    restored = MonitorConfig(**json.loads(json.dumps(asdict(cfg))))
    assert restored == cfg
