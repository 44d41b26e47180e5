"""Reading flag sets: one set, the list, its history, one revision, a diff preview."""

from __future__ import annotations

from typing import Any

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.errors import (
    NotFound,
)
from sluicegate.domain.flags import diff_documents, diff_summary, new_findings, refused_findings
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.flags.ports import (
    FlagRevisionRecord,
    FlagSetRecord,
)
from sluicegate.service.flags.revisions import check_document, load_set, stored_findings
from sluicegate.service.flags.views import findings_list

__all__ = [
    "diff_preview",
    "get",
    "get_revision",
    "history",
    "list_sets",
]


def get(deps: Deps, ctx: RequestContext, name: str, environment: str) -> FlagSetRecord:
    authorize(ctx.principal, Action.FLAG_READ)
    with deps.uow(readonly=True) as uow:
        return load_set(uow, name, environment)


def list_sets(
    deps: Deps, ctx: RequestContext, name: str | None = None, team: str | None = None
) -> list[FlagSetRecord]:
    authorize(ctx.principal, Action.FLAG_READ)
    with deps.uow(readonly=True) as uow:
        return uow.flags.list_sets(name=name, team=team)


def history(
    deps: Deps, ctx: RequestContext, name: str, environment: str, limit: int = 100
) -> list[FlagRevisionRecord]:
    authorize(ctx.principal, Action.FLAG_READ)
    with deps.uow(readonly=True) as uow:
        return uow.flags.revisions(load_set(uow, name, environment).id, limit)


def get_revision(
    deps: Deps, ctx: RequestContext, name: str, environment: str, number: int
) -> FlagRevisionRecord:
    authorize(ctx.principal, Action.FLAG_READ)
    with deps.uow(readonly=True) as uow:
        rev = uow.flags.get_revision(load_set(uow, name, environment).id, number)
    if rev is None:
        raise NotFound(f"{name}/{environment} has no revision {number}")
    return rev


def diff_preview(
    deps: Deps, ctx: RequestContext, name: str, environment: str, document: object
) -> dict[str, Any]:
    """What applying ``document`` would change, without storing anything."""
    authorize(ctx.principal, Action.FLAG_READ)
    doc, revision, findings = check_document(document)
    fs = get(deps, ctx, name, environment)
    diff = diff_documents(fs.document, doc)
    fresh = new_findings(findings, stored_findings(fs.document))
    return {
        "from_revision_number": fs.head_seq,
        "unchanged": revision == fs.revision,
        "summary": diff_summary(diff),
        "diff": diff,
        "findings": findings_list(findings, fresh),
        "refused": bool(refused_findings(fs.environment, fs.policy, fresh, ())),
    }
