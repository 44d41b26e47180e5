"""Reading delivery events: the latest revision of each, as the API and CLI show it."""

from __future__ import annotations

from typing import Any

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.delivery.changes import Change
from sluicegate.domain.delivery.records import Deployment, Incident
from sluicegate.domain.errors import NotFound
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.delivery.payloads import (
    change_payload,
    deployment_payload,
    incident_payload,
)
from sluicegate.service.delivery.ports import Stored

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "change_view",
    "deployment_view",
    "get_change",
    "get_deployment",
    "get_incident",
    "incident_view",
    "list_changes",
    "list_deployments",
    "list_incidents",
]

DEFAULT_LIST_LIMIT = 100


def _meta(stored: Stored[Any]) -> dict[str, Any]:
    return {
        "revision": stored.revision,
        "recorded_at": stored.recorded_at.isoformat(),
        "recorded_by": stored.recorded_by,
    }


def deployment_view(stored: Stored[Deployment]) -> dict[str, Any]:
    return {**deployment_payload(stored.event), **_meta(stored)}


def incident_view(stored: Stored[Incident]) -> dict[str, Any]:
    return {**incident_payload(stored.event), **_meta(stored)}


def get_deployment(deps: Deps, ctx: RequestContext, source: str, event_id: str) -> dict[str, Any]:
    authorize(ctx.principal, Action.DELIVERY_READ)
    with deps.uow(readonly=True) as uow:
        history = uow.deployments.history(source, event_id)
    if not history:
        raise NotFound(f"no deployment {event_id!r} from source {source!r}")
    return deployment_view(history[-1])


def get_incident(deps: Deps, ctx: RequestContext, source: str, event_id: str) -> dict[str, Any]:
    authorize(ctx.principal, Action.DELIVERY_READ)
    with deps.uow(readonly=True) as uow:
        history = uow.delivery_incidents.history(source, event_id)
    if not history:
        raise NotFound(f"no incident {event_id!r} from source {source!r}")
    return incident_view(history[-1])


def list_deployments(
    deps: Deps,
    ctx: RequestContext,
    *,
    service: str | None = None,
    environment: str | None = None,
    source: str | None = None,
    limit: int = DEFAULT_LIST_LIMIT,
) -> list[dict[str, Any]]:
    """The latest revision of each deployment, newest start first."""
    authorize(ctx.principal, Action.DELIVERY_READ)
    with deps.uow(readonly=True) as uow:
        found = uow.deployments.latest(
            service=service, environment=environment, source=source, limit=limit
        )
    return [deployment_view(s) for s in found]


def list_incidents(
    deps: Deps,
    ctx: RequestContext,
    *,
    service: str | None = None,
    source: str | None = None,
    limit: int = DEFAULT_LIST_LIMIT,
) -> list[dict[str, Any]]:
    """The latest revision of each incident, newest first."""
    authorize(ctx.principal, Action.DELIVERY_READ)
    with deps.uow(readonly=True) as uow:
        found = uow.delivery_incidents.latest(service=service, source=source, limit=limit)
    return [incident_view(s) for s in found]


def change_view(stored: Stored[Change]) -> dict[str, Any]:
    return {**change_payload(stored.event), **_meta(stored)}


def get_change(deps: Deps, ctx: RequestContext, source: str, event_id: str) -> dict[str, Any]:
    authorize(ctx.principal, Action.DELIVERY_READ)
    with deps.uow(readonly=True) as uow:
        history = uow.changes.history(source, event_id)
    if not history:
        raise NotFound(f"no change {event_id!r} from source {source!r}")
    return change_view(history[-1])


def list_changes(
    deps: Deps,
    ctx: RequestContext,
    *,
    repo: str | None = None,
    source: str | None = None,
    limit: int = DEFAULT_LIST_LIMIT,
) -> list[dict[str, Any]]:
    """The latest revision of each change, the latest landed first."""
    authorize(ctx.principal, Action.DELIVERY_READ)
    with deps.uow(readonly=True) as uow:
        found = uow.changes.latest(repo=repo, source=source, limit=limit)
    return [change_view(s) for s in found]
