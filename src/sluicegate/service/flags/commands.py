"""Flag-set writes: create a set, replace its document, roll back, change its settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sluicegate.domain.access.identity import Action, authorize, require_team
from sluicegate.domain.errors import (
    AlreadyExists,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
)
from sluicegate.domain.events import AuditAction
from sluicegate.domain.flags import (
    EMPTY_DOCUMENT,
    FindingsMode,
    findings_mode,
    parse_policy,
    refused_findings,
    requires_approval,
    validate_name,
)
from sluicegate.service.auditing import record
from sluicegate.service.context import SYSTEM, Deps, RequestContext
from sluicegate.service.flags.payloads import flag_set_payload
from sluicegate.service.flags.ports import (
    FlagSetRecord,
)
from sluicegate.service.flags.revisions import (
    Change,
    check_document,
    load_set,
    open_change_request,
    stored_findings,
    submit_change,
    validate_document,
    write_revision,
)
from sluicegate.service.flags.views import entity_name

__all__ = [
    "create",
    "put_document",
    "rollback",
    "update_settings",
]


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
    if findings_mode(environment, {}) is FindingsMode.REFUSE and (
        findings_mode(environment, parsed_policy) is FindingsMode.WARN
    ):
        authorize(ctx.principal, Action.FLAG_POLICY)
    doc, revision, findings = check_document(EMPTY_DOCUMENT if document is None else document)
    refused = refused_findings(environment, parsed_policy, findings, ())
    if refused:
        mode = findings_mode(environment, parsed_policy)
        raise InvalidInput(
            f"{len(refused)} problem(s) in the flag set {name}/{environment} "
            f"(policy findings: {mode.value})",
            hint=(
                "Fix the values at the JSON pointers, or create the set with the policy "
                '{"findings": "warn"} (admin); docs/flags.md lists what each problem does.'
            ),
            errors=[FieldError(f.pointer or "/", f"{f.reason} ({f.effect})") for f in refused],
        )
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
            raise AlreadyExists(
                f"flag set {name}/{environment} already exists",
                hint="`sluice flags get NAME --env ENV` shows it; `sluice flags apply` changes its "
                "document.",
            )
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
            AuditAction.FLAG_SET_CREATE,
            "flag-set",
            entity_name(fs),
            after=flag_set_payload(fs),
            reason=reason,
        )
        governed = requires_approval(environment, parsed_policy)
        first, first_rev = (empty, empty_revision) if governed else (doc, revision)
        fs, rev = write_revision(
            deps, uow, ctx, fs, first, first_rev, source="create", reason=reason or "created"
        )
        cr = None
        if governed and revision != empty_revision:
            cr = open_change_request(
                deps, uow, ctx, fs, doc, reason=reason, apply_at=None, rollback_of=None
            )
    return Change(fs, rev, cr, findings=findings, new_findings=findings)


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
    doc, revision, findings = check_document(document)
    return submit_change(
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
        findings=findings,
    )


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
        fs = load_set(uow, name, environment)
        target = uow.flags.get_revision(fs.id, to)
    if target is None:
        raise NotFound(
            f"{name}/{environment} has no revision {to}",
            hint="`sluice flags history` lists the revisions.",
        )
    return submit_change(
        deps,
        ctx,
        name,
        environment,
        target.document,
        target.revision,
        findings=stored_findings(target.document),
        reason=reason or f"rollback to revision {to}",
        expected_revision=None,
        apply_at=apply_at,
        rollback_of=to,
    )


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
        fs = load_set(uow, name, environment)
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
            AuditAction.FLAG_SET_SETTINGS,
            "flag-set",
            entity_name(fs),
            before={"policy": fs.policy, "experiment": fs.experiment_key},
            after={"policy": updated.policy, "experiment": updated.experiment_key},
            reason=reason,
        )
    return updated
