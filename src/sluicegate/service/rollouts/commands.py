"""Rollout use cases: create a plan for an experiment, the manual controls, and the read views.

The controller (``sluicegate.controller``) moves running rollouts; these use cases only record
what people ask for (start, pause, resume, promote, abort) in one audited transaction each.
See docs/rollouts.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sluicegate.domain import lifecycle
from sluicegate.domain.errors import Conflict, FieldError, InvalidInput, NotFound
from sluicegate.domain.gates.ports import MetricStatus, MetricVerdict
from sluicegate.domain.identity import Action, authorize, require_team
from sluicegate.domain.rollouts import (
    FINAL,
    RolloutPlan,
    Status,
    StepKind,
    TargetKind,
    check,
    desired_after,
    parse_plan,
)
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.ports import UnitOfWork
from sluicegate.service.rollouts.ports import IncidentRecord, RolloutRecord, RolloutStepRecord
from sluicegate.stats import MonitorConfig
from sluicegate.stats.config import ConfigError, parse_judge_config

__all__ = [
    "SOURCE_KINDS",
    "RolloutVerdicts",
    "abort",
    "breakers",
    "create",
    "get",
    "in_flight_verdicts",
    "incident_dict",
    "list_incidents",
    "list_rollouts",
    "load_plan",
    "pause",
    "promote",
    "resume",
    "rollout_dict",
    "start",
    "status",
    "step_dict",
    "weights",
]

#: Metric sources an analysis may name (``analysis.source.kind``).
SOURCE_KINDS = ("default", "push", "prometheus", "simulated")


def load_plan(rollout: RolloutRecord) -> RolloutPlan:
    return parse_plan(rollout.plan)


def _check_analysis(plan: RolloutPlan) -> None:
    """Validate what the pure plan cannot: judge and monitor configs, the metric source."""
    errors: list[FieldError] = []
    for i, step in enumerate(plan.steps):
        spec = step.analysis
        if spec is None:
            continue
        where = f"plan.steps[{i}].analysis"
        if spec.judge:
            try:
                parse_judge_config(spec.judge)
            except ConfigError as exc:
                errors.append(FieldError(f"{where}.judge.{exc.field}", str(exc)))
        try:
            MonitorConfig(**dict(spec.monitor))
        except (TypeError, ValueError) as exc:
            errors.append(FieldError(f"{where}.monitor", str(exc)))
        kind = spec.source.get("kind", "default")
        if kind not in SOURCE_KINDS:
            errors.append(FieldError(f"{where}.source.kind", f"one of {', '.join(SOURCE_KINDS)}"))
        queries = spec.queries
        for name in ("requests", "errors"):
            if name in queries and not isinstance(queries[name], str):
                errors.append(FieldError(f"{where}.queries.{name}", "must be a query string"))
        metrics = queries.get("metrics", {})
        if not isinstance(metrics, Mapping) or not all(
            isinstance(v, str) for v in metrics.values()
        ):
            errors.append(FieldError(f"{where}.queries.metrics", "map metric names to queries"))
    if errors:
        raise InvalidInput("the rollout plan's analysis is invalid", errors=errors)


def _target_ref(plan: RolloutPlan) -> str:
    t = plan.target
    if t.kind is TargetKind.FLAG:
        return f"flag:{t.flag_set}/{t.environment}/{t.flag}"
    return f"{t.kind.value}:{t.service}/{t.deployment}"


def _check_target(uow: UnitOfWork, plan: RolloutPlan) -> None:
    t = plan.target
    if t.kind is not TargetKind.FLAG:
        return
    assert t.flag_set is not None
    assert t.environment is not None
    fs = uow.flags.get_set(t.flag_set, t.environment)
    if fs is None:
        raise InvalidInput(
            f"flag set {t.flag_set}/{t.environment} does not exist",
            errors=[FieldError("plan.target.flag_set", "no such flag set in that environment")],
        )
    flag = (fs.document.get("flags") or {}).get(t.flag)
    if not isinstance(flag, Mapping):
        raise InvalidInput(
            f"flag {t.flag!r} is not in {t.flag_set}/{t.environment}",
            errors=[FieldError("plan.target.flag", "not in the flag set's current revision")],
        )
    variants = flag.get("variants") or {}
    missing = [v for v in (t.on_variant, t.off_variant) if v not in variants]
    if missing:
        raise InvalidInput(
            f"flag {t.flag!r} lacks the variant(s) {', '.join(missing)}",
            errors=[FieldError("plan.target", "on_variant and off_variant must be variants")],
        )


def create(deps: Deps, ctx: RequestContext, document: object) -> RolloutRecord:
    """Attach a validated plan to an experiment as a ``pending`` rollout."""
    authorize(ctx.principal, Action.ROLLOUT_WRITE)
    if not isinstance(document, Mapping):
        raise InvalidInput("send a mapping", errors=[FieldError("body", "not a mapping")])
    unknown = sorted(set(document) - {"experiment", "name", "plan"})
    if unknown:
        raise InvalidInput(
            "unknown fields",
            errors=[FieldError(k, "unknown; use experiment, name, plan") for k in unknown],
        )
    key = document.get("experiment")
    if not isinstance(key, str) or not key:
        raise InvalidInput("experiment is required", errors=[FieldError("experiment", "required")])
    try:
        plan = parse_plan(document.get("plan"))
    except InvalidInput as exc:
        raise InvalidInput(
            exc.message,
            errors=[FieldError(f"plan.{e.field}".rstrip("."), e.reason) for e in exc.errors],
        ) from exc
    _check_analysis(plan)
    name = document.get("name") or f"{key} rollout"
    if not isinstance(name, str) or len(name) > 200:
        raise InvalidInput("name must be text", errors=[FieldError("name", "at most 200 chars")])
    with deps.uow() as uow:
        exp = uow.experiments.get_by_key(key)
        if exp is None:
            raise NotFound(f"experiment {key!r} not found", hint="`sluice experiment list`.")
        require_team(ctx.principal, exp.owner_team, "rollouts")
        if lifecycle.State(exp.state) in lifecycle.FINAL_STATES:
            raise Conflict(f"experiment {key!r} is {exp.state}; it takes no new rollouts")
        _check_target(uow, plan)
        if not plan.services:
            plan = replace(plan, services=tuple(str(s) for s in exp.document.get("services", [])))
        now = deps.clock.now()
        rollout = RolloutRecord(
            id=deps.ids.new_id(),
            experiment_key=key,
            name=name,
            status=Status.PENDING.value,
            target_kind=plan.target.kind.value,
            target_ref=_target_ref(plan),
            plan=plan.to_dict(),
            current_step=0,
            step_state={},
            weight=0,
            rings=[],
            baseline={},
            tick=0,
            hold_reason=None,
            outcome=None,
            version=1,
            created_by=ctx.actor,
            created_at=now,
            updated_at=now,
        )
        uow.rollouts.add(rollout)
        record(
            deps,
            uow,
            ctx,
            "rollout.create",
            "rollout",
            rollout.id,
            after={"experiment": key, "name": name, "plan": rollout.plan},
        )
    return rollout


def _load(uow: UnitOfWork, rollout_id: str) -> RolloutRecord:
    found = uow.rollouts.get(rollout_id)
    if found is None:
        raise NotFound(f"rollout {rollout_id!r} not found", hint="`sluice rollout list`.")
    return found


def get(deps: Deps, ctx: RequestContext, rollout_id: str) -> RolloutRecord:
    authorize(ctx.principal, Action.ROLLOUT_READ)
    with deps.uow(readonly=True) as uow:
        return _load(uow, rollout_id)


def list_rollouts(
    deps: Deps, ctx: RequestContext, *, status: str | None = None, experiment: str | None = None
) -> list[RolloutRecord]:
    authorize(ctx.principal, Action.ROLLOUT_READ)
    with deps.uow(readonly=True) as uow:
        return uow.rollouts.query(status=status, experiment_key=experiment)


def _control(
    deps: Deps,
    ctx: RequestContext,
    rollout_id: str,
    action: Action,
    verb: str,
    to: Status | None,
    *,
    reason: str | None = None,
    state_update: Mapping[str, Any] | None = None,
    outcome: Mapping[str, Any] | None = None,
) -> RolloutRecord:
    authorize(ctx.principal, action)
    with deps.uow() as uow:
        rollout = _load(uow, rollout_id)
        exp = uow.experiments.get_by_key(rollout.experiment_key)
        if exp is not None:
            require_team(ctx.principal, exp.owner_team, "rollouts")
        current = Status(rollout.status)
        if to is not None:
            check(current, to)
        elif current not in (Status.RUNNING, Status.PAUSED):
            raise Conflict(f"rollout {rollout_id} is {current.value}; only a live one can {verb}")
        now = deps.clock.now()
        updated = replace(
            rollout,
            status=(to or current).value,
            step_state={**rollout.step_state, **(state_update or {})},
            outcome=dict(outcome) if outcome is not None else rollout.outcome,
            finished_at=now if to in FINAL else rollout.finished_at,
            version=rollout.version + 1,
            updated_at=now,
        )
        if not uow.rollouts.update(updated, rollout.version):
            raise Conflict(f"rollout {rollout_id} changed meanwhile; retry")
        record(
            deps,
            uow,
            ctx,
            f"rollout.{verb}",
            "rollout",
            rollout.id,
            before={"status": rollout.status, "step": rollout.current_step},
            after={"status": updated.status, "step": updated.current_step},
            reason=reason,
        )
    return updated


def start(deps: Deps, ctx: RequestContext, rollout_id: str) -> RolloutRecord:
    return _control(deps, ctx, rollout_id, Action.ROLLOUT_OPERATE, "start", Status.RUNNING)


def pause(
    deps: Deps, ctx: RequestContext, rollout_id: str, reason: str | None = None
) -> RolloutRecord:
    return _control(
        deps, ctx, rollout_id, Action.ROLLOUT_OPERATE, "pause", Status.PAUSED, reason=reason
    )


def resume(deps: Deps, ctx: RequestContext, rollout_id: str) -> RolloutRecord:
    return _control(deps, ctx, rollout_id, Action.ROLLOUT_OPERATE, "resume", Status.RUNNING)


def promote(
    deps: Deps, ctx: RequestContext, rollout_id: str, reason: str | None = None
) -> RolloutRecord:
    """Approve the current pause or analysis step; the controller advances on its next tick."""
    authorize(ctx.principal, Action.ROLLOUT_PROMOTE)
    with deps.uow(readonly=True) as uow:
        rollout = _load(uow, rollout_id)
    plan = load_plan(rollout)
    if rollout.current_step >= len(plan.steps):
        raise Conflict(f"rollout {rollout_id} has no step left to promote")
    kind = plan.steps[rollout.current_step].kind
    if kind.applies:
        raise Conflict(
            f"step {rollout.current_step} ({kind.value}) is applied by the controller; "
            "promote acts on pause and analysis steps",
        )
    return _control(
        deps,
        ctx,
        rollout_id,
        Action.ROLLOUT_PROMOTE,
        "promote",
        None,
        reason=reason,
        state_update={"promoted_by": ctx.actor, "promoted_step": rollout.current_step},
    )


def abort(deps: Deps, ctx: RequestContext, rollout_id: str, reason: str) -> RolloutRecord:
    """Stop by hand: a pending rollout ends at once; a live one is rolled back by the controller."""
    authorize(ctx.principal, Action.ROLLOUT_OPERATE)
    if not reason.strip():
        raise InvalidInput("abort needs a reason", errors=[FieldError("reason", "required")])
    with deps.uow(readonly=True) as uow:
        current = Status(_load(uow, rollout_id).status)
    outcome = {"result": "aborted", "reason": reason, "by": ctx.actor}
    to = Status.ABORTED if current is Status.PENDING else Status.ROLLING_BACK
    return _control(
        deps,
        ctx,
        rollout_id,
        Action.ROLLOUT_OPERATE,
        "abort",
        to,
        reason=reason,
        outcome=outcome,
        state_update={"abort": True},
    )


# -- views ---------------------------------------------------------------------------------------


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
    if rollout.target_kind == TargetKind.BLUE_GREEN.value:
        out.update({"green": rollout.weight, "blue": 100 - rollout.weight})
    return out


def rollout_dict(rollout: RolloutRecord) -> dict[str, Any]:
    plan = load_plan(rollout)
    steps = []
    for i, step in enumerate(plan.steps):
        if rollout.status == Status.SUCCEEDED.value or i < rollout.current_step:
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
        rollout = _load(uow, rollout_id)
        history = uow.rollouts.steps(rollout_id)
        incidents = uow.rollouts.incidents(rollout_id=rollout_id)
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
        return uow.rollouts.incidents(experiment_key=experiment)


def breakers(deps: Deps, ctx: RequestContext) -> list[dict[str, Any]]:
    authorize(ctx.principal, Action.ROLLOUT_READ)
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        return [b.to_dict(now) for b in uow.rollouts.breakers()]


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
    done = [s.status for s in uow.rollouts.steps(rollout.id) if s.action == "analysis"]
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
