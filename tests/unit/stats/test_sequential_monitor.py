"""The sequential monitor: validity under continuous peeking, detection, state and SRM."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from sluicegate.stats import Action, MonitorConfig, Regression, SequentialMonitor, Simulator
from sluicegate.stats.sequential import error_ratio_log_lr, mixture_log_e_value
from sluicegate.stats.simulator import SimulatorConfig


def _run(monitor: SequentialMonitor, sim: Simulator, intervals: int) -> list[Action]:
    actions = []
    for sample in sim.stream(0, intervals):
        actions.append(monitor.observe(sample).action)
    return actions


def test_doubling_error_ratio_is_rolled_back() -> None:
    cfg = SimulatorConfig(5000, 0.1, regressions=(Regression(error_multiplier=2.0),))
    actions = _run(SequentialMonitor(), Simulator(cfg, seed=3), 30)
    assert Action.ROLLBACK in actions
    first = actions.index(Action.ROLLBACK)
    assert all(a is Action.CONTINUE for a in actions[:first])
    assert all(a is Action.ROLLBACK for a in actions[first:])  # the decision is sticky


def test_healthy_canary_becomes_promote_ready() -> None:
    actions = _run(SequentialMonitor(), Simulator(SimulatorConfig(5000, 0.2), seed=4), 60)
    assert Action.PROMOTE_READY in actions
    assert Action.ROLLBACK not in actions


def test_type_one_error_stays_below_alpha_across_many_peeks() -> None:
    """2,000 healthy rollouts, checked after each of 100 intervals: rollbacks <= alpha."""
    alpha = 0.05
    cfg = MonitorConfig(alpha=alpha, min_requests=0)
    counts = Simulator(SimulatorConfig(800, 0.3, baseline_error_ratio=0.02), seed=11).counts(
        2000, 100
    )
    log_lr = np.cumsum(
        error_ratio_log_lr(
            counts.canary_errors,
            counts.baseline_errors,
            counts.canary_requests,
            counts.baseline_requests,
            cfg.harm_grid(),
            cfg.tolerated_ratio,
        ),
        axis=1,
    )
    ever = (mixture_log_e_value(log_lr) >= math.log(1 / alpha)).any(axis=1)
    rate = float(ever.mean())
    # Ville's inequality bounds the rate by alpha; allow three binomial standard errors of slack.
    assert rate <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / ever.size)
    # ...while a naive test repeated at every peek would be far above alpha.
    naive = np.zeros(ever.size, dtype=bool)
    ce, cn = np.cumsum(counts.canary_errors, 1), np.cumsum(counts.canary_requests, 1)
    be, bn = np.cumsum(counts.baseline_errors, 1), np.cumsum(counts.baseline_requests, 1)
    for t in range(0, 100, 5):
        pooled = (ce[:, t] + be[:, t]) / (cn[:, t] + bn[:, t])
        se = np.sqrt(pooled * (1 - pooled) * (1 / cn[:, t] + 1 / bn[:, t]))
        z = (ce[:, t] / cn[:, t] - be[:, t] / bn[:, t]) / se
        naive |= stats.norm.sf(z) < alpha
    assert naive.mean() > 2 * alpha


def test_kernel_matches_step_by_step_monitor() -> None:
    sim = Simulator(SimulatorConfig(3000, 0.25, regressions=(Regression(error_multiplier=1.4),)), 9)
    monitor = SequentialMonitor(MonitorConfig(min_requests=10**9))  # never decide, just accumulate
    samples = list(sim.stream(0, 12))
    for s in samples:
        monitor.update(s.canary.requests, s.canary.errors, s.baseline.requests, s.baseline.errors)
    arrays = [
        np.array([[getattr(getattr(s, arm), f) for s in samples]])
        for arm, f in [
            ("canary", "errors"),
            ("baseline", "errors"),
            ("canary", "requests"),
            ("baseline", "requests"),
        ]
    ]
    cfg = monitor.config
    canary_err, base_err, canary_req, base_req = arrays
    log_lr = error_ratio_log_lr(
        canary_err, base_err, canary_req, base_req, cfg.harm_grid(), cfg.tolerated_ratio
    ).sum(axis=1)[0]
    np.testing.assert_allclose(monitor.state.harm_log_lr, log_lr, rtol=1e-12)


def test_log_lr_is_the_binomial_likelihood_ratio() -> None:
    ratios = np.array([1.5, 3.0])
    got = error_ratio_log_lr(7, 20, 400, 3600, ratios, 1.0)
    q0 = 400 / 4000
    q = ratios * 400 / (ratios * 400 + 3600)
    want = stats.binom.logpmf(7, 27, q) - stats.binom.logpmf(7, 27, q0)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_empty_arm_carries_no_information() -> None:
    np.testing.assert_array_equal(error_ratio_log_lr(0, 5, 0, 100, np.array([2.0]), 1.0), [0.0])


def test_minimum_sample_size_gates_decisions() -> None:
    monitor = SequentialMonitor(MonitorConfig(min_requests=1000))
    decision = monitor.update(50, 40, 450, 1)  # glaring, but only 50 canary requests
    assert decision.action is Action.CONTINUE
    assert "waiting" in decision.reason
    assert decision.p_value < 0.01  # the evidence is there; the floor holds it back


def test_state_round_trips_through_json() -> None:
    monitor = SequentialMonitor()
    for s in Simulator(SimulatorConfig(2000, 0.1), 2).stream(0, 5):
        monitor.update(s.canary.requests, s.canary.errors, s.baseline.requests, s.baseline.errors)
    restored = SequentialMonitor.from_dict(json.loads(json.dumps(monitor.to_dict())))
    assert restored.state == monitor.state
    assert restored.config == monitor.config
    a = monitor.update(300, 9, 2700, 20)
    b = restored.update(300, 9, 2700, 20)
    assert a.to_dict() == b.to_dict()


def test_sample_ratio_mismatch_rolls_back() -> None:
    monitor = SequentialMonitor()
    decision = monitor.update(1500, 15, 8500, 85, canary_weight=0.1)  # 15% served, 10% expected
    assert decision.action is Action.ROLLBACK
    assert "sample ratio mismatch" in decision.reason
    assert decision.srm_p_value < 0.001


def test_invalid_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="errors <= requests"):
        SequentialMonitor().update(10, 11, 100, 1)


def test_invalid_config_is_rejected() -> None:
    with pytest.raises(ValueError, match="harmful_ratio"):
        MonitorConfig(tolerated_ratio=2.0, harmful_ratio=1.5)


def test_sample_ratio_check_only_uses_intervals_that_reported_a_weight() -> None:
    monitor = SequentialMonitor()
    monitor.update(5000, 50, 5000, 50)  # no weight reported: not part of the check
    decision = monitor.update(1000, 10, 9000, 90, canary_weight=0.1)
    assert decision.srm_p_value == pytest.approx(1.0)
    assert decision.action is not Action.ROLLBACK


def _healthy_false_rollbacks(cfg: MonitorConfig, seed: int) -> float:
    counts = Simulator(SimulatorConfig(800, 0.3, baseline_error_ratio=0.02), seed=seed).counts(
        2000, 100
    )
    log_lr = np.cumsum(
        error_ratio_log_lr(
            counts.canary_errors,
            counts.baseline_errors,
            counts.canary_requests,
            counts.baseline_requests,
            cfg.harm_grid(),
            cfg.tolerated_ratio,
        ),
        axis=1,
    )
    e = mixture_log_e_value(log_lr, cfg.harm_weights())
    return float((e >= math.log(1 / cfg.alpha)).any(axis=1).mean())


@pytest.mark.parametrize("width", [0.1, 0.25, 1.0])
def test_focused_prior_keeps_type_one_error_below_alpha_across_many_peeks(width: float) -> None:
    """The prior centred on a doubling is fixed up front, so Ville's bound still holds."""
    alpha = 0.05
    cfg = MonitorConfig(alpha=alpha, min_requests=0, expected_ratio=2.0, prior_width=width)
    rate = _healthy_false_rollbacks(cfg, seed=12)
    assert rate <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / 2000)


def test_focused_prior_rolls_back_a_doubling_sooner() -> None:
    sim_cfg = SimulatorConfig(5000, 0.1, regressions=(Regression(error_multiplier=2.0),))
    counts = Simulator(sim_cfg, seed=5).counts(1000, 30)
    times = {}
    for name, cfg in {
        "uniform": MonitorConfig(),
        "focused": MonitorConfig(expected_ratio=2.0),
    }.items():
        log_lr = np.cumsum(
            error_ratio_log_lr(
                counts.canary_errors,
                counts.baseline_errors,
                counts.canary_requests,
                counts.baseline_requests,
                cfg.harm_grid(),
                cfg.tolerated_ratio,
            ),
            axis=1,
        )
        hit = mixture_log_e_value(log_lr, cfg.harm_weights()) >= math.log(1 / cfg.alpha)
        times[name] = np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, 99)
    assert np.mean(times["focused"]) < np.mean(times["uniform"])
    assert np.median(times["focused"]) <= np.median(times["uniform"])


def test_focused_monitor_matches_the_weighted_kernel_and_round_trips() -> None:
    cfg = MonitorConfig(expected_ratio=2.0, prior_width=0.3, min_requests=10**9)
    monitor = SequentialMonitor(cfg)
    samples = list(Simulator(SimulatorConfig(3000, 0.2), 8).stream(0, 6))
    for s in samples:
        decision = monitor.observe(s)
    harm = np.array(monitor.state.harm_log_lr)
    weights = cfg.harm_weights()
    assert weights is not None
    assert weights.sum() == pytest.approx(1.0)
    assert math.log(decision.e_value) <= monitor.state.max_harm_log_e + 1e-12
    assert float(mixture_log_e_value(harm, weights)) <= monitor.state.max_harm_log_e + 1e-12
    restored = SequentialMonitor.from_dict(json.loads(json.dumps(monitor.to_dict())))
    assert restored.config == cfg
    assert restored.update(300, 9, 2700, 20).to_dict() == monitor.update(300, 9, 2700, 20).to_dict()


def test_state_saved_before_the_prior_option_still_loads() -> None:
    monitor = SequentialMonitor()
    monitor.update(500, 5, 4500, 45)
    saved = monitor.to_dict()
    for key in ("expected_ratio", "prior_width"):
        del saved["config"][key]
    restored = SequentialMonitor.from_dict(saved)
    assert restored.config == MonitorConfig()
    assert restored.state == monitor.state


def test_a_very_narrow_prior_is_still_a_proper_mixture() -> None:
    weights = MonitorConfig(expected_ratio=2.0, prior_width=1e-6).harm_weights()
    assert weights is not None
    assert np.all(np.isfinite(weights))
    assert weights.sum() == pytest.approx(1.0)


def test_uniform_weights_equal_the_default_mixture() -> None:
    log_lr = np.random.default_rng(1).normal(0, 2, (5, 7))
    np.testing.assert_allclose(
        mixture_log_e_value(log_lr, np.ones(7)), mixture_log_e_value(log_lr), rtol=1e-12
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"expected_ratio": 1.0}, "expected_ratio"),
        ({"expected_ratio": 25.0}, "expected_ratio"),
        ({"expected_ratio": 2.0, "prior_width": 0.0}, "prior_width"),
    ],
)
def test_invalid_prior_is_rejected(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MonitorConfig(**kwargs)  # type: ignore[arg-type]
