"""Gate decisions: check a stage's gates, enter a governed stage, explain (replay) a decision.

``check_gate`` builds the :class:`GateContext` from the database (experiment and risk, the stage's
approvals and rejections, requester and authors, evidence facts, overrides, review board and
environment settings, ``now`` from the clock), wires the policy bundle, evaluates, stores the
decision record, audits it and queues a ``gate.decision`` notification, all in one transaction.
The policy bundle is stored by revision the first time it decides, so that ``explain`` can replay
a decision with the same bundle after the directory changed."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from sluicegate.domain.access.identity import Action, authorize, require_team
from sluicegate.domain.canonical import canonical_json
from sluicegate.domain.errors import NotFound
from sluicegate.domain.events import AuditAction, EventType
from sluicegate.domain.gates import (
    CheckRecord,
    CheckStatus,
    Decision,
    DecisionInput,
    Enforcement,
    GateBlocked,
    GateDenied,
    GatePending,
    MetricVerdict,
    Outcome,
    Override,
    ProcessVersion,
    evaluate_gate,
    replay,
    replay_differences,
)
from sluicegate.service import notifications
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.experiments.ports import ExperimentRecord
from sluicegate.service.gates.context import build_context
from sluicegate.service.gates.evaluator import stored_policy
from sluicegate.service.gates.ports import (
    GateDecisionRecord,
)
from sluicegate.service.gates.processes import GateRuntime, governing_version, resolve_for
from sluicegate.service.ports import UnitOfWork
from sluicegate.service.rollouts import RolloutVerdicts

__all__ = [
    "GateBlocked",
    "GateDenied",
    "GatePending",
    "check_gate",
    "decision_dict",
    "enter_stage",
    "explain",
    "get_decision",
    "governed_stage",
    "load_experiment",
    "rebuild",
    "replay_record",
]


def decision_dict(decision: Decision, ci_run_id: str | None = None) -> dict[str, Any]:
    return {**decision.to_dict(), "ci_run_id": ci_run_id}


def _stored(rec: GateDecisionRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "process": rec.process_name,
        "process_version": rec.process_version,
        "process_hash": rec.process_hash,
        "stage": rec.stage,
        "experiment": rec.experiment_key,
        "policy_revision": rec.policy_revision,
        "input_hash": rec.input_hash,
        "checks": rec.checks,
        "overrides_applied": rec.overrides_applied,
        "requested_by": rec.input["context"]["requester"],
        "outcome": rec.outcome,
        "evaluated_at": rec.input["context"]["now"],
        "ci_run_id": rec.ci_run_id,
    }


def _decide(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    runtime: GateRuntime,
    exp: ExperimentRecord,
    version: ProcessVersion,
    stage: str,
    ci_run_id: str | None,
    metric_verdicts: Mapping[str, MetricVerdict] | None = None,
) -> Decision:
    stage_def = version.process.stage(stage)
    now = deps.clock.now()
    gate_ctx = build_context(uow, runtime, ctx, exp, stage_def, now, ci_run_id)
    if metric_verdicts:
        gate_ctx = dataclasses.replace(gate_ctx, metric_verdicts=dict(metric_verdicts))
    # metric-verdict gates read the experiment's rollouts (verdicts given above take precedence)
    decision = evaluate_gate(
        version, stage, gate_ctx, id_factory=deps.ids.new_id, metrics=RolloutVerdicts(uow)
    )
    uow.gates.add_decision(
        GateDecisionRecord(
            id=decision.id,
            experiment_id=exp.id,
            experiment_key=exp.key,
            stage=stage,
            outcome=decision.outcome,
            process_name=decision.process,
            process_version=decision.process_version,
            process_hash=decision.process_hash,
            policy_revision=decision.policy_revision,
            input_hash=decision.input_hash,
            input=decision.input.to_dict(),
            checks=[c.to_dict() for c in decision.checks],
            overrides_applied=[o.to_dict() for o in decision.overrides_applied],
            requested_by=str(decision.requested_by),
            ci_run_id=ci_run_id,
            created_at=now,
        )
    )
    summary = {
        "decision_id": decision.id,
        "experiment": exp.key,
        "stage": stage,
        "outcome": decision.outcome.value,
        "process": version.label,
        "input_hash": decision.input_hash,
        "policy_revision": decision.policy_revision,
        "blocking": [c.gate for c in decision.blocking],
    }
    record(deps, uow, ctx, AuditAction.GATE_DECISION, "gate-decision", decision.id, after=summary)
    notifications.enqueue(uow, EventType.GATE_DECISION, summary, deps=deps)
    waiting = [
        c.gate
        for c in decision.checks
        if c.blocking and c.status is CheckStatus.PENDING and c.type in ("approval", "review-board")
    ]
    if waiting:
        notifications.enqueue(
            uow,
            EventType.APPROVAL_REQUESTED,
            {"experiment": exp.key, "stage": stage, "gates": waiting, "decision_id": decision.id},
            deps=deps,
        )
    return decision


def load_experiment(uow: UnitOfWork, key: str) -> ExperimentRecord:
    exp = uow.experiments.get_by_key(key)
    if exp is None:
        raise NotFound(f"experiment {key!r} not found", hint="`sluice experiment list` shows keys.")
    return exp


def check_gate(
    deps: Deps,
    ctx: RequestContext,
    runtime: GateRuntime,
    key: str,
    stage: str,
    *,
    ci_run_id: str | None = None,
) -> Decision:
    """Evaluate the gates guarding ``stage`` for experiment ``key`` and store the decision."""
    authorize(ctx.principal, Action.GATE_CHECK)
    with deps.uow() as uow:
        exp = load_experiment(uow, key)
        require_team(ctx.principal, exp.owner_team)
        version = resolve_for(deps, uow, ctx, runtime, exp, pin=True)
        return _decide(deps, uow, ctx, runtime, exp, version, stage, ci_run_id)


def governed_stage(
    uow: UnitOfWork, runtime: GateRuntime, exp: ExperimentRecord, stage: str
) -> ProcessVersion | None:
    """The process version whose gates guard ``stage`` for ``exp``, or None when ungoverned.

    Governed: the experiment is pinned to a process version, or the selector chooses a process
    that has been applied, and that process guards ``stage`` with at least one gate. Until an
    administrator applies a process, experiments transition as before (docs/gates.md).
    """
    rec, _ = governing_version(uow, exp)
    if rec is None:
        return None
    version = runtime.version_of(rec)
    for stage_def in version.process.stages:
        if stage_def.name == stage and stage_def.gates:
            return version
    return None


def enter_stage(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    runtime: GateRuntime,
    exp: ExperimentRecord,
    version: ProcessVersion,
    stage: str,
    *,
    metric_verdicts: Mapping[str, MetricVerdict] | None = None,
) -> Decision:
    """The stored gate decision of a governed promotion (pins the experiment if needed).

    ``metric_verdicts`` (analysis name -> verdict) stand in for what the rollouts report: the
    controller passes its own rollout's verdict so far when it checks a gated step.
    """
    if uow.gates.get_pin(exp.id) is None:
        resolve_for(deps, uow, ctx, runtime, exp, pin=True)
    return _decide(deps, uow, ctx, runtime, exp, version, stage, None, metric_verdicts)


def get_decision(deps: Deps, ctx: RequestContext, decision_id: str) -> dict[str, Any]:
    authorize(ctx.principal, Action.EXPERIMENT_READ)
    with deps.uow(readonly=True) as uow:
        rec = uow.gates.get_decision(decision_id)
        if rec is None:
            raise NotFound(f"decision {decision_id!r} not found")
        return _stored(rec)


def rebuild(deps: Deps, ctx: RequestContext, runtime: GateRuntime, decision_id: str) -> Decision:
    """A stored decision as a :class:`Decision` (gate locations from the stored process file)."""
    authorize(ctx.principal, Action.EXPERIMENT_READ)
    with deps.uow(readonly=True) as uow:
        rec = uow.gates.get_decision(decision_id)
        if rec is None:
            raise NotFound(f"decision {decision_id!r} not found")
        process_rec = uow.gates.get_process_version(rec.process_name, rec.process_version)
    locations = {}
    if process_rec is not None:
        stage = runtime.version_of(process_rec).process.stage(rec.stage)
        locations = {g.id: g.location for g in stage.gates}
    decision_input = DecisionInput.from_dict(rec.input)
    checks = tuple(
        CheckRecord(
            gate=c["gate"],
            type=c["type"],
            enforcement=Enforcement(c["enforcement"]),
            status=CheckStatus(c["status"]),
            reasons=tuple(c["reasons"]),
            warnings=tuple(c["warnings"]),
            blocking=bool(c["blocking"]),
            overridden_by=c["overridden_by"],
            data=c["data"],
            location=locations.get(c["gate"]),
        )
        for c in rec.checks
    )
    return Decision(
        id=rec.id,
        process=rec.process_name,
        process_version=rec.process_version,
        process_hash=rec.process_hash,
        stage=rec.stage,
        experiment=rec.experiment_key,
        policy_revision=rec.policy_revision,
        input_hash=rec.input_hash,
        checks=checks,
        overrides_applied=tuple(Override.from_dict(o) for o in rec.overrides_applied),
        requested_by=decision_input.context.requester,
        outcome=Outcome(rec.outcome),
        evaluated_at=decision_input.context.now,
        input=decision_input,
    )


def explain(
    deps: Deps, ctx: RequestContext, runtime: GateRuntime, decision_id: str
) -> dict[str, Any]:
    """The stored decision, and whether replaying its input with its bundle gives the same."""
    authorize(ctx.principal, Action.EXPERIMENT_READ)
    with deps.uow(readonly=True) as uow:
        rec = uow.gates.get_decision(decision_id)
        if rec is None:
            raise NotFound(f"decision {decision_id!r} not found")
        return replay_record(uow, runtime, rec)


def replay_record(uow: UnitOfWork, runtime: GateRuntime, rec: GateDecisionRecord) -> dict[str, Any]:
    """``explain`` of one stored record, in the caller's unit of work (it reads the bundle)."""
    policy = stored_policy(uow, runtime, rec)
    stored = _stored(rec)
    decision_input = DecisionInput.from_dict(rec.input, policy=policy)
    again = replay(decision_input, id_factory=lambda: rec.id)
    # the replay as the store would hold it: a JSON round trip, as ``stored`` had
    replayed = json.loads(canonical_json(again.to_dict()))
    differences = replay_differences(stored, replayed)
    return {
        **stored,
        "replay": {
            "outcome": again.outcome.value,
            "input_hash": again.input_hash,
            "matches": not differences,
            "differences": differences,
        },
    }
