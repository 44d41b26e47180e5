"""The effects of a tick: apply a step, judge an analysis, succeed, fail and roll back.

Each is a use case of the rollout controller; the steps run in the crash-safe order described in
:mod:`sluicegate.service.rollouts.progress`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sluicegate.domain.errors import Conflict, NotFound
from sluicegate.domain.events import AuditAction, EventType
from sluicegate.domain.experiments import lifecycle
from sluicegate.domain.rollouts import (
    Desired,
    RolloutPlan,
    Status,
    Step,
    TargetKind,
    apply_desired,
    restore_flag,
)
from sluicegate.service import delivery, experiments, flags, notifications
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps
from sluicegate.service.flags.ports import FlagChangeRequestRecord
from sluicegate.service.metrics.ports import MetricSource
from sluicegate.service.ports import UnitOfWork
from sluicegate.service.rollouts import incidents, load_plan
from sluicegate.service.rollouts.analysis import analyse_tick, final_verdict, json_safe
from sluicegate.service.rollouts.journal import CONTROLLER, EngineSettings, Journal, Stale
from sluicegate.service.rollouts.ports import RolloutRecord

__all__ = ["Effects"]

log = logging.getLogger("sluicegate.controller")


def _weights_payload(rollout: RolloutRecord, plan: RolloutPlan, desired: Desired) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rollout": rollout.id,
        "experiment": rollout.experiment_key,
        "target": plan.target.to_dict(),
        "step": rollout.current_step,
        "weights": {"canary": desired.weight, "stable": 100 - desired.weight},
        "rings": list(desired.rings),
    }
    if plan.target.kind is TargetKind.BLUE_GREEN:
        out["weights"].update({"green": desired.weight, "blue": 100 - desired.weight})
    return out


@dataclass
class Effects:
    """The rollout use cases that change the world: a target's weights, the flag, the verdict."""

    journal: Journal
    sources: Callable[[Mapping[str, Any]], MetricSource]

    @property
    def deps(self) -> Deps:
        return self.journal.deps

    @property
    def settings(self) -> EngineSettings:
        return self.journal.settings

    # -- applying a step --------------------------------------------------------------------

    def apply_step(self, rollout: RolloutRecord, plan: RolloutPlan, desired: Desired) -> None:
        # 1. intent (and, before the first change, the flag as it was: the rollback's target)
        with self.deps.uow() as uow:
            fresh = self.journal.reload(uow, rollout)
            intent = uow.rollout_steps.get(fresh.id, fresh.current_step, "apply")
            if intent is None:
                baseline = fresh.baseline or self._baseline(uow, plan)
                self.journal.history(
                    uow, fresh, "apply", "applying", desired.to_dict(), {}, finished=False
                )
                fresh = self.journal.save(uow, fresh, baseline=baseline)
        # 2. effect
        detail: dict[str, Any] = {}
        if plan.target.kind is TargetKind.FLAG:
            written = self._write_flag(fresh, plan, desired)
            if written is None:
                return  # waiting for a change request's approval
            detail = written
        # 3. outcome and position, with the weights webhook, in one transaction
        with self.deps.uow() as uow:
            current = self.journal.reload(uow, fresh)
            row = uow.rollout_steps.get(current.id, current.current_step, "apply")
            assert row is not None
            now = self.deps.clock.now()
            uow.rollout_steps.finish(current.id, row.seq, "applied", detail, now)
            payload = _weights_payload(current, plan, desired)
            self.journal.next_step(uow, current, weight=desired.weight, rings=list(desired.rings))
            record(
                self.deps,
                uow,
                CONTROLLER,
                AuditAction.ROLLOUT_STEP_APPLY,
                "rollout",
                current.id,
                before={"weight": current.weight, "rings": current.rings},
                after={"step": current.current_step, **desired.to_dict(), **detail},
            )
            if plan.target.kind is not TargetKind.FLAG:
                notifications.enqueue(uow, EventType.ROLLOUT_WEIGHTS, payload, deps=self.deps)
            log.info(
                "rollout %s: applied step %d (weight %d%%)",
                current.id,
                current.current_step,
                desired.weight,
            )

    def _baseline(self, uow: UnitOfWork, plan: RolloutPlan) -> dict[str, Any]:
        t = plan.target
        if t.kind is not TargetKind.FLAG:
            return {"weight": 0}
        assert t.flag_set is not None
        assert t.environment is not None
        fs = uow.flags.get_set(t.flag_set, t.environment)
        if fs is None:
            raise NotFound(f"flag set {t.flag_set}/{t.environment} is gone")
        return {"flag": fs.document["flags"][t.flag], "head_seq": fs.head_seq}

    def _write_flag(
        self, rollout: RolloutRecord, plan: RolloutPlan, desired: Desired | None
    ) -> dict[str, Any] | None:
        """Write the flag's document for ``desired`` (None: restore the baseline); idempotent."""
        t = plan.target
        assert t.flag_set is not None
        assert t.environment is not None
        action = "apply" if desired is not None else "rollback"
        cr = self._step_request(rollout, plan) if desired is not None else None
        if cr is not None:
            if cr.state == "pending":
                return None
            if cr.state == "rejected":
                self._abort_rejected(rollout, cr.id, cr.reviewer, cr.review_comment)
                return None
            if cr.state == "approved":
                try:
                    applied = flags.apply_change_request(
                        self.deps, CONTROLLER, t.flag_set, t.environment, cr.id
                    )
                except Conflict:
                    pass  # the set moved on since the request: a fresh one is written below
                else:
                    return {
                        "flag_revision": applied.flag_set.head_seq,
                        "revision": applied.flag_set.revision,
                        "change_request": cr.id,
                    }
        current = flags.load_current(self.deps, t.flag_set, t.environment)
        if current is None:
            raise NotFound(f"flag set {t.flag_set}/{t.environment} is gone")
        baseline_flag = rollout.baseline.get("flag")
        if desired is None:
            if baseline_flag is None:
                return {"flag_revision": current.head_seq, "unchanged": True}
            document = restore_flag(current.document, t, baseline_flag)
        else:
            document = apply_desired(current.document, t, desired, baseline_flag)
        change = flags.put_document(
            self.deps,
            CONTROLLER,
            t.flag_set,
            t.environment,
            document,
            reason=(
                f"rollout {rollout.id} step {rollout.current_step}: {action}"
                if desired is not None
                else _restore_reason(rollout)
            ),
            automatic_rollback=desired is None,
        )
        if change.change_request is not None:
            with self.deps.uow() as uow:
                fresh = self.journal.reload(uow, rollout)
                stored = uow.rollout_steps.get(fresh.id, fresh.current_step, action)
                assert stored is not None
                uow.rollout_steps.finish(
                    fresh.id,
                    stored.seq,
                    "applying",
                    {"change_request": change.change_request.id},
                    self.deps.clock.now(),
                )
                self.journal.save(
                    uow,
                    fresh,
                    hold_reason=f"flag change request {change.change_request.id} awaits approval",
                )
            return None
        return {"flag_revision": change.flag_set.head_seq, "revision": change.flag_set.revision}

    def _abort_rejected(
        self, rollout: RolloutRecord, request_id: str, reviewer: str | None, comment: str | None
    ) -> None:
        """A reviewer rejected a step's flag change: abort (the flag is restored on next tick)."""
        reason = (
            f"flag change request {request_id} for step {rollout.current_step} was rejected"
            + (f" by {reviewer}" if reviewer else "")
            + (f": {comment}" if comment else "")
        )
        with self.deps.uow() as uow:
            fresh = self.journal.reload(uow, rollout)
            outcome = {"result": "aborted", "reason": reason, "by": reviewer}
            self.journal.save(
                uow, fresh, status=Status.ROLLING_BACK.value, outcome=outcome, hold_reason=None
            )
            record(
                self.deps,
                uow,
                CONTROLLER,
                AuditAction.ROLLOUT_ABORT,
                "rollout",
                fresh.id,
                before={"status": fresh.status, "step": fresh.current_step},
                after={"status": Status.ROLLING_BACK.value, "change_request": request_id},
                reason=reason,
            )
        log.warning("rollout %s: aborting: %s", rollout.id, reason)

    def _step_request(
        self, rollout: RolloutRecord, plan: RolloutPlan
    ) -> FlagChangeRequestRecord | None:
        """The flag change request the current step's apply filed, if it filed one."""
        t = plan.target
        assert t.flag_set is not None
        assert t.environment is not None
        with self.deps.uow(readonly=True) as uow:
            row = uow.rollout_steps.get(rollout.id, rollout.current_step, "apply")
        pending = (row.detail if row else {}).get("change_request")
        if not pending:
            return None
        return flags.get_change_request(self.deps, CONTROLLER, t.flag_set, t.environment, pending)

    def _withdraw_pending(self, rollout: RolloutRecord, plan: RolloutPlan) -> None:
        """Withdraw the current step's flag change request, if it still waits for a review."""
        t = plan.target
        assert t.flag_set is not None
        assert t.environment is not None
        cr = self._step_request(rollout, plan)
        if cr is not None and cr.state == "pending":  # an approved one can no longer apply
            flags.reject(
                self.deps,
                CONTROLLER,
                t.flag_set,
                t.environment,
                cr.id,
                comment=f"withdrawn: rollout {rollout.id} is rolling back",
            )

    # -- analysis ---------------------------------------------------------------------------

    def _labels(self, rollout: RolloutRecord, plan: RolloutPlan) -> dict[str, str]:
        return {
            "experiment": rollout.experiment_key,
            "rollout": rollout.id,
            "service": plan.services[0] if plan.services else "",
            "revision": str(rollout.current_step),
            "weight": str(rollout.weight),
        }

    def analyse(self, rollout: RolloutRecord, plan: RolloutPlan, step: Step) -> None:
        spec = step.analysis
        assert spec is not None
        now = self.deps.clock.now()
        state = dict(rollout.step_state)
        if state.get("promoted_step") == rollout.current_step:
            with self.deps.uow() as uow:
                fresh = self.journal.reload(uow, rollout)
                detail = {"promoted_by": state.get("promoted_by"), "skipped": True}
                self.journal.history(uow, fresh, "analysis", "skipped", {}, detail, finished=True)
                self.journal.next_step(uow, fresh)
            return
        if "window_end" not in state:
            with self.deps.uow() as uow:
                fresh = self.journal.reload(uow, rollout)
                start = {**state, "started_at": now.isoformat(), "window_end": now.isoformat()}
                self.journal.save(uow, fresh, step_state={**start, "ticks": 0}, hold_reason=None)
            return
        window_start = datetime.fromisoformat(state["window_end"])
        if now <= window_start:
            return
        source = self.sources(spec.source)
        labels = self._labels(rollout, plan)
        result = analyse_tick(spec, source, labels, state.get("monitor"), window_start, now)
        ticks = int(state.get("ticks", 0)) + 1
        if result.rollback:
            self.fail(
                rollout,
                plan,
                "the sequential monitor called for a rollback",
                {"monitor": result.decision},
            )
            return
        if ticks < spec.intervals:
            with self.deps.uow() as uow:
                fresh = self.journal.reload(uow, rollout)
                new_state = {
                    **state,
                    "monitor": result.monitor,
                    "window_end": now.isoformat(),
                    "ticks": ticks,
                    "last_decision": result.decision,
                }
                self.journal.save(uow, fresh, step_state=new_state, hold_reason=None)
            return
        started = datetime.fromisoformat(state["started_at"])
        step_seconds = max((now - started).total_seconds() / max(ticks, 1), 1.0)
        verdict = final_verdict(spec, source, labels, started, now, step_seconds)
        evidence: dict[str, Any] = {"monitor": result.decision}
        if verdict is not None:
            evidence["verdict"] = json_safe(verdict.to_dict())
        if verdict is not None and not verdict.passed:
            self.fail(
                rollout,
                plan,
                f"the judge's verdict is {verdict.decision.value}: {verdict.reason}",
                evidence,
            )
            return
        with self.deps.uow() as uow:
            fresh = self.journal.reload(uow, rollout)
            self.journal.history(uow, fresh, "analysis", "passed", {}, evidence, finished=True)
            self.journal.next_step(uow, fresh)
            record(
                self.deps,
                uow,
                CONTROLLER,
                AuditAction.ROLLOUT_ANALYSIS_PASS,
                "rollout",
                fresh.id,
                after={"step": fresh.current_step, **evidence},
            )
        for service in plan.services:
            self.journal.breaker_success(f"service:{service}", rollout.id)

    # -- endings ----------------------------------------------------------------------------

    def succeed(self, rollout: RolloutRecord, plan: RolloutPlan) -> None:
        with self.deps.uow() as uow:
            fresh = self.journal.reload(uow, rollout)
            now = self.deps.clock.now()
            self.journal.save(
                uow,
                fresh,
                status=Status.SUCCEEDED.value,
                finished_at=now,
                hold_reason=None,
                outcome={"result": "succeeded", "weight": fresh.weight},
            )
            record(
                self.deps,
                uow,
                CONTROLLER,
                AuditAction.ROLLOUT_SUCCEED,
                "rollout",
                fresh.id,
                before={"status": fresh.status},
                after={"status": "succeeded"},
            )
            delivery.record_rollout_end(
                self.deps,
                uow,
                CONTROLLER,
                rollout_id=fresh.id,
                experiment=fresh.experiment_key,
                target_ref=fresh.target_ref,
                plan=plan,
                started_at=fresh.created_at,
                outcome="succeeded",
            )
        for service in plan.services:
            self.journal.breaker_success(f"service:{service}", rollout.id)

    def fail(
        self, rollout: RolloutRecord, plan: RolloutPlan, reason: str, evidence: dict[str, Any]
    ) -> None:
        """Decide to roll back: record the evidence, open the services' breakers."""
        with self.deps.uow() as uow:
            fresh = self.journal.reload(uow, rollout)
            self.journal.history(uow, fresh, "analysis", "failed", {}, evidence, finished=True)
            outcome = {"result": "rolled-back", "reason": reason, "evidence": evidence}
            self.journal.save(uow, fresh, status=Status.ROLLING_BACK.value, outcome=outcome)
            for service in plan.services:
                self.journal.breaker_failure(
                    uow,
                    f"service:{service}",
                    f"rollout {rollout.id} failed: {reason}",
                    cooldown_seconds=self.settings.service_cooldown_seconds,
                )
            record(
                self.deps,
                uow,
                CONTROLLER,
                AuditAction.ROLLOUT_ANALYSIS_FAIL,
                "rollout",
                fresh.id,
                after={"step": fresh.current_step, "reason": reason, **evidence},
            )
        log.warning("rollout %s: rolling back: %s", rollout.id, reason)
        with self.deps.uow(readonly=True) as uow:
            moved = uow.rollouts.get(rollout.id)
        if moved is not None:
            self.roll_back(moved)

    def roll_back(self, rollout: RolloutRecord) -> None:
        plan = load_plan(rollout)
        with self.deps.uow() as uow:
            fresh = self.journal.reload(uow, rollout)
            self.journal.history(
                uow, fresh, "rollback", "applying", Desired().to_dict(), {}, finished=False
            )
            self.journal.fence(uow)
        detail: dict[str, Any] = {}
        if plan.target.kind is TargetKind.FLAG:
            self._withdraw_pending(rollout, plan)
            written = self._write_flag(rollout, plan, None)
            if written is None:
                return
            detail = written
        with self.deps.uow() as uow:
            fresh = self.journal.reload(uow, rollout)
            row = uow.rollout_steps.get(fresh.id, fresh.current_step, "rollback")
            assert row is not None
            now = self.deps.clock.now()
            uow.rollout_steps.finish(fresh.id, row.seq, "applied", detail, now)
            outcome = dict(fresh.outcome or {"result": "rolled-back", "reason": "unknown"})
            aborted = outcome.get("result") == "aborted"
            final = Status.ABORTED if aborted else Status.ROLLED_BACK
            done = self.journal.save(
                uow,
                fresh,
                status=final.value,
                weight=0,
                rings=[],
                finished_at=now,
                hold_reason=None,
            )
            notifications.enqueue(
                uow,
                EventType.ROLLOUT_WEIGHTS,
                _weights_payload(done, plan, Desired()),
                deps=self.deps,
            )
            summary = {
                "rollout": fresh.id,
                "experiment": fresh.experiment_key,
                "status": final.value,
                "reason": outcome.get("reason"),
            }
            notifications.enqueue(uow, EventType.ROLLOUT_ROLLED_BACK, summary, deps=self.deps)
            record(
                self.deps,
                uow,
                CONTROLLER,
                AuditAction.ROLLOUT_ROLLBACK,
                "rollout",
                fresh.id,
                before={"weight": fresh.weight, "rings": fresh.rings},
                after={**summary, **detail, "evidence": outcome.get("evidence")},
            )
            opened = None
            if not aborted:
                opened = incidents.open_for_rollout(
                    self.deps,
                    uow,
                    CONTROLLER,
                    fresh,
                    list(plan.services),
                    {"reason": outcome.get("reason"), **(outcome.get("evidence") or {})},
                )
                self._mark_experiment(uow, fresh, outcome)
            delivery.record_rollout_end(
                self.deps,
                uow,
                CONTROLLER,
                rollout_id=fresh.id,
                experiment=fresh.experiment_key,
                target_ref=fresh.target_ref,
                plan=plan,
                started_at=fresh.created_at,
                outcome="aborted" if aborted else "rolled-back",
                incident_id=None if opened is None else opened.id,
            )

    def _mark_experiment(
        self, uow: UnitOfWork, rollout: RolloutRecord, outcome: dict[str, Any]
    ) -> None:
        """Move the experiment to rolled-back with the verdict attached, when its state allows."""
        exp = uow.experiments.get_by_key(rollout.experiment_key)
        if exp is None:
            return
        state = exp.state
        if lifecycle.State.ROLLED_BACK not in lifecycle.allowed_from(state):
            log.info("experiment %s is %s; not marking it rolled-back", exp.key, exp.state)
            return
        try:
            experiments.apply_transition(
                self.deps,
                uow,
                CONTROLLER,
                exp,
                lifecycle.State.ROLLED_BACK,
                reason=f"rollout {rollout.id} rolled back: {outcome.get('reason')}",
                detail={"rollout": rollout.id, "evidence": outcome.get("evidence")},
            )
        except Conflict as exc:
            raise Stale(f"experiment {exp.key} changed during the rollback") from exc


def _restore_reason(rollout: RolloutRecord) -> str:
    """Why the flag goes back to its definition before the rollout: an abort names who and why,
    and only the monitor's own decision is an automatic rollback."""
    outcome = rollout.outcome or {}
    tail = "the flag as it was before the rollout (applied without a change request)"
    if outcome.get("result") == "aborted":
        by = f" by {outcome['by']}" if outcome.get("by") else ""
        why = f": {outcome['reason']}" if outcome.get("reason") else ""
        return f"rollout {rollout.id} aborted{by}{why}; restored {tail}"
    return f"rollout {rollout.id}: automatic rollback to {tail}"
