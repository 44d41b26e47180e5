"""Four-eyes change requests: list, approve, reject, apply now or at their scheduled time."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sluicegate.domain.access.identity import Action, authorize, require_team
from sluicegate.domain.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    SelfApproval,
    StateConflict,
)
from sluicegate.domain.events import AuditAction
from sluicegate.domain.flags import ChangeRequestState, check_change_request
from sluicegate.service.auditing import record
from sluicegate.service.context import SYSTEM, Deps, RequestContext
from sluicegate.service.flags.ports import (
    FlagChangeRequestRecord,
    FlagRevisionRecord,
    FlagSetRecord,
)
from sluicegate.service.flags.revisions import Change, load_set, validate_document, write_revision
from sluicegate.service.flags.views import entity_name
from sluicegate.service.ports import UnitOfWork

__all__ = [
    "apply_change_request",
    "apply_due",
    "approve",
    "get_change_request",
    "list_change_requests",
    "reject",
    "write_change_request",
]


_SCHEDULER = RequestContext(SYSTEM, actor_override="system:flag-scheduler")


def write_change_request(
    uow: UnitOfWork,
    old: FlagChangeRequestRecord,
    to: ChangeRequestState,
    **changes: Any,
) -> FlagChangeRequestRecord | None:
    """The one writer of a change request's state, in the caller's transaction.

    :func:`~sluicegate.domain.flags.check_change_request` rules on the move; the write is a
    compare-and-set on the state read, so this returns None when someone else moved it first.
    """
    check_change_request(old.state, to)
    new = replace(old, state=to, **changes)
    return new if uow.flags.update_change_request(new, old.state) else None


def _load_request(uow: UnitOfWork, fs: FlagSetRecord, request_id: str) -> FlagChangeRequestRecord:
    cr = uow.flags.get_change_request(request_id)
    if cr is None or cr.flag_set_id != fs.id:
        raise NotFound(f"change request {request_id!r} not found for {entity_name(fs)}")
    return cr


def list_change_requests(
    deps: Deps, ctx: RequestContext, name: str, environment: str, state: str | None = None
) -> list[FlagChangeRequestRecord]:
    authorize(ctx.principal, Action.FLAG_READ)
    if state is not None and state not in {s.value for s in ChangeRequestState}:
        raise InvalidInput(
            f"unknown state {state!r}",
            errors=[FieldError("state", ", ".join(s.value for s in ChangeRequestState))],
        )
    with deps.uow(readonly=True) as uow:
        return uow.flags.change_requests(load_set(uow, name, environment).id, state)


def get_change_request(
    deps: Deps, ctx: RequestContext, name: str, environment: str, request_id: str
) -> FlagChangeRequestRecord:
    authorize(ctx.principal, Action.FLAG_READ)
    with deps.uow(readonly=True) as uow:
        return _load_request(uow, load_set(uow, name, environment), request_id)


def _decide(
    deps: Deps,
    ctx: RequestContext,
    name: str,
    environment: str,
    request_id: str,
    to: ChangeRequestState,
    comment: str,
) -> FlagChangeRequestRecord:
    with deps.uow() as uow:
        fs = load_set(uow, name, environment)
        cr = _load_request(uow, fs, request_id)
        own = cr.author_id == ctx.principal.user_id
        if to is ChangeRequestState.APPROVED and own:
            raise SelfApproval(
                f"{ctx.principal.username} wrote change request {request_id} and cannot approve it"
            )
        if cr.state != ChangeRequestState.PENDING:
            raise StateConflict(f"change request {request_id} is {cr.state}, not pending")
        decided = write_change_request(
            uow,
            cr,
            to,
            reviewer=ctx.principal.username,
            review_comment=comment,
            updated_at=deps.clock.now(),
        )
        if decided is None:
            raise Conflict(f"change request {request_id} was decided by someone else")
        record(
            deps,
            uow,
            ctx,
            (
                AuditAction.FLAG_CHANGE_APPROVE
                if to is ChangeRequestState.APPROVED
                else AuditAction.FLAG_CHANGE_REJECT
            ),
            "flag-change",
            cr.id,
            before={"state": cr.state},
            after={"state": decided.state, "flag_set": entity_name(fs), "comment": comment},
        )
    return decided


def approve(
    deps: Deps,
    ctx: RequestContext,
    name: str,
    environment: str,
    request_id: str,
    comment: str = "",
) -> FlagChangeRequestRecord:
    """Four-eyes: a reviewer (or admin) other than the author approves a pending request."""
    authorize(ctx.principal, Action.FLAG_APPROVE)
    return _decide(deps, ctx, name, environment, request_id, ChangeRequestState.APPROVED, comment)


def reject(
    deps: Deps,
    ctx: RequestContext,
    name: str,
    environment: str,
    request_id: str,
    comment: str = "",
) -> FlagChangeRequestRecord:
    """A reviewer rejects a pending request; its author may withdraw it the same way."""
    with deps.uow(readonly=True) as uow:
        cr = _load_request(uow, load_set(uow, name, environment), request_id)
    own = cr.author_id == ctx.principal.user_id
    authorize(ctx.principal, Action.FLAG_WRITE if own else Action.FLAG_APPROVE)
    return _decide(deps, ctx, name, environment, request_id, ChangeRequestState.REJECTED, comment)


def _apply(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    fs: FlagSetRecord,
    cr: FlagChangeRequestRecord,
) -> tuple[FlagSetRecord, FlagRevisionRecord]:
    doc, revision = validate_document(cr.document)
    fs, rev = write_revision(
        deps,
        uow,
        ctx,
        fs,
        doc,
        revision,
        source="rollback" if cr.rollback_of is not None else "change-request",
        reason=cr.reason,
        rollback_of=cr.rollback_of,
        change_request_id=cr.id,
    )
    applied = write_change_request(
        uow, cr, ChangeRequestState.APPLIED, applied_seq=rev.seq, updated_at=rev.created_at
    )
    if applied is None:
        raise Conflict(f"change request {cr.id} was changed by someone else")
    return fs, rev


def apply_change_request(
    deps: Deps, ctx: RequestContext, name: str, environment: str, request_id: str
) -> Change:
    """Apply an approved request now (a scheduled one is applied by the scheduler when due)."""
    authorize(ctx.principal, Action.FLAG_WRITE)
    with deps.uow() as uow:
        fs = load_set(uow, name, environment)
        require_team(ctx.principal, fs.owner_team, "flag sets")
        cr = _load_request(uow, fs, request_id)
        if cr.state != ChangeRequestState.APPROVED:
            raise StateConflict(
                f"change request {request_id} is {cr.state}; only approved requests apply",
                hint="A reviewer other than the author runs `sluice flags request approve`.",
            )
        if cr.apply_at is not None and cr.apply_at > deps.clock.now():
            raise StateConflict(
                f"change request {request_id} is scheduled for {cr.apply_at.isoformat()}",
                hint="The scheduler applies it then.",
            )
        if cr.base_seq != fs.head_seq:
            raise Conflict(
                f"change request {request_id} was written against revision {cr.base_seq}, "
                f"but {entity_name(fs)} is at revision {fs.head_seq}",
                hint="Create a new change request on top of the current revision.",
            )
        fs, rev = _apply(deps, uow, ctx, fs, cr)
    return Change(fs, rev)


def apply_due(deps: Deps) -> list[tuple[str, str]]:
    """The scheduler job: apply approved requests whose ``apply_at`` has passed.

    Each request is applied in its own transaction; one whose base revision is no longer current
    becomes ``superseded``. Returns the (name, environment) of every flag set that changed.
    """
    with deps.uow(readonly=True) as uow:
        due = uow.flags.due_change_requests(deps.clock.now())
    changed: list[tuple[str, str]] = []
    for pending in due:
        try:
            applied = _apply_one_due(deps, pending.id)
        except Conflict:
            # Another replica's scheduler (or a person) changed the flag set or the request
            # first; the next run sees the new state and supersedes or skips the request.
            continue
        if applied is not None:
            changed.append(applied)
    return changed


def _apply_one_due(deps: Deps, request_id: str) -> tuple[str, str] | None:
    with deps.uow() as uow:
        cr = uow.flags.get_change_request(request_id)
        fs = uow.flags.get_set_by_id(cr.flag_set_id) if cr is not None else None
        if cr is None or fs is None or cr.state != ChangeRequestState.APPROVED:
            return None
        if cr.base_seq != fs.head_seq:
            stale = write_change_request(
                uow, cr, ChangeRequestState.SUPERSEDED, updated_at=deps.clock.now()
            )
            if stale is None:
                raise Conflict(f"change request {cr.id} was changed by someone else")
            record(
                deps,
                uow,
                _SCHEDULER,
                AuditAction.FLAG_CHANGE_SUPERSEDE,
                "flag-change",
                cr.id,
                before={"state": cr.state},
                after={"state": stale.state, "head": fs.head_seq, "base": cr.base_seq},
            )
            return None
        _apply(deps, uow, _SCHEDULER, fs, cr)
        return fs.name, fs.environment
