"""Rollout writes: create a rollout from its plan, start, pause, resume, promote, abort."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sluicegate.domain.access.identity import Action, authorize, require_team
from sluicegate.domain.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from sluicegate.domain.events import AuditAction
from sluicegate.domain.experiments import lifecycle
from sluicegate.domain.rollouts import (
    FINAL,
    RolloutPlan,
    Status,
    TargetKind,
    check,
    parse_plan,
)
from sluicegate.service import gates
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.experiments.ports import ExperimentRecord
from sluicegate.service.ports import UnitOfWork
from sluicegate.service.rollouts.ports import RolloutRecord
from sluicegate.service.rollouts.queries import load_plan, load_rollout
from sluicegate.service.rollouts.states import write_rollout
from sluicegate.stats import MonitorConfig
from sluicegate.stats.config import ConfigError, parse_judge_config

__all__ = [
    "SOURCE_KINDS",
    "abort",
    "create",
    "pause",
    "promote",
    "resume",
    "start",
]


#: Metric sources an analysis may name (``analysis.source.kind``).
SOURCE_KINDS = ("default", "push", "prometheus", "simulated")


def _check_analysis(plan: RolloutPlan) -> None:
    """Validate what the pure plan cannot: judge and monitor configs, the metric source."""
    errors: list[FieldError] = []
    for i, step in enumerate(plan.steps):
        spec = step.analysis
        if spec is None:
            continue
        where = f"plan.steps[{i}].analysis"
        if spec.judge:
            # Like the final verdict: a judge section without metrics judges every queried one.
            queried = spec.queries.get("metrics") or {}
            judge = dict(spec.judge)
            if "metrics" not in judge and isinstance(queried, Mapping):
                judge["metrics"] = [{"name": str(n)} for n in sorted(queried)]
            try:
                parse_judge_config(judge)
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


def _admit(uow: UnitOfWork, ctx: RequestContext, exp: ExperimentRecord, plan: RolloutPlan) -> None:
    """The rules a rollout is created, started and resumed under; the refusal names the rule.

    1. The experiment is in the stage that deploys to the target's environment, or later: the
       governing process's stages say which (the built-in default without one).
    2. The caller may change the target directly: a flag target's flag set is owned by one of the
       caller's teams, or is linked to this experiment (whose team the caller is on).
    """
    environment = plan.target.deploys_to
    rec, _ = gates.governing_version(uow, exp)
    stages: list[tuple[str, str]] | None = None
    if rec is not None:
        stages = [
            (str(s.get("name")), str(s.get("environment")))
            for s in rec.document.get("stages", [])
            if isinstance(s, Mapping)
        ]
    stage = lifecycle.entry_stage(environment, stages)
    lifecycle.check_admits(exp.key, exp.state, environment, stage)
    t = plan.target
    if t.kind is not TargetKind.FLAG:
        return
    assert t.flag_set is not None
    fs = uow.flags.get_set(t.flag_set, environment)
    if fs is None or fs.experiment_key == exp.key:
        return  # a missing set is reported by _check_target; a linked one is the team's to change
    try:
        require_team(ctx.principal, fs.owner_team, "flag sets")
    except Forbidden as exc:
        raise Forbidden(
            f"{ctx.principal.username} may not change flag set {t.flag_set}/{environment} "
            f"(owned by {fs.owner_team}), so a rollout may not change it either "
            "(rule: a rollout changes only what its starter could change directly)",
            hint=f"Ask {fs.owner_team} to start the rollout, or to link the flag set to "
            f"{exp.key!r} (PATCH /api/v1/flag-sets/{t.flag_set}/{environment} with "
            f'{{"experiment": "{exp.key}"}}).',
        ) from exc


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
        if exp.state in lifecycle.FINAL_STATES:
            raise Conflict(f"experiment {key!r} is {exp.state}; it takes no new rollouts")
        _check_target(uow, plan)
        _admit(uow, ctx, exp, plan)
        if not plan.services:
            plan = replace(plan, services=tuple(str(s) for s in exp.document.get("services", [])))
        now = deps.clock.now()
        rollout = RolloutRecord(
            id=deps.ids.new_id(),
            experiment_key=key,
            name=name,
            status=Status.PENDING,
            target_kind=plan.target.kind,
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
            AuditAction.ROLLOUT_CREATE,
            "rollout",
            rollout.id,
            after={"experiment": key, "name": name, "plan": rollout.plan},
        )
    return rollout


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
        rollout = load_rollout(uow, rollout_id)
        exp = uow.experiments.get_by_key(rollout.experiment_key)
        if exp is not None:
            require_team(ctx.principal, exp.owner_team, "rollouts")
        current = Status(rollout.status)
        if to is not None:
            check(current, to)
        if verb in ("start", "resume"):
            if exp is None:
                raise NotFound(f"experiment {rollout.experiment_key!r} not found")
            _admit(uow, ctx, exp, load_plan(rollout))
        elif current not in (Status.RUNNING, Status.PAUSED):
            raise Conflict(f"rollout {rollout_id} is {current.value}; only a live one can {verb}")
        now = deps.clock.now()
        updated = write_rollout(
            deps,
            uow,
            rollout,
            status=to or current,
            step_state={**rollout.step_state, **(state_update or {})},
            outcome=dict(outcome) if outcome is not None else rollout.outcome,
            finished_at=now if to in FINAL else rollout.finished_at,
        )
        if updated is None:
            raise Conflict(f"rollout {rollout_id} changed meanwhile; retry")
        record(
            deps,
            uow,
            ctx,
            AuditAction(f"rollout.{verb}"),  # start, pause, resume, promote, abort
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
        rollout = load_rollout(uow, rollout_id)
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
        current = Status(load_rollout(uow, rollout_id).status)
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
