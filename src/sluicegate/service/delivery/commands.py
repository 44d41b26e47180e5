"""Recording delivery events: one transaction each, with its audit event (ADR 0019).

A report of an event is validated whole before anything is stored. A redelivery of a stored
revision changes nothing; a legal progress (a deployment finishing, an incident acknowledged or
resolved) appends a revision; anything else under a known ``(source, id)`` is a conflict that
names the id.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.delivery.changes import Change, change_step, check_change
from sluicegate.domain.delivery.records import (
    Deployment,
    Incident,
    Step,
    check_deployment,
    check_incident,
    deployment_step,
    incident_step,
)
from sluicegate.domain.errors import FieldError, InvalidInput, NotFound, StateConflict
from sluicegate.domain.events import AuditAction
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.delivery.payloads import (
    change_payload,
    deployment_payload,
    incident_payload,
)
from sluicegate.service.delivery.ports import Stored
from sluicegate.service.delivery.queries import change_view, deployment_view, incident_view

__all__ = [
    "Recorded",
    "record_change",
    "record_deployment",
    "record_incident",
    "update_incident",
]

#: (the stored record's view, whether this call stored a new revision)
Recorded = tuple[dict[str, Any], bool]


def record_deployment(deps: Deps, ctx: RequestContext, event: Deployment) -> Recorded:
    authorize(ctx.principal, Action.DELIVERY_WRITE)
    errors = check_deployment(event)
    if errors:
        raise InvalidInput(f"the deployment is invalid: {len(errors)} problem(s)", errors=errors)
    with deps.uow() as uow:
        history = uow.deployments.history(event.source, event.id)
        before = None
        if history:
            step = deployment_step([s.event for s in history], event)
            if step is Step.SAME:
                return deployment_view(history[-1]), False
            if step is Step.CONFLICT:
                raise StateConflict(
                    f"deployment {event.id!r} from source {event.source!r} is already recorded "
                    "with a different body",
                    hint="Only an in_progress deployment may be reported again, finished; "
                    "use a new id for a new deployment.",
                )
            before = deployment_payload(history[-1].event)
        stored = Stored(event, len(history) + 1, deps.clock.now(), ctx.actor)
        uow.deployments.append(stored)
        record(
            deps,
            uow,
            ctx,
            AuditAction.DEPLOYMENT_RECORD,
            "deployment",
            f"{event.source}/{event.id}",
            before=before,
            after=deployment_payload(event),
        )
    return deployment_view(stored), True


def _append_incident(
    deps: Deps, ctx: RequestContext, event: Incident, history: list[Stored[Incident]], uow: Any
) -> Stored[Incident]:
    stored = Stored(event, len(history) + 1, deps.clock.now(), ctx.actor)
    uow.delivery_incidents.append(stored)
    record(
        deps,
        uow,
        ctx,
        AuditAction.DELIVERY_INCIDENT_RECORD,
        "delivery-incident",
        f"{event.source}/{event.id}",
        before=incident_payload(history[-1].event) if history else None,
        after=incident_payload(event),
    )
    return stored


def _conflict(event: Incident) -> StateConflict:
    return StateConflict(
        f"incident {event.id!r} from source {event.source!r} is already recorded with a "
        "different body",
        hint="Only acknowledged_at and resolved_at may be added later, once each; "
        "use a new id for a new incident.",
    )


def record_incident(deps: Deps, ctx: RequestContext, event: Incident) -> Recorded:
    """Open an incident, or report it again (a redelivery, or with times it did not have)."""
    authorize(ctx.principal, Action.DELIVERY_WRITE)
    errors = check_incident(event)
    if errors:
        raise InvalidInput(f"the incident is invalid: {len(errors)} problem(s)", errors=errors)
    with deps.uow() as uow:
        history = uow.delivery_incidents.history(event.source, event.id)
        if history:
            step = incident_step([s.event for s in history], event)
            if step is Step.SAME:
                return incident_view(history[-1]), False
            if step is Step.CONFLICT:
                raise _conflict(event)
            latest = history[-1].event
            event = replace(
                latest,
                acknowledged_at=event.acknowledged_at or latest.acknowledged_at,
                resolved_at=event.resolved_at or latest.resolved_at,
            )
            errors = check_incident(event)
            if errors:
                raise InvalidInput("the incident's times are out of order", errors=errors)
        stored = _append_incident(deps, ctx, event, history, uow)
    return incident_view(stored), True


def update_incident(
    deps: Deps,
    ctx: RequestContext,
    source: str,
    event_id: str,
    *,
    acknowledged_at: datetime | None = None,
    resolved_at: datetime | None = None,
) -> Recorded:
    """Acknowledge or resolve a stored incident (a new revision; the same times again: no-op)."""
    authorize(ctx.principal, Action.DELIVERY_WRITE)
    if acknowledged_at is None and resolved_at is None:
        raise InvalidInput(
            "nothing to update",
            errors=[FieldError("resolved_at", "give resolved_at or acknowledged_at")],
        )
    with deps.uow() as uow:
        history = uow.delivery_incidents.history(source, event_id)
        if not history:
            raise NotFound(f"no incident {event_id!r} from source {source!r}")
        latest = history[-1].event
        event = replace(
            latest,
            acknowledged_at=acknowledged_at or latest.acknowledged_at,
            resolved_at=resolved_at or latest.resolved_at,
        )
        step = incident_step([s.event for s in history], event)
        if step is Step.SAME:
            return incident_view(history[-1]), False
        if step is Step.CONFLICT:
            raise _conflict(event)
        errors = check_incident(event)
        if errors:
            raise InvalidInput("the incident's times are out of order", errors=errors)
        stored = _append_incident(deps, ctx, event, history, uow)
    return incident_view(stored), True


def record_change(deps: Deps, ctx: RequestContext, event: Change) -> Recorded:
    """Record a commit or pull request, or merge a new report of one into it (``change_step``).

    Reports of one pull request arrive in parts and in any order (opened, reviewed, labelled,
    merged); each one that adds something is a new revision holding the union.
    """
    authorize(ctx.principal, Action.DELIVERY_WRITE)
    errors = check_change(event)
    if errors:
        raise InvalidInput(f"the change is invalid: {len(errors)} problem(s)", errors=errors)
    with deps.uow() as uow:
        history = uow.changes.history(event.source, event.id)
        before = None
        to_store = event
        if history:
            step, to_store = change_step([s.event for s in history], event)
            if step is Step.SAME:
                return change_view(history[-1]), False
            if step is Step.CONFLICT:
                raise StateConflict(
                    f"change {event.id!r} from source {event.source!r} is already recorded "
                    "with different facts",
                    hint="A later report may add reviews, labels, commits and the merge; the "
                    "repo, kind, authored_at, reverts and a recorded merge cannot change.",
                )
            before = change_payload(history[-1].event)
        stored = Stored(to_store, len(history) + 1, deps.clock.now(), ctx.actor)
        uow.changes.append(stored)
        record(
            deps,
            uow,
            ctx,
            AuditAction.CHANGE_RECORD,
            "change",
            f"{event.source}/{event.id}",
            before=before,
            after=change_payload(to_store),
        )
    return change_view(stored), True
