"""Reading rollouts: one rollout, the list, status, weights, steps, incidents, breakers."""

from __future__ import annotations

from typing import Any

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.errors import NotFound
from sluicegate.domain.rollouts import (
    FINAL,
    RolloutPlan,
    Status,
    StepKind,
    TargetKind,
    desired_after,
    parse_plan,
)
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.ports import UnitOfWork
from sluicegate.service.rollouts.ports import IncidentRecord, RolloutRecord, RolloutStepRecord

__all__ = [
    "breakers",
    "get",
    "incident_dict",
    "list_incidents",
    "list_rollouts",
    "load_plan",
    "load_rollout",
    "rollout_dict",
    "status",
    "step_dict",
    "weights",
]


def load_plan(rollout: RolloutRecord) -> RolloutPlan:
    return parse_plan(rollout.plan)


def load_rollout(uow: UnitOfWork, rollout_id: str) -> RolloutRecord:
    found = uow.rollouts.get(rollout_id)
    if found is None:
        raise NotFound(f"rollout {rollout_id!r} not found", hint="`sluice rollout list`.")
    return found


def get(deps: Deps, ctx: RequestContext, rollout_id: str) -> RolloutRecord:
    authorize(ctx.principal, Action.ROLLOUT_READ)
    with deps.uow(readonly=True) as uow:
        return load_rollout(uow, rollout_id)


def list_rollouts(
    deps: Deps, ctx: RequestContext, *, status: str | None = None, experiment: str | None = None
) -> list[RolloutRecord]:
    authorize(ctx.principal, Action.ROLLOUT_READ)
    with deps.uow(readonly=True) as uow:
        return uow.rollouts.query(status=status, experiment_key=experiment)


def step_dict(step: RolloutStepRecord) -> dict[str, Any]:
    return {
        "seq": step.seq,
        "step": step.step_index,
        "action": step.action,
        "status": step.status,
        "desired": step.desired,
        "detail": step.detail,
        "actor": step.actor,
        "started_at": step.started_at.isoformat(),
        "finished_at": step.finished_at.isoformat() if step.finished_at else None,
    }


def incident_dict(incident: IncidentRecord) -> dict[str, Any]:
    return {
        "id": incident.id,
        "rollout": incident.rollout_id,
        "experiment": incident.experiment_key,
        "services": incident.services,
        "title": incident.title,
        "status": incident.status,
        "evidence": incident.evidence,
        "opened_at": incident.opened_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
    }


def _weights_view(rollout: RolloutRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"canary": rollout.weight, "stable": 100 - rollout.weight}
    if rollout.target_kind == TargetKind.BLUE_GREEN:
        out.update({"green": rollout.weight, "blue": 100 - rollout.weight})
    return out


def rollout_dict(rollout: RolloutRecord) -> dict[str, Any]:
    plan = load_plan(rollout)
    steps = []
    for i, step in enumerate(plan.steps):
        if rollout.status == Status.SUCCEEDED or i < rollout.current_step:
            state = "done"
        elif i == rollout.current_step and rollout.status not in {s.value for s in FINAL}:
            state = "current"
        else:
            state = "pending"
        steps.append(
            {
                "index": i,
                "kind": step.kind.value,
                "weight": step.weight,
                "describe": step.describe(),
                "gate": step.gate,
                "state": state,
            }
        )
    return {
        "id": rollout.id,
        "experiment": rollout.experiment_key,
        "name": rollout.name,
        "status": rollout.status,
        "target": plan.target.to_dict(),
        "target_ref": rollout.target_ref,
        "services": list(plan.services),
        "weights": _weights_view(rollout),
        "rings": rollout.rings,
        "current_step": rollout.current_step,
        "steps": steps,
        "analysis": {
            k: rollout.step_state[k]
            for k in ("ticks", "last_decision", "verdict")
            if k in rollout.step_state
        },
        "hold_reason": rollout.hold_reason,
        "outcome": rollout.outcome,
        "version": rollout.version,
        "created_by": rollout.created_by,
        "created_at": rollout.created_at.isoformat(),
        "updated_at": rollout.updated_at.isoformat(),
        "finished_at": rollout.finished_at.isoformat() if rollout.finished_at else None,
    }


def status(deps: Deps, ctx: RequestContext, rollout_id: str) -> dict[str, Any]:
    """The full view: plan position, weights, last verdicts, history and incidents."""
    authorize(ctx.principal, Action.ROLLOUT_READ)
    with deps.uow(readonly=True) as uow:
        rollout = load_rollout(uow, rollout_id)
        history = uow.rollout_steps.history(rollout_id)
        incidents = uow.incidents.query(rollout_id=rollout_id)
    out = rollout_dict(rollout)
    out["history"] = [step_dict(s) for s in history]
    out["incidents"] = [incident_dict(i) for i in incidents]
    return out


def weights(deps: Deps, ctx: RequestContext, rollout_id: str) -> dict[str, Any]:
    """Desired weights for a router, mesh or Argo-Rollouts-style controller to apply."""
    rollout = get(deps, ctx, rollout_id)
    plan = load_plan(rollout)
    desired = desired_after(plan, rollout.current_step - 1)
    return {
        "rollout": rollout.id,
        "experiment": rollout.experiment_key,
        "target": plan.target.to_dict(),
        "status": rollout.status,
        "step": rollout.current_step,
        "weights": _weights_view(rollout),
        "rings": rollout.rings,
        "next_weight": None
        if rollout.status in {s.value for s in FINAL}
        else _next_weight(plan, rollout.current_step, desired.weight),
        "updated_at": rollout.updated_at.isoformat(),
    }


def _next_weight(plan: RolloutPlan, index: int, current: int) -> int | None:
    for step in plan.steps[index:]:
        if step.kind in (StepKind.WEIGHT, StepKind.SWITCH) and step.weight != current:
            return step.weight
    return None


def list_incidents(
    deps: Deps, ctx: RequestContext, *, experiment: str | None = None
) -> list[IncidentRecord]:
    authorize(ctx.principal, Action.ROLLOUT_READ)
    with deps.uow(readonly=True) as uow:
        return uow.incidents.query(experiment_key=experiment)


def breakers(deps: Deps, ctx: RequestContext) -> list[dict[str, Any]]:
    authorize(ctx.principal, Action.ROLLOUT_READ)
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        return [b.to_dict(now) for b in uow.breakers.all()]
