"""Reading stored SLOs: the latest revision of each, one revision with its Prometheus rules."""

from __future__ import annotations

from typing import Any

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.errors import NotFound
from sluicegate.domain.slo import rule_file
from sluicegate.domain.slo.stored import slo_from_dict
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.slo.ports import StoredSlo

__all__ = ["get_slo", "list_slos", "slo_rules", "slo_view"]


def slo_view(stored: StoredSlo, *, with_source: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "service": stored.service,
        "name": stored.name,
        "revision": stored.revision,
        "format": stored.format,
        "filename": stored.filename,
        "objective": stored.objective,
        "window_days": stored.window_days,
        "recorded_at": stored.recorded_at.isoformat(),
        "recorded_by": stored.recorded_by,
    }
    if with_source:
        view["spec"] = stored.spec
        view["source"] = stored.source
    return view


def list_slos(deps: Deps, ctx: RequestContext, service: str | None = None) -> list[dict[str, Any]]:
    """The latest revision of every stored SLO (of ``service``), by service and name."""
    authorize(ctx.principal, Action.SLO_READ)
    with deps.uow(readonly=True) as uow:
        found = uow.slos.list_latest(service=service)
    return [slo_view(s) for s in found]


def _revision(deps: Deps, service: str, name: str, revision: int | None) -> tuple[StoredSlo, int]:
    """The revision asked for (the latest by default), and the latest revision's number."""
    with deps.uow(readonly=True) as uow:
        history = uow.slos.history(service, name)
    if not history:
        raise NotFound(f"no SLO {name!r} of service {service!r}")
    if revision is None:
        return history[-1], history[-1].revision
    for stored in history:
        if stored.revision == revision:
            return stored, history[-1].revision
    raise NotFound(
        f"SLO {service}/{name} has no revision {revision}",
        hint=f"Its revisions are 1 to {history[-1].revision}.",
    )


def slo_rules(stored: StoredSlo) -> dict[str, Any]:
    """The Prometheus rule file of one stored revision (docs/slo.md, "The generated rules")."""
    return rule_file([slo_from_dict(stored.spec)])


def get_slo(
    deps: Deps, ctx: RequestContext, service: str, name: str, revision: int | None = None
) -> dict[str, Any]:
    """One revision (the latest by default): its spec, its input's text, its rules, and the
    numbers of all its revisions."""
    authorize(ctx.principal, Action.SLO_READ)
    stored, latest = _revision(deps, service, name, revision)
    return {
        **slo_view(stored, with_source=True),
        "latest_revision": latest,
        "rules": slo_rules(stored),
    }
