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
from sluicegate.domain.flags import (
    ChangeRequestState,
    diff_documents,
    findings_mode,
    new_findings,
    refused_findings,
    requires_approval,
)
from sluicegate.flags import Finding, FlagDefinitionError, check_flag_set, compile_flag_set
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
    "check_document",
    "refuse_new_findings",
    "stored_findings",
    "validate_document",
]


@dataclass(frozen=True, slots=True)
class Change:
    """What a write did: a new revision, a change request, or nothing (same content).

    ``findings`` are the problems of the written document (each with its JSON pointer);
    ``new_findings`` those the flag set's previous revision did not have.
    """

    flag_set: FlagSetRecord
    revision: FlagRevisionRecord | None = None
    change_request: FlagChangeRequestRecord | None = None
    findings: tuple[Finding, ...] = ()
    new_findings: tuple[Finding, ...] = ()


def check_document(document: object) -> tuple[dict[str, Any], str, tuple[Finding, ...]]:
    """Compile a flagd document: the document, its revision hash and its findings.

    A document that cannot be loaded at all is refused, naming every such problem with the
    engine's JSON pointer as the field.
    """
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
            errors=[FieldError(f.pointer or "/", f.reason) for f in exc.findings],
        ) from exc
    except RecursionError as exc:
        raise InvalidInput(
            "the flag set is nested too deeply", errors=[FieldError("/", "nesting too deep")]
        ) from exc
    return dict(document), compiled.revision, compiled.findings


def validate_document(document: object) -> tuple[dict[str, Any], str]:
    """Compile a flagd document; refuse it with the engine's JSON pointer as the field."""
    doc, revision, _findings = check_document(document)
    return doc, revision


def stored_findings(document: Mapping[str, Any]) -> tuple[Finding, ...]:
    """The findings of a document already stored (never refused: it is history)."""
    try:
        return check_flag_set(document)
    except RecursionError:
        return ()


def refuse_new_findings(fs: FlagSetRecord, findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Refuse the write when the flag set refuses new findings; else the new findings."""
    existing = stored_findings(fs.document)
    refused = refused_findings(fs.environment, fs.policy, findings, existing)
    if refused:
        mode = findings_mode(fs.environment, fs.policy)
        raise InvalidInput(
            f"{len(refused)} new problem(s) in the flag set {entity_name(fs)} "
            f"(policy findings: {mode.value})",
            hint=(
                "Fix the values at the JSON pointers, or have an admin set the flag set's policy "
                'to {"findings": "warn"}; docs/flags.md lists what each problem does.'
            ),
            errors=[FieldError(f.pointer or "/", f"{f.reason} ({f.effect})") for f in refused],
        )
    return new_findings(findings, existing)


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
    findings: tuple[Finding, ...] = (),
) -> Change:
    """Write ``doc`` as the next revision, or as a change request when governed or scheduled.

    New findings are refused when the flag set's policy refuses them; a rollback restores a
    revision the set already had and only reports its findings.
    """
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
            return Change(fs, findings=findings)
        if rollback_of is not None or ungoverned:
            fresh = new_findings(findings, stored_findings(fs.document))
        else:
            fresh = refuse_new_findings(fs, findings)
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
            return Change(fs, rev, findings=findings, new_findings=fresh)
        cr = open_change_request(
            deps, uow, ctx, fs, doc, reason=reason, apply_at=apply_at, rollback_of=rollback_of
        )
        return Change(fs, None, cr, findings=findings, new_findings=fresh)
