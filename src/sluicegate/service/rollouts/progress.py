"""One controller tick for one rollout: advance, hold or roll back, crash-safely.

Every step that changes the target is written in three moves (docs/rollouts.md, "Crash safety"):

1. **intent**: a ``rollout_steps`` row ``(rollout, step, apply)`` with status ``applying`` and the
   desired state, in its own transaction (the unique index makes a replay find it, not add one);
2. **effect**: the flag revision is written (content-addressed, so writing the same document
   again changes nothing) - for deployment targets the effect is the published weight itself;
3. **outcome**: the row becomes ``applied``, the rollout's position moves to the next step, and
   the ``rollout.weights`` webhook is queued, in one transaction.

A ``kill -9`` between any two moves leaves either no intent (the step is redone from scratch), an
intent without outcome (the effect is redone, a no-op if it had happened) or both (the position
has moved on). Analysis ticks persist the monitor state and the window end in one transaction, so
a window is never counted twice. Every transaction that moves a rollout renews the leader lease
in the same transaction (a fence): a controller that lost its lease cannot write.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sluicegate.domain.errors import SluicegateError
from sluicegate.domain.events import AuditAction
from sluicegate.domain.gates import Outcome
from sluicegate.domain.rollouts import RolloutPlan, Status, Step, StepKind, desired_after
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps
from sluicegate.service.gates import GateRuntime, enter_stage, governed_stage
from sluicegate.service.metrics.ports import MetricSourceError
from sluicegate.service.ports import UnitOfWork
from sluicegate.service.rollouts import in_flight_verdicts, load_plan
from sluicegate.service.rollouts.effects import Effects
from sluicegate.service.rollouts.journal import CONTROLLER, EngineSettings, Journal, Stale
from sluicegate.service.rollouts.ports import RolloutRecord

__all__ = ["RolloutProgress"]

log = logging.getLogger("sluicegate.controller")


@dataclass
class RolloutProgress:
    """Ticks rollouts; see the module docstring for the crash-safety protocol."""

    journal: Journal
    effects: Effects
    gates: GateRuntime | None = None

    @property
    def deps(self) -> Deps:
        return self.journal.deps

    @property
    def settings(self) -> EngineSettings:
        return self.journal.settings

    # -- the tick ---------------------------------------------------------------------------

    def tick_all(self) -> list[str]:
        """One pass over every live rollout; returns the ids that changed status or step."""
        with self.deps.uow(readonly=True) as uow:
            ids = uow.rollouts.due([Status.RUNNING.value, Status.ROLLING_BACK.value])
        moved = []
        for rollout_id in ids:
            try:
                if self.tick(rollout_id):
                    moved.append(rollout_id)
            except Stale as exc:
                log.info("%s; retrying next tick", exc)
        return moved

    def tick(self, rollout_id: str) -> bool:
        with self.deps.uow(readonly=True) as uow:
            rollout = uow.rollouts.get(rollout_id)
        if rollout is None:
            return False
        before = (rollout.status, rollout.current_step)
        if rollout.status == Status.ROLLING_BACK:
            self.effects.roll_back(rollout)
            return True
        if rollout.status != Status.RUNNING:
            return False
        try:
            self._advance(rollout)
        except (MetricSourceError, SluicegateError) as exc:
            self._error(rollout, exc)
        with self.deps.uow(readonly=True) as uow:
            after = uow.rollouts.get(rollout_id)
        return after is not None and (after.status, after.current_step) != before

    def _advance(self, rollout: RolloutRecord) -> None:
        plan = load_plan(rollout)
        if rollout.current_step >= len(plan.steps):
            self.effects.succeed(rollout, plan)
            return
        if not self._admitted(rollout, plan):
            return
        step = plan.steps[rollout.current_step]
        if step.gate and not rollout.step_state.get("gate_passed"):
            if not self._gate(rollout, step.gate):
                return
            with self.deps.uow(readonly=True) as uow:
                rollout = uow.rollouts.get(rollout.id) or rollout
        if step.kind.applies:
            self.effects.apply_step(rollout, plan, desired_after(plan, rollout.current_step))
        elif step.kind is StepKind.PAUSE:
            self._pause(rollout, step)
        else:
            self.effects.analyse(rollout, plan, step)
        self.journal.breaker_success(f"rollout:{rollout.id}", rollout.id)

    # -- breakers ---------------------------------------------------------------------------

    def _hold(self, uow: UnitOfWork, rollout: RolloutRecord, reason: str) -> RolloutRecord:
        fresh = self.journal.reload(uow, rollout)
        if fresh.hold_reason == reason:
            return fresh
        saved = self.journal.save(uow, fresh, hold_reason=reason)
        record(
            self.deps,
            uow,
            CONTROLLER,
            AuditAction.ROLLOUT_HOLD,
            "rollout",
            rollout.id,
            after={"reason": reason},
        )
        return saved

    def _admitted(self, rollout: RolloutRecord, plan: RolloutPlan) -> bool:
        """The rollout's own breaker and each of its services' breakers must let it through."""
        now = self.deps.clock.now()
        keys = [f"rollout:{rollout.id}", *(f"service:{s}" for s in plan.services)]
        with self.deps.uow() as uow:
            for key in keys:
                stored = uow.breakers.get(key)
                if stored is None:
                    continue
                admitted, ok = stored.admit(rollout.id, now)
                if admitted != stored:
                    uow.breakers.put(admitted, now)
                if not ok:
                    self._hold(
                        uow,
                        rollout,
                        f"circuit breaker {key} is {admitted.state.value}: "
                        f"{admitted.reason or 'failures'}",
                    )
                    return False
        return True

    def _error(self, rollout: RolloutRecord, exc: Exception) -> None:
        """A controller error on one rollout (target or metric source): hold and count it."""
        reason = f"{type(exc).__name__}: {exc}"
        log.warning("rollout %s: %s", rollout.id, reason)
        s = self.settings
        with self.deps.uow() as uow:
            self.journal.breaker_failure(
                uow,
                f"rollout:{rollout.id}",
                reason,
                threshold=s.error_threshold,
                cooldown_seconds=s.error_cooldown_seconds,
            )
            fresh = uow.rollouts.get(rollout.id)
            if fresh is not None and fresh.hold_reason != reason:
                self.journal.save(uow, fresh, hold_reason=reason)

    # -- gates and pauses -------------------------------------------------------------------

    def _gate(self, rollout: RolloutRecord, stage: str) -> bool:
        now = self.deps.clock.now()
        checked = rollout.step_state.get("gate_checked_at")
        if checked and now < datetime.fromisoformat(checked) + timedelta(
            seconds=self.settings.gate_recheck_seconds
        ):
            return False
        runtime = self.gates or GateRuntime()
        with self.deps.uow() as uow:
            fresh = self.journal.reload(uow, rollout)
            exp = uow.experiments.get_by_key(rollout.experiment_key)
            version = governed_stage(uow, runtime, exp, stage) if exp else None
            if exp is None or version is None:
                outcome, decision_id = Outcome.PASS, None
            else:
                decision = enter_stage(
                    self.deps,
                    uow,
                    CONTROLLER,
                    runtime,
                    exp,
                    version,
                    stage,
                    metric_verdicts=in_flight_verdicts(uow, fresh),
                )
                outcome, decision_id = decision.outcome, decision.id
            state = {**fresh.step_state, "gate_checked_at": now.isoformat()}
            if outcome is Outcome.PASS:
                self.journal.history(
                    uow,
                    fresh,
                    "gate",
                    "passed",
                    {},
                    {"stage": stage, "decision": decision_id},
                    finished=True,
                )
                self.journal.save(
                    uow, fresh, step_state={**state, "gate_passed": True}, hold_reason=None
                )
                return True
            self.journal.save(
                uow,
                fresh,
                step_state=state,
                hold_reason=f"gates of stage {stage} are {outcome.value} (decision {decision_id})",
            )
        return False

    def _pause(self, rollout: RolloutRecord, step: Step) -> None:
        now = self.deps.clock.now()
        state = rollout.step_state
        promoted = state.get("promoted_step") == rollout.current_step
        with self.deps.uow() as uow:
            fresh = self.journal.reload(uow, rollout)
            if "started_at" not in state:
                self.journal.save(uow, fresh, step_state={**state, "started_at": now.isoformat()})
                return
            started = datetime.fromisoformat(state["started_at"])
            done = promoted or (
                step.seconds is not None and now >= started + timedelta(seconds=step.seconds)
            )
            if not done:
                until = started + timedelta(seconds=step.seconds or 0)
                reason = (
                    "waiting for `sluice rollout promote`"
                    if step.until_approved
                    else f"pausing until {until.isoformat()}"
                )
                if fresh.hold_reason != reason:
                    self.journal.save(uow, fresh, hold_reason=reason)
                return
            detail = {"promoted_by": state.get("promoted_by")} if promoted else {}
            self.journal.history(uow, fresh, "pause", "passed", {}, detail, finished=True)
            self.journal.next_step(uow, fresh)
