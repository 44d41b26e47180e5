"""What the metric-verdict gates read of an experiment's rollouts."""

from __future__ import annotations

from sluicegate.domain.gates.ports import MetricStatus, MetricVerdict
from sluicegate.domain.rollouts import Status
from sluicegate.service.ports import UnitOfWork
from sluicegate.service.rollouts.ports import RolloutRecord

__all__ = [
    "RolloutVerdicts",
    "in_flight_verdicts",
]

_VERDICT_STATUS: dict[str, MetricStatus] = {
    Status.SUCCEEDED.value: "pass",
    Status.ROLLED_BACK.value: "fail",
    Status.ABORTED.value: "inconclusive",
}


class RolloutVerdicts:
    """A :class:`~sluicegate.domain.gates.ports.MetricVerdictSource` over rollouts, for the
    ``metric-verdict`` gate check: the experiment's latest rollout decides (succeeded -> pass,
    rolled back -> fail, aborted -> inconclusive, otherwise running). ``analysis`` names the
    rollout (its name) or ``rollout`` for the latest one; the stage is not used."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def verdict(
        self,
        experiment: str,
        stage: str,  # noqa: ARG002 - rollouts are not per stage
        analysis: str,
    ) -> MetricVerdict | None:
        found = self._uow.rollouts.query(experiment_key=experiment)
        if analysis != "rollout":
            found = [r for r in found if r.name == analysis]
        if not found:
            return None
        latest = found[0]
        reasons = [f"rollout {latest.id} ({latest.name}) is {latest.status}"]
        if latest.outcome and latest.outcome.get("reason"):
            reasons.append(str(latest.outcome["reason"]))
        status: MetricStatus = _VERDICT_STATUS.get(latest.status, "running")
        if status == "running":
            reasons.append(_analyses_so_far(self._uow, latest))
        return MetricVerdict(status, analysis, tuple(reasons))


def _analysis_counts(uow: UnitOfWork, rollout: RolloutRecord) -> tuple[int, int, int]:
    """(passed, failed, done) analysis steps of ``rollout`` so far."""
    done = [s.status for s in uow.rollout_steps.history(rollout.id) if s.action == "analysis"]
    return done.count("passed"), done.count("failed"), len(done)


def _analyses_so_far(uow: UnitOfWork, rollout: RolloutRecord) -> str:
    passed, _, done = _analysis_counts(uow, rollout)
    return f"{passed} of {done} analysis step(s) passed so far"


def in_flight_verdicts(uow: UnitOfWork, rollout: RolloutRecord) -> dict[str, MetricVerdict]:
    """The verdict a running rollout gives its own gated steps, under ``rollout`` and its name.

    The controller only reaches a gated step after every earlier analysis passed (a failed one
    rolls back), so: pass once at least one analysis step has passed, running before that (a
    metric-verdict gate then stays pending: put an analysis step before the gated step).
    """
    passed, failed, _ = _analysis_counts(uow, rollout)
    status: MetricStatus = "pass" if passed and not failed else "running"
    reason = f"rollout {rollout.id} ({rollout.name}) is in flight: {_analyses_so_far(uow, rollout)}"
    names = dict.fromkeys(("rollout", rollout.name))
    return {name: MetricVerdict(status, name, (reason,)) for name in names}
