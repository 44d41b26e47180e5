"""Loading a flag set and writing its next revision, directly or as a change request.

Every write path of the feature ends here: a change to a flag set whose policy requires approval
(production by default) becomes a change request that a reviewer other than its author approves;
see ``sluicegate.domain.flags`` for the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sluicegate.domain.access.identity import require_team
from sluicegate.domain.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
)
from sluicegate.domain.events import AuditAction
from sluicegate.domain.flags import ChangeRequestState, diff_documents, requires_approval
from sluicegate.flags import FlagDefinitionError, compile_flag_set
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.flags.payloads import change_request_payload
from sluicegate.service.flags.ports import (
    FlagChangeRequestRecord,
    FlagRevisionRecord,
    FlagSetRecord,
)
from sluicegate.service.flags.views import entity_name
from sluicegate.service.ports import UnitOfWork

__all__ = [
    "Change",
    "validate_document",
]


@dataclass(frozen=True, slots=True)
class Change:
    """What a write did: a new revision, a change request, or nothing (same content)."""

    flag_set: FlagSetRecord
    revision: FlagRevisionRecord | None = None
    change_request: FlagChangeRequestRecord | None = None


def validate_document(document: object) -> tuple[dict[str, Any], str]:
    """Compile a flagd document; refuse it with the engine's JSON pointer as the field."""
    if not isinstance(document, Mapping):
        raise InvalidInput(
            "a flag set must be a JSON object",
            errors=[FieldError("/", "expected a flagd document object")],
        )
    try:
        compiled = compile_flag_set(document)
    except FlagDefinitionError as exc:
        raise InvalidInput(
            f"invalid flag set: {exc.reason} at {exc.pointer or '/'}",
            hint="Fix the value at the JSON pointer; docs/flags.md describes the format.",
            errors=[FieldError(exc.pointer or "/", exc.reason)],
        ) from exc
    except RecursionError as exc:
        raise InvalidInput(
            "the flag set is nested too deeply", errors=[FieldError("/", "nesting too deep")]
        ) from exc
    return dict(document), compiled.revision


def load_set(uow: UnitOfWork, name: str, environment: str) -> FlagSetRecord:
    fs = uow.flags.get_set(name, environment)
    if fs is None:
        raise NotFound(
            f"flag set {name!r} not found in environment {environment!r}",
            hint="`sluice flags list` shows flag sets and their environments.",
        )
    return fs


def write_revision(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    fs: FlagSetRecord,
    document: dict[str, Any],
    revision: str,
    *,
    source: str,
    reason: str | None,
    rollback_of: int | None = None,
    change_request_id: str | None = None,
) -> tuple[FlagSetRecord, FlagRevisionRecord]:
    now = deps.clock.now()
    diff = diff_documents(fs.document, document)
    rev = FlagRevisionRecord(
        id=deps.ids.new_id(),
        flag_set_id=fs.id,
        seq=fs.head_seq + 1,
        revision=revision,
        document=document,
        diff=diff,
        actor=ctx.actor,
        reason=reason,
        source=source,
        rollback_of=rollback_of,
        change_request_id=change_request_id,
        created_at=now,
    )
    moved = replace(fs, head_seq=rev.seq, revision=revision, document=document, updated_at=now)
    if not uow.flags.move_head(moved, fs.head_seq):
        raise Conflict(f"flag set {entity_name(fs)} was changed by someone else; reload and retry")
    uow.flags.add_revision(rev)
    record(
        deps,
        uow,
        ctx,
        AuditAction.FLAG_SET_REVISE,
        "flag-set",
        entity_name(fs),
        before={"number": fs.head_seq, "revision": fs.revision},
        after={
            "number": rev.seq,
            "revision": revision,
            "source": source,
            "rollback_of": rollback_of,
            "change_request": change_request_id,
            "diff": diff,
        },
        reason=reason,
    )
    return moved, rev


def open_change_request(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    fs: FlagSetRecord,
    document: dict[str, Any],
    *,
    reason: str | None,
    apply_at: datetime | None,
    rollback_of: int | None,
) -> FlagChangeRequestRecord:
    now = deps.clock.now()
    governed = requires_approval(fs.environment, fs.policy)
    cr = FlagChangeRequestRecord(
        id=deps.ids.new_id(),
        flag_set_id=fs.id,
        state=ChangeRequestState.PENDING if governed else ChangeRequestState.APPROVED,
        base_seq=fs.head_seq,
        document=document,
        diff=diff_documents(fs.document, document),
        author_id=ctx.principal.user_id,
        author=ctx.principal.username,
        reason=reason,
        rollback_of=rollback_of,
        reviewer=None,
        review_comment=None,
        apply_at=apply_at,
        applied_seq=None,
        created_at=now,
        updated_at=now,
    )
    uow.flags.add_change_request(cr)
    record(
        deps,
        uow,
        ctx,
        AuditAction.FLAG_CHANGE_CREATE,
        "flag-change",
        cr.id,
        after={"flag_set": entity_name(fs), **change_request_payload(cr)},
        reason=reason,
    )
    return cr


def submit_change(
    deps: Deps,
    ctx: RequestContext,
    name: str,
    environment: str,
    doc: dict[str, Any],
    revision: str,
    *,
    reason: str | None,
    expected_revision: int | None,
    apply_at: datetime | None,
    rollback_of: int | None,
    ungoverned: bool = False,
) -> Change:
    if apply_at is not None and apply_at.tzinfo is None:
        raise InvalidInput("apply_at needs a time zone", errors=[FieldError("apply_at", "naive")])
    with deps.uow() as uow:
        fs = load_set(uow, name, environment)
        require_team(ctx.principal, fs.owner_team, "flag sets")
        if expected_revision is not None and expected_revision != fs.head_seq:
            raise Conflict(
                f"flag set {entity_name(fs)} is at revision {fs.head_seq}, not {expected_revision}"
            )
        if revision == fs.revision:
            return Change(fs)
        if apply_at is None and (ungoverned or not requires_approval(fs.environment, fs.policy)):
            source = "rollback" if rollback_of is not None or ungoverned else "change"
            fs, rev = write_revision(
                deps,
                uow,
                ctx,
                fs,
                doc,
                revision,
                source=source,
                reason=reason,
                rollback_of=rollback_of,
            )
            return Change(fs, rev)
        cr = open_change_request(
            deps, uow, ctx, fs, doc, reason=reason, apply_at=apply_at, rollback_of=rollback_of
        )
        return Change(fs, None, cr)
