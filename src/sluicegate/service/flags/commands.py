"""Flag-set use cases: revisions, rollback, change requests, scoped tokens, evaluation access.

Every write runs in one transaction with its audit event. A change to a flag set whose policy
requires approval (production by default) becomes a change request that a reviewer other than its
author approves; see ``sluicegate.domain.flagsets`` for the rules.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sluicegate.domain.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    SelfApproval,
    Unauthenticated,
)
from sluicegate.domain.flagsets import (
    EMPTY_DOCUMENT,
    ChangeRequestState,
    diff_documents,
    diff_summary,
    parse_policy,
    requires_approval,
    validate_name,
)
from sluicegate.domain.identity import Action, authorize, require_team
from sluicegate.flags import FlagDefinitionError, compile_flag_set
from sluicegate.service.access.identity import authenticate, hash_token
from sluicegate.service.auditing import record
from sluicegate.service.context import SYSTEM, Deps, RequestContext
from sluicegate.service.flags.ports import (
    FlagChangeRequestRecord,
    FlagHead,
    FlagRevisionRecord,
    FlagSetRecord,
    FlagTokenRecord,
)
from sluicegate.service.ports import UnitOfWork

__all__ = [
    "FLAG_TOKEN_PREFIX",
    "Access",
    "Change",
    "apply_change_request",
    "apply_due",
    "approve",
    "change_request_dict",
    "create",
    "current_head",
    "diff_preview",
    "flag_set_dict",
    "get",
    "get_change_request",
    "get_revision",
    "history",
    "issue_token",
    "list_change_requests",
    "list_sets",
    "list_tokens",
    "load_current",
    "put_document",
    "reject",
    "resolve_access",
    "revision_dict",
    "revoke_token",
    "rollback",
    "token_dict",
    "update_settings",
    "validate_document",
]

#: Flag-scoped tokens start with this prefix; the API refuses them outside OFREP and sync.
FLAG_TOKEN_PREFIX = "sgf_"  # noqa: S105 - the public prefix of scoped tokens, not a secret

_SCHEDULER = RequestContext(SYSTEM, actor_override="system:flag-scheduler")


@dataclass(frozen=True, slots=True)
class Change:
    """What a write did: a new revision, a change request, or nothing (same content)."""

    flag_set: FlagSetRecord
    revision: FlagRevisionRecord | None = None
    change_request: FlagChangeRequestRecord | None = None


@dataclass(frozen=True, slots=True)
class Access:
    """Who may evaluate or sync which flag set; ``rate_key`` identifies the token for limits."""

    rate_key: str
    flag_set: str
    environment: str
    head: FlagHead | None
    scoped: bool


# -- views ---------------------------------------------------------------------------------------


def _entity(fs: FlagSetRecord) -> str:
    return f"{fs.name}/{fs.environment}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def flag_set_dict(fs: FlagSetRecord, *, document: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": fs.name,
        "environment": fs.environment,
        "owner_team": fs.owner_team,
        "experiment": fs.experiment_key,
        "policy": fs.policy,
        "requires_approval": requires_approval(fs.environment, fs.policy),
        "revision_number": fs.head_seq,
        "revision": fs.revision,
        "flag_count": len(fs.document.get("flags", {})),
        "created_at": fs.created_at.isoformat(),
        "updated_at": fs.updated_at.isoformat(),
    }
    if document:
        out["document"] = fs.document
    return out


def revision_dict(rev: FlagRevisionRecord, *, document: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "number": rev.seq,
        "revision": rev.revision,
        "actor": rev.actor,
        "reason": rev.reason,
        "source": rev.source,
        "rollback_of": rev.rollback_of,
        "change_request": rev.change_request_id,
        "created_at": rev.created_at.isoformat(),
        "summary": diff_summary(rev.diff),
        "diff": rev.diff,
    }
    if document:
        out["document"] = rev.document
    return out


def change_request_dict(cr: FlagChangeRequestRecord, *, document: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": cr.id,
        "state": cr.state,
        "base_revision_number": cr.base_seq,
        "author": cr.author,
        "reason": cr.reason,
        "rollback_of": cr.rollback_of,
        "reviewer": cr.reviewer,
        "review_comment": cr.review_comment,
        "apply_at": _iso(cr.apply_at),
        "applied_revision_number": cr.applied_seq,
        "created_at": cr.created_at.isoformat(),
        "updated_at": cr.updated_at.isoformat(),
        "summary": diff_summary(cr.diff),
        "diff": cr.diff,
    }
    if document:
        out["document"] = cr.document
    return out


def token_dict(t: FlagTokenRecord, fs: FlagSetRecord) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "flag_set": fs.name,
        "environment": fs.environment,
        "created_at": t.created_at.isoformat(),
        "expires_at": _iso(t.expires_at),
        "revoked_at": _iso(t.revoked_at),
    }


# -- validation and loading ----------------------------------------------------------------------


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


def _load(uow: UnitOfWork, name: str, environment: str) -> FlagSetRecord:
    fs = uow.flags.get_set(name, environment)
    if fs is None:
        raise NotFound(
            f"flag set {name!r} not found in environment {environment!r}",
            hint="`sluice flags list` shows flag sets and their environments.",
        )
    return fs


def _revise(
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
        raise Conflict(f"flag set {_entity(fs)} was changed by someone else; reload and retry")
    uow.flags.add_revision(rev)
    record(
        deps,
        uow,
        ctx,
        "flag-set.revise",
        "flag-set",
        _entity(fs),
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


def _request(
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
        state=(ChangeRequestState.PENDING if governed else ChangeRequestState.APPROVED).value,
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
        "flag-change.create",
        "flag-change",
        cr.id,
        after={"flag_set": _entity(fs), **change_request_dict(cr)},
        reason=reason,
    )
    return cr


# -- flag sets -----------------------------------------------------------------------------------


def create(
    deps: Deps,
    ctx: RequestContext,
    *,
    name: str,
    environment: str,
    owner_team: str,
    experiment: str | None = None,
    policy: object = None,
    document: object = None,
    reason: str | None = None,
) -> Change:
    """Create a flag set; with approval required, a non-empty document becomes a change request."""
    authorize(ctx.principal, Action.FLAG_WRITE)
    validate_name(name, "name")
    validate_name(environment, "environment")
    parsed_policy = parse_policy(policy)
    if requires_approval(environment, {}) and not requires_approval(environment, parsed_policy):
        authorize(ctx.principal, Action.FLAG_POLICY)
    doc, revision = validate_document(EMPTY_DOCUMENT if document is None else document)
    empty, empty_revision = validate_document(EMPTY_DOCUMENT)
    with deps.uow() as uow:
        if uow.teams.get_by_key(owner_team) is None:
            raise InvalidInput(
                f"unknown team {owner_team!r}", errors=[FieldError("owner_team", "no such team")]
            )
        require_team(ctx.principal, owner_team, "flag sets")
        if experiment is not None and uow.experiments.get_by_key(experiment) is None:
            raise InvalidInput(
                f"unknown experiment {experiment!r}",
                errors=[FieldError("experiment", "no such experiment")],
            )
        if uow.flags.get_set(name, environment) is not None:
            raise Conflict(f"flag set {name}/{environment} already exists")
        now = deps.clock.now()
        fs = FlagSetRecord(
            id=deps.ids.new_id(),
            name=name,
            environment=environment,
            owner_team=owner_team,
            experiment_key=experiment,
            policy=parsed_policy,
            head_seq=0,
            revision="",
            document=dict(EMPTY_DOCUMENT),
            created_at=now,
            updated_at=now,
        )
        uow.flags.add_set(fs)
        record(
            deps,
            uow,
            ctx,
            "flag-set.create",
            "flag-set",
            _entity(fs),
            after=flag_set_dict(fs, document=False),
            reason=reason,
        )
        governed = requires_approval(environment, parsed_policy)
        first, first_rev = (empty, empty_revision) if governed else (doc, revision)
        fs, rev = _revise(
            deps, uow, ctx, fs, first, first_rev, source="create", reason=reason or "created"
        )
        cr = None
        if governed and revision != empty_revision:
            cr = _request(deps, uow, ctx, fs, doc, reason=reason, apply_at=None, rollback_of=None)
    return Change(fs, rev, cr)


def get(deps: Deps, ctx: RequestContext, name: str, environment: str) -> FlagSetRecord:
    authorize(ctx.principal, Action.FLAG_READ)
    with deps.uow(readonly=True) as uow:
        return _load(uow, name, environment)


def list_sets(
    deps: Deps, ctx: RequestContext, name: str | None = None, team: str | None = None
) -> list[FlagSetRecord]:
    authorize(ctx.principal, Action.FLAG_READ)
    with deps.uow(readonly=True) as uow:
        return uow.flags.list_sets(name=name, team=team)


def put_document(
    deps: Deps,
    ctx: RequestContext,
    name: str,
    environment: str,
    document: object,
    *,
    reason: str | None = None,
    expected_revision: int | None = None,
    apply_at: datetime | None = None,
    automatic_rollback: bool = False,
) -> Change:
    """Replace the flag set's document: a new revision now, or a change request when governed
    or scheduled. The same content again changes nothing.

    ``automatic_rollback`` (the rollout controller only, never over the API): restore a flag
    as it was before a failing rollout now, even in a governed set. Waiting for a second pair of
    eyes would leave a bad canary serving; the revision says why it skipped the request.
    """
    authorize(ctx.principal, Action.FLAG_WRITE)
    if automatic_rollback and ctx.principal.user_id != SYSTEM.user_id:
        raise Forbidden("only the rollout controller applies automatic rollbacks")
    doc, revision = validate_document(document)
    return _change(
        deps,
        ctx,
        name,
        environment,
        doc,
        revision,
        reason=reason,
        expected_revision=expected_revision,
        apply_at=apply_at,
        rollback_of=None,
        ungoverned=automatic_rollback,
    )


def _change(
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
        fs = _load(uow, name, environment)
        require_team(ctx.principal, fs.owner_team, "flag sets")
        if expected_revision is not None and expected_revision != fs.head_seq:
            raise Conflict(
                f"flag set {_entity(fs)} is at revision {fs.head_seq}, not {expected_revision}"
            )
        if revision == fs.revision:
            return Change(fs)
        if apply_at is None and (ungoverned or not requires_approval(fs.environment, fs.policy)):
            source = "rollback" if rollback_of is not None or ungoverned else "change"
            fs, rev = _revise(
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
        cr = _request(
            deps, uow, ctx, fs, doc, reason=reason, apply_at=apply_at, rollback_of=rollback_of
        )
        return Change(fs, None, cr)


def rollback(
    deps: Deps,
    ctx: RequestContext,
    name: str,
    environment: str,
    to: int,
    *,
    reason: str | None = None,
    apply_at: datetime | None = None,
) -> Change:
    """Back to any earlier revision in one step: a new revision (or request) with its content."""
    authorize(ctx.principal, Action.FLAG_WRITE)
    with deps.uow(readonly=True) as uow:
        fs = _load(uow, name, environment)
        target = uow.flags.get_revision(fs.id, to)
    if target is None:
        raise NotFound(
            f"{name}/{environment} has no revision {to}",
            hint="`sluice flags history` lists the revisions.",
        )
    return _change(
        deps,
        ctx,
        name,
        environment,
        target.document,
        target.revision,
        reason=reason or f"rollback to revision {to}",
        expected_revision=None,
        apply_at=apply_at,
        rollback_of=to,
    )


def history(
    deps: Deps, ctx: RequestContext, name: str, environment: str, limit: int = 100
) -> list[FlagRevisionRecord]:
    authorize(ctx.principal, Action.FLAG_READ)
    with deps.uow(readonly=True) as uow:
        return uow.flags.revisions(_load(uow, name, environment).id, limit)


def get_revision(
    deps: Deps, ctx: RequestContext, name: str, environment: str, number: int
) -> FlagRevisionRecord:
    authorize(ctx.principal, Action.FLAG_READ)
    with deps.uow(readonly=True) as uow:
        rev = uow.flags.get_revision(_load(uow, name, environment).id, number)
    if rev is None:
        raise NotFound(f"{name}/{environment} has no revision {number}")
    return rev


def diff_preview(
    deps: Deps, ctx: RequestContext, name: str, environment: str, document: object
) -> dict[str, Any]:
    """What applying ``document`` would change, without storing anything."""
    authorize(ctx.principal, Action.FLAG_READ)
    doc, revision = validate_document(document)
    fs = get(deps, ctx, name, environment)
    diff = diff_documents(fs.document, doc)
    return {
        "from_revision_number": fs.head_seq,
        "unchanged": revision == fs.revision,
        "summary": diff_summary(diff),
        "diff": diff,
    }


def update_settings(
    deps: Deps,
    ctx: RequestContext,
    name: str,
    environment: str,
    changes: Mapping[str, Any],
    *,
    reason: str | None = None,
) -> FlagSetRecord:
    """Change the policy (admin) or the linked experiment (the owner team)."""
    unknown = set(changes) - {"policy", "experiment"}
    if unknown or not changes:
        field = sorted(unknown)[0] if unknown else "body"
        raise InvalidInput(
            "only policy and experiment can change",
            errors=[FieldError(field, "not changeable (use policy or experiment)")],
        )
    authorize(ctx.principal, Action.FLAG_POLICY if "policy" in changes else Action.FLAG_WRITE)
    policy = parse_policy(changes["policy"]) if "policy" in changes else None
    with deps.uow() as uow:
        fs = _load(uow, name, environment)
        require_team(ctx.principal, fs.owner_team, "flag sets")
        experiment = changes.get("experiment", fs.experiment_key)
        if experiment is not None and (
            not isinstance(experiment, str) or uow.experiments.get_by_key(experiment) is None
        ):
            raise InvalidInput(
                f"unknown experiment {experiment!r}",
                errors=[FieldError("experiment", "no such experiment")],
            )
        updated = replace(
            fs,
            policy=fs.policy if policy is None else policy,
            experiment_key=experiment,
            updated_at=deps.clock.now(),
        )
        uow.flags.update_settings(updated)
        record(
            deps,
            uow,
            ctx,
            "flag-set.settings",
            "flag-set",
            _entity(fs),
            before={"policy": fs.policy, "experiment": fs.experiment_key},
            after={"policy": updated.policy, "experiment": updated.experiment_key},
            reason=reason,
        )
    return updated


# -- change requests -----------------------------------------------------------------------------


def _load_request(uow: UnitOfWork, fs: FlagSetRecord, request_id: str) -> FlagChangeRequestRecord:
    cr = uow.flags.get_change_request(request_id)
    if cr is None or cr.flag_set_id != fs.id:
        raise NotFound(f"change request {request_id!r} not found for {_entity(fs)}")
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
        return uow.flags.change_requests(_load(uow, name, environment).id, state)


def get_change_request(
    deps: Deps, ctx: RequestContext, name: str, environment: str, request_id: str
) -> FlagChangeRequestRecord:
    authorize(ctx.principal, Action.FLAG_READ)
    with deps.uow(readonly=True) as uow:
        return _load_request(uow, _load(uow, name, environment), request_id)


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
        fs = _load(uow, name, environment)
        cr = _load_request(uow, fs, request_id)
        own = cr.author_id == ctx.principal.user_id
        if to is ChangeRequestState.APPROVED and own:
            raise SelfApproval(
                f"{ctx.principal.username} wrote change request {request_id} and cannot approve it"
            )
        if cr.state != ChangeRequestState.PENDING.value:
            raise Conflict(f"change request {request_id} is {cr.state}, not pending")
        decided = replace(
            cr,
            state=to.value,
            reviewer=ctx.principal.username,
            review_comment=comment,
            updated_at=deps.clock.now(),
        )
        if not uow.flags.update_change_request(decided, cr.state):
            raise Conflict(f"change request {request_id} was decided by someone else")
        verb = "approve" if to is ChangeRequestState.APPROVED else "reject"
        record(
            deps,
            uow,
            ctx,
            f"flag-change.{verb}",
            "flag-change",
            cr.id,
            before={"state": cr.state},
            after={"state": decided.state, "flag_set": _entity(fs), "comment": comment},
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
        cr = _load_request(uow, _load(uow, name, environment), request_id)
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
    fs, rev = _revise(
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
    applied = replace(
        cr, state=ChangeRequestState.APPLIED.value, applied_seq=rev.seq, updated_at=rev.created_at
    )
    if not uow.flags.update_change_request(applied, cr.state):
        raise Conflict(f"change request {cr.id} was changed by someone else")
    return fs, rev


def apply_change_request(
    deps: Deps, ctx: RequestContext, name: str, environment: str, request_id: str
) -> Change:
    """Apply an approved request now (a scheduled one is applied by the scheduler when due)."""
    authorize(ctx.principal, Action.FLAG_WRITE)
    with deps.uow() as uow:
        fs = _load(uow, name, environment)
        require_team(ctx.principal, fs.owner_team, "flag sets")
        cr = _load_request(uow, fs, request_id)
        if cr.state != ChangeRequestState.APPROVED.value:
            raise Conflict(
                f"change request {request_id} is {cr.state}; only approved requests apply",
                hint="A reviewer other than the author runs `sluice flags request approve`.",
            )
        if cr.apply_at is not None and cr.apply_at > deps.clock.now():
            raise Conflict(
                f"change request {request_id} is scheduled for {cr.apply_at.isoformat()}",
                hint="The scheduler applies it then.",
            )
        if cr.base_seq != fs.head_seq:
            raise Conflict(
                f"change request {request_id} was written against revision {cr.base_seq}, "
                f"but {_entity(fs)} is at revision {fs.head_seq}",
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
        if cr is None or fs is None or cr.state != ChangeRequestState.APPROVED.value:
            return None
        if cr.base_seq != fs.head_seq:
            stale = replace(
                cr, state=ChangeRequestState.SUPERSEDED.value, updated_at=deps.clock.now()
            )
            if not uow.flags.update_change_request(stale, cr.state):
                raise Conflict(f"change request {cr.id} was changed by someone else")
            record(
                deps,
                uow,
                _SCHEDULER,
                "flag-change.supersede",
                "flag-change",
                cr.id,
                before={"state": cr.state},
                after={"state": stale.state, "head": fs.head_seq, "base": cr.base_seq},
            )
            return None
        _apply(deps, uow, _SCHEDULER, fs, cr)
        return fs.name, fs.environment


# -- scoped tokens and evaluation access ---------------------------------------------------------


def issue_token(
    deps: Deps,
    ctx: RequestContext,
    name: str,
    environment: str,
    token_name: str,
    expires_in_days: int | None = None,
) -> tuple[FlagTokenRecord, FlagSetRecord, str]:
    """A token that can only evaluate (OFREP) and sync this flag set in this environment."""
    authorize(ctx.principal, Action.FLAG_WRITE)
    if expires_in_days is not None and not 1 <= expires_in_days <= deps.max_token_days:
        raise InvalidInput(
            "token lifetime out of range",
            errors=[FieldError("expires_in_days", f"must be 1..{deps.max_token_days}")],
        )
    with deps.uow() as uow:
        fs = _load(uow, name, environment)
        require_team(ctx.principal, fs.owner_team, "flag sets")
        secret = FLAG_TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = deps.clock.now()
        token = FlagTokenRecord(
            id=deps.ids.new_id(),
            flag_set_id=fs.id,
            name=token_name,
            prefix=secret[:11],
            created_by=ctx.principal.user_id,
            created_at=now,
            expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
            revoked_at=None,
        )
        uow.flags.add_token(token, hash_token(secret))
        record(
            deps, uow, ctx, "flag-token.issue", "flag-token", token.id, after=token_dict(token, fs)
        )
    return token, fs, secret


def list_tokens(
    deps: Deps, ctx: RequestContext, name: str, environment: str
) -> tuple[list[FlagTokenRecord], FlagSetRecord]:
    authorize(ctx.principal, Action.FLAG_READ)
    with deps.uow(readonly=True) as uow:
        fs = _load(uow, name, environment)
        return uow.flags.tokens(fs.id), fs


def revoke_token(
    deps: Deps, ctx: RequestContext, name: str, environment: str, token_id: str
) -> tuple[FlagTokenRecord, FlagSetRecord]:
    authorize(ctx.principal, Action.FLAG_WRITE)
    with deps.uow() as uow:
        fs = _load(uow, name, environment)
        require_team(ctx.principal, fs.owner_team, "flag sets")
        token = uow.flags.get_token(token_id)
        if token is None or token.flag_set_id != fs.id:
            raise NotFound(f"token {token_id!r} not found for {_entity(fs)}")
        if token.revoked_at is not None:
            raise Conflict(f"token {token_id!r} is already revoked")
        uow.flags.revoke_token(token_id, deps.clock.now())
        after = uow.flags.get_token(token_id)
        assert after is not None
        record(
            deps,
            uow,
            ctx,
            "flag-token.revoke",
            "flag-token",
            token_id,
            before=token_dict(token, fs),
            after=token_dict(after, fs),
        )
    return after, fs


def resolve_access(
    deps: Deps,
    secret: str | None,
    flag_set: str | None,
    environment: str | None,
    action: Action,
) -> Access:
    """Authenticate a token for OFREP or sync and name the flag set it reads.

    A scoped token reads only its own flag set and environment (anything else is Forbidden); an
    unscoped token needs ``action`` (viewer and up) and names the flag set itself; without an
    environment, the flag set's only environment is used.
    """
    if not secret:
        raise Unauthenticated("no API token was presented")
    if secret.startswith(FLAG_TOKEN_PREFIX):
        with deps.uow(readonly=True) as uow:
            found = uow.flags.find_token(hash_token(secret))
        if found is None:
            raise Unauthenticated("the flag token is not valid")
        token, own = found
        if token.revoked_at is not None:
            raise Unauthenticated("the flag token was revoked")
        if token.expires_at is not None and token.expires_at <= deps.clock.now():
            raise Unauthenticated("the flag token has expired")
        if (flag_set is not None and flag_set != own.name) or (
            environment is not None and environment != own.environment
        ):
            raise Forbidden(
                f"this token is scoped to flag set {own.name!r} in {own.environment!r}",
                hint="Use a token issued for the flag set and environment you evaluate.",
            )
        return Access(f"flag-token:{token.id}", own.name, own.environment, own, scoped=True)
    principal = authenticate(deps, secret)
    authorize(principal, action)
    if not flag_set:
        raise InvalidInput(
            "name the flag set to evaluate",
            hint="Send the X-Sluicegate-Flag-Set header, or use a token scoped to a flag set.",
            errors=[FieldError("X-Sluicegate-Flag-Set", "missing")],
        )
    with deps.uow(readonly=True) as uow:
        if environment is None:
            known = uow.flags.environments(flag_set)
            if len(known) != 1:
                raise InvalidInput(
                    f"flag set {flag_set!r} exists in {len(known)} environments; name one",
                    hint="Send X-Sluicegate-Environment (or ?environment=).",
                    errors=[FieldError("X-Sluicegate-Environment", ", ".join(known) or "none")],
                )
            environment = known[0]
        head = uow.flags.head(flag_set, environment)
    return Access(f"api-token:{principal.token_id}", flag_set, environment, head, scoped=False)


def current_head(deps: Deps, name: str, environment: str) -> FlagHead | None:
    with deps.uow(readonly=True) as uow:
        return uow.flags.head(name, environment)


def load_current(deps: Deps, name: str, environment: str) -> FlagSetRecord | None:
    """The flag set with its document, for the evaluation cache and sync (no authorisation)."""
    with deps.uow(readonly=True) as uow:
        return uow.flags.get_set(name, environment)
