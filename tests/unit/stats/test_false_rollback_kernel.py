"""benchmarks/false_rollbacks.py replays the monitor with vectorised kernels: same decisions."""

from __future__ import annotations

import numpy as np
from benchmarks.false_rollbacks import WEIGHT, first, paths

from sluicegate.stats import Action, MonitorConfig, SequentialMonitor
from sluicegate.stats.simulator import Simulator, SimulatorConfig


def test_vectorised_replay_matches_the_step_by_step_monitor() -> None:
    cfg = MonitorConfig()
    # A busy, error-prone profile so that all three decisions occur among 40 rollouts.
    counts = Simulator(SimulatorConfig(400, WEIGHT, baseline_error_ratio=0.05), seed=5).counts(
        40, 30
    )
    counts.canary_errors[:10] = np.minimum(
        counts.canary_errors[:10] * 2, counts.canary_requests[:10]
    )
    counts.canary_requests[10:14] = (counts.canary_requests[10:14] * 1.3).astype(np.int64)
    p = paths(counts, cfg, WEIGHT)
    rollback = first(p.srm_new | p.harm_new)
    promote = first(p.promote)
    seen = set()
    for i in range(40):
        monitor = SequentialMonitor(cfg)
        action, when = Action.CONTINUE, 30
        for t in range(30):
            decision = monitor.update(
                int(counts.canary_requests[i, t]),
                int(counts.canary_errors[i, t]),
                int(counts.baseline_requests[i, t]),
                int(counts.baseline_errors[i, t]),
                canary_weight=WEIGHT,
            )
            if decision.action is not Action.CONTINUE:
                action, when = decision.action, t
                break
        if rollback[i] < 30 and rollback[i] <= promote[i]:
            expected, at = Action.ROLLBACK, int(rollback[i])
        elif promote[i] < 30:
            expected, at = Action.PROMOTE_READY, int(promote[i])
        else:
            expected, at = Action.CONTINUE, 30
        assert (action, when) == (expected, at), i
        seen.add(action)
    assert {Action.ROLLBACK, Action.PROMOTE_READY} <= seen
