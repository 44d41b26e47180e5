"""Just-in-time access: request, approve or deny, use, expire and revoke time-bound role grants.

How grants are enforced: authentication always yields the user's *base* principal. Experiment use
cases that act on one experiment (``experiments.transition`` and ``experiments.update``) load the
experiment and call :func:`effective_context` before ``authorize``: if the user holds an active,
unexpired grant for that experiment at its current stage, the use case runs with the granted role
(and counts as a member of the owner team), and a ``jit.use`` audit event names the grant in the
same transaction. Nothing else is elevated: other experiments, other stages and every other
endpoint see the base role. A token deliberately scoped below its user's role is never elevated.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sluicegate.domain.access.identity import Action, Role, authorize
from sluicegate.domain.access.jit import (
    JIT_STATES,
    GrantView,
    JitState,
    approver_role,
    check_jit,
    check_role,
    check_stage,
    elevate,
    format_duration,
    parse_request_duration,
)
from sluicegate.domain.errors import (
    AlreadyExists,
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    StateConflict,
)
from sluicegate.domain.events import AuditAction, EventType
from sluicegate.service.access.payloads import jit_event, jit_payload
from sluicegate.service.access.ports import JitRecord
from sluicegate.service.auditing import record
from sluicegate.service.context import SYSTEM, Deps, RequestContext
from sluicegate.service.experiments.ports import ExperimentRecord
from sluicegate.service.notifications import enqueue
from sluicegate.service.ports import UnitOfWork

__all__ = [
    "DEFAULT_MAX_DURATION",
    "approve",
    "deny",
    "effective_context",
    "expire_due",
    "jit_dict",
    "list_requests",
    "request_access",
    "revoke",
    "revoke_for_experiment",
]

DEFAULT_MAX_DURATION = timedelta(hours=8)


def jit_dict(r: JitRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "requester": r.requester,
        "experiment": r.experiment_key,
        "stage": r.stage,
        "role": r.role.value,
        "duration": format_duration(timedelta(seconds=r.duration_seconds)),
        "duration_seconds": r.duration_seconds,
        "reason": r.reason,
        "state": r.state,
        "created_at": r.created_at.isoformat(),
        "decided_by": r.decided_by,
        "decision_comment": r.decision_comment,
        "decided_at": r.decided_at.isoformat() if r.decided_at else None,
        "expires_at": r.expires_at.isoformat() if r.expires_at else None,
        "ended_at": r.ended_at.isoformat() if r.ended_at else None,
        "end_reason": r.end_reason,
    }


def _view(r: JitRecord) -> GrantView:
    return GrantView(r.id, r.state, r.role, r.experiment_key, r.stage, r.expires_at)


def _load(uow: UnitOfWork, req_id: str) -> JitRecord:
    req = uow.jit.get(req_id)
    if req is None:
        raise NotFound(
            f"no just-in-time access request {req_id!r}",
            hint="`sluice jit list` shows requests and grants.",
        )
    return req


def _save(uow: UnitOfWork, new: JitRecord, old: JitRecord) -> None:
    """The one writer of a request's state: the move is checked, then compare-and-set."""
    check_jit(old.state, new.state)
    if not uow.jit.update(new, old.state):
        raise Conflict(f"request {old.id} changed concurrently; reload and retry")


# --- the request and its decision -------------------------------------------------------------


def request_access(
    deps: Deps,
    ctx: RequestContext,
    *,
    experiment: str,
    stage: str,
    role: str,
    duration: object,
    reason: str,
    max_duration: timedelta = DEFAULT_MAX_DURATION,
) -> JitRecord:
    """Ask for ``role`` on ``experiment`` at ``stage`` for ``duration``; errors store nothing."""
    authorize(ctx.principal, Action.JIT_REQUEST)
    length = parse_request_duration(duration, max_duration)
    if not reason.strip():
        raise InvalidInput(
            "a request needs a reason", errors=[FieldError("reason", "required, not blank")]
        )
    with deps.uow() as uow:
        user = uow.users.get(ctx.principal.user_id)
        wanted = check_role(user.role if user else ctx.principal.role, role)
        exp = uow.experiments.get_by_key(experiment)
        if exp is None:
            raise InvalidInput(
                f"unknown experiment {experiment!r}",
                errors=[FieldError("experiment", "no such experiment")],
            )
        check_stage(stage, exp.state)
        for other in uow.jit.query(requester_id=ctx.principal.user_id, experiment_key=exp.key):
            if other.state in ("pending", "active") and other.stage == stage:
                raise AlreadyExists(
                    f"{ctx.principal.username} already has a {other.state} request {other.id} "
                    f"for {exp.key} at {stage}",
                    hint="Wait for it to be decided, or revoke the grant first.",
                )
        req = JitRecord(
            id=deps.ids.new_id(),
            requester_id=ctx.principal.user_id,
            requester=ctx.principal.username,
            experiment_key=exp.key,
            stage=stage,
            role=wanted,
            duration_seconds=int(length.total_seconds()),
            reason=reason.strip(),
            state=JitState.PENDING,
            created_at=deps.clock.now(),
        )
        uow.jit.add(req)
        record(deps, uow, ctx, AuditAction.JIT_REQUEST, "jit-grant", req.id, after=jit_payload(req))
        enqueue(uow, EventType.JIT_REQUESTED, jit_event(req), deps=deps)
    return req


def _decider_check(ctx: RequestContext, req: JitRecord, verb: str) -> None:
    if req.state != "pending":
        raise StateConflict(
            f"request {req.id} is {req.state}; only pending requests can be {verb}",
            hint="Request access again if needed.",
        )
    if req.requester_id == ctx.principal.user_id:
        raise Forbidden(
            f"{ctx.principal.username} requested {req.id} and cannot {verb[:-1]} it",
            hint="Separation of duties: another reviewer (or an admin for admin access) decides.",
        )
    needed = approver_role(req.role)
    if not ctx.principal.role.at_least(needed):
        raise Forbidden(
            f"{req.role.value} access needs an approver with role {needed.value} or higher",
            hint="Ask an admin to decide admin elevation.",
        )


def approve(deps: Deps, ctx: RequestContext, req_id: str, comment: str = "") -> JitRecord:
    """Grant a pending request: it is active from now for its requested duration."""
    authorize(ctx.principal, Action.JIT_DECIDE)
    with deps.uow() as uow:
        req = _load(uow, req_id)
        _decider_check(ctx, req, "approved")
        exp = uow.experiments.get_by_key(req.experiment_key)
        if exp is None or exp.state != req.stage:
            raise StateConflict(
                f"{req.experiment_key} is no longer at {req.stage}",
                hint="The grant would never apply; deny it and request again for the new stage.",
            )
        now = deps.clock.now()
        granted = replace(
            req,
            state=JitState.ACTIVE,
            decided_by=ctx.principal.username,
            decision_comment=comment or None,
            decided_at=now,
            expires_at=now + timedelta(seconds=req.duration_seconds),
        )
        _save(uow, granted, req)
        record(
            deps,
            uow,
            ctx,
            AuditAction.JIT_APPROVE,
            "jit-grant",
            req.id,
            before={"state": req.state},
            after=jit_payload(granted),
        )
        enqueue(uow, EventType.JIT_GRANTED, jit_event(granted), deps=deps)
    return granted


def deny(deps: Deps, ctx: RequestContext, req_id: str, comment: str = "") -> JitRecord:
    authorize(ctx.principal, Action.JIT_DECIDE)
    with deps.uow() as uow:
        req = _load(uow, req_id)
        _decider_check(ctx, req, "denied")
        denied = replace(
            req,
            state=JitState.DENIED,
            decided_by=ctx.principal.username,
            decision_comment=comment or None,
            decided_at=deps.clock.now(),
        )
        _save(uow, denied, req)
        record(
            deps,
            uow,
            ctx,
            AuditAction.JIT_DENY,
            "jit-grant",
            req.id,
            before={"state": req.state},
            after={"state": denied.state, "comment": comment},
        )
        enqueue(uow, EventType.JIT_DENIED, jit_event(denied), deps=deps)
    return denied


def list_requests(
    deps: Deps,
    ctx: RequestContext,
    *,
    state: str | None = None,
    experiment: str | None = None,
) -> list[JitRecord]:
    """Reviewers and admins see every request; others see their own."""
    authorize(ctx.principal, Action.JIT_READ)
    if state is not None and state not in JIT_STATES:
        raise InvalidInput(
            "unknown request state",
            errors=[FieldError("state", f"{state!r} is not one of {', '.join(JIT_STATES)}")],
        )
    mine = None if ctx.principal.role.at_least(Role.REVIEWER) else ctx.principal.user_id
    with deps.uow(readonly=True) as uow:
        return uow.jit.query(requester_id=mine, experiment_key=experiment, state=state)


# --- the end of a grant -----------------------------------------------------------------------


def _end(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    grant: JitRecord,
    *,
    state: JitState,
    reason: str,
) -> JitRecord:
    ended = replace(grant, state=state, ended_at=deps.clock.now(), end_reason=reason)
    _save(uow, ended, grant)
    action = AuditAction.JIT_EXPIRE if state is JitState.EXPIRED else AuditAction.JIT_REVOKE
    record(
        deps,
        uow,
        ctx,
        action,
        "jit-grant",
        grant.id,
        before={"state": grant.state},
        after={"state": state, "ended_at": ended.ended_at.isoformat() if ended.ended_at else None},
        reason=reason,
    )
    event = EventType.JIT_EXPIRED if state is JitState.EXPIRED else EventType.JIT_REVOKED
    enqueue(uow, event, jit_event(ended), deps=deps)
    return ended


def revoke(deps: Deps, ctx: RequestContext, grant_id: str, reason: str | None = None) -> JitRecord:
    """End a grant early: by its holder, or by anyone who could have approved it."""
    authorize(ctx.principal, Action.JIT_REQUEST)
    with deps.uow() as uow:
        grant = _load(uow, grant_id)
        own = grant.requester_id == ctx.principal.user_id
        if not own and not ctx.principal.role.at_least(approver_role(grant.role)):
            raise Forbidden(
                f"{ctx.principal.username} may not revoke {grant.requester}'s grant",
                hint="The holder, or a user who could approve it, can revoke a grant.",
            )
        if grant.state != "active":
            raise StateConflict(f"grant {grant_id} is {grant.state}, not active")
        return _end(
            deps, uow, ctx, grant, state=JitState.REVOKED, reason=reason or "revoked manually"
        )


def revoke_for_experiment(
    deps: Deps, uow: UnitOfWork, ctx: RequestContext, key: str, left_stage: str
) -> list[str]:
    """Called by ``experiments.transition`` in its transaction when the experiment left a stage.

    Active grants for that stage are revoked; pending requests for it are denied (they could
    never be approved any more). Returns the ids of both.
    """
    exp = uow.experiments.get_by_key(key)
    reason = f"the experiment left {left_stage} (now {exp.state if exp else 'gone'})"
    ended = []
    for req in uow.jit.query(experiment_key=key):
        if req.stage != left_stage:
            continue
        if req.state == "active":
            _end(deps, uow, ctx, req, state=JitState.REVOKED, reason=reason)
            ended.append(req.id)
        elif req.state == "pending":
            closed = replace(
                req,
                state=JitState.DENIED,
                decided_by="system",
                decision_comment=reason,
                decided_at=deps.clock.now(),
            )
            _save(uow, closed, req)
            record(
                deps,
                uow,
                ctx,
                AuditAction.JIT_DENY,
                "jit-grant",
                req.id,
                before={"state": req.state},
                after={"state": closed.state},
                reason=reason,
            )
            enqueue(uow, EventType.JIT_DENIED, jit_event(closed), deps=deps)
            ended.append(req.id)
    return ended


def expire_due(deps: Deps) -> list[str]:
    """The periodic job: mark grants past their time as expired, and revoke any grant whose
    experiment is no longer at the granted stage (a state change that bypassed ``transition``)."""
    ctx = RequestContext(SYSTEM, actor_override="system:jit-expiry")
    ended: list[str] = []
    with deps.uow() as uow:
        now = deps.clock.now()
        for grant in uow.jit.query(state="active"):
            if grant.expires_at is not None and grant.expires_at <= now:
                reason = f"granted for {format_duration(timedelta(seconds=grant.duration_seconds))}"
                _end(deps, uow, ctx, grant, state=JitState.EXPIRED, reason=reason)
                ended.append(grant.id)
                continue
            exp = uow.experiments.get_by_key(grant.experiment_key)
            if exp is None or exp.state != grant.stage:
                now_state = exp.state if exp else "gone"
                reason = f"the experiment left {grant.stage} (now {now_state})"
                _end(deps, uow, ctx, grant, state=JitState.REVOKED, reason=reason)
                ended.append(grant.id)
    return ended


# --- enforcement ------------------------------------------------------------------------------


def effective_context(
    deps: Deps, uow: UnitOfWork, ctx: RequestContext, exp: ExperimentRecord
) -> RequestContext:
    """``ctx`` acting with its best effective grant on ``exp`` (checked against ``deps.clock``)."""
    principal = ctx.principal
    grants = uow.jit.query(requester_id=principal.user_id, experiment_key=exp.key, state="active")
    if not grants:
        return ctx
    user = uow.users.get(principal.user_id)
    if user is None or user.disabled or principal.role != user.role:
        return ctx  # a token scoped below its user's role stays scoped
    elevated, grant = elevate(
        principal,
        [_view(g) for g in grants],
        key=exp.key,
        stage=exp.state,
        owner_team=exp.owner_team,
        now=deps.clock.now(),
    )
    if grant is None:
        return ctx
    record(
        deps,
        uow,
        ctx,
        AuditAction.JIT_USE,
        "jit-grant",
        grant.id,
        after={
            "experiment": exp.key,
            "stage": exp.state,
            "base_role": principal.role.value,
            "acting_role": elevated.role.value,
        },
    )
    return replace(ctx, principal=elevated)
