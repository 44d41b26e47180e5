"""Recording delivery events: one transaction each, with its audit event (ADR 0019).

A report of an event is validated whole before anything is stored. A redelivery of a stored
revision changes nothing; a legal progress (a deployment finishing, an incident acknowledged or
resolved) appends a revision; anything else under a known ``(source, id)`` is a conflict that
names the id.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    "Tally",
    "record_change",
    "record_deployment",
    "record_incident",
    "record_many",
    "update_incident",
]

#: (the stored record's view, whether this call stored a new revision)
Recorded = tuple[dict[str, Any], bool]


def record_deployment(deps: Deps, ctx: RequestContext, event: Deployment) -> Recorded:
    authorize(ctx.principal, Action.DELIVERY_WRITE)
    _valid(event)
    with deps.uow() as uow:
        return _store_deployment(deps, uow, ctx, event)


def _valid(event: Deployment | Incident | Change) -> None:
    if isinstance(event, Deployment):
        errors, what = check_deployment(event), "deployment"
    elif isinstance(event, Incident):
        errors, what = check_incident(event), "incident"
    else:
        errors, what = check_change(event), "change"
    if errors:
        raise InvalidInput(f"the {what} is invalid: {len(errors)} problem(s)", errors=errors)


def _store_deployment(
    deps: Deps, uow: Any, ctx: RequestContext, event: Deployment, *, keep_started: bool = False
) -> Recorded:
    history = uow.deployments.history(event.source, event.id)
    before = None
    if history and keep_started:
        # a source that reports only when each status began (GitLab's status_changed_at): the
        # deployment started when it was first reported
        event = replace(event, started_at=history[0].event.started_at)
        _valid(event)
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
    _valid(event)
    with deps.uow() as uow:
        return _store_incident(deps, uow, ctx, event)


def _store_incident(
    deps: Deps, uow: Any, ctx: RequestContext, event: Incident, *, keep_opened: bool = False
) -> Recorded:
    history = uow.delivery_incidents.history(event.source, event.id)
    if history and keep_opened:
        # a source that reports an incident again with facts that drift (Alertmanager: an
        # alert's annotations may change between re-sends): the incident keeps what it was
        # opened with and takes only the times it has not got yet
        latest = history[-1].event
        event = replace(
            latest,
            acknowledged_at=latest.acknowledged_at or event.acknowledged_at,
            resolved_at=latest.resolved_at or event.resolved_at,
        )
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
    _valid(event)
    with deps.uow() as uow:
        return _store_change(deps, uow, ctx, event)


def _store_change(deps: Deps, uow: Any, ctx: RequestContext, event: Change) -> Recorded:
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


#: what :func:`record_many` stored: per kind, how many were new revisions and how many known
Tally = dict[str, dict[str, int]]


def record_many(
    deps: Deps,
    ctx: RequestContext,
    events: Sequence[Deployment | Incident | Change],
    *,
    keep_started: bool = False,
    keep_opened: bool = False,
) -> Tally:
    """Record several events in one transaction: all of them, or (on any error) none.

    Every event is validated before the transaction opens. A webhook delivery that reports
    several events (a push with its commits) goes in whole, so a redelivery after a failure
    starts from the same store. ``keep_started``: a known deployment keeps the start time it
    was first reported with (for sources whose every status report carries its own time).
    ``keep_opened``: a known incident keeps the facts it was opened with and takes only the
    acknowledged and resolved times it has not got yet (Alertmanager's re-sent alerts).
    """
    authorize(ctx.principal, Action.DELIVERY_WRITE)
    for event in events:
        _valid(event)
    tally: Tally = {
        kind: {"recorded": 0, "unchanged": 0} for kind in ("deployments", "incidents", "changes")
    }
    with deps.uow() as uow:
        for event in events:
            if isinstance(event, Deployment):
                kind, (_, new) = (
                    "deployments",
                    _store_deployment(deps, uow, ctx, event, keep_started=keep_started),
                )
            elif isinstance(event, Incident):
                kind, (_, new) = (
                    "incidents",
                    _store_incident(deps, uow, ctx, event, keep_opened=keep_opened),
                )
            else:
                kind, (_, new) = "changes", _store_change(deps, uow, ctx, event)
            tally[kind]["recorded" if new else "unchanged"] += 1
    return tally
