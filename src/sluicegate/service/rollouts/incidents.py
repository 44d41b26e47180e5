"""Incidents opened by failed rollouts: stored, audited and notified in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sluicegate.domain.events import AuditAction, EventType
from sluicegate.service import notifications
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.ports import UnitOfWork
from sluicegate.service.rollouts.ports import IncidentRecord, RolloutRecord

__all__ = ["open_for_rollout"]


def open_for_rollout(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    rollout: RolloutRecord,
    services: list[str],
    evidence: dict[str, Any],
) -> IncidentRecord:
    """Open one incident for ``rollout`` (once: a replayed rollback finds the existing one)."""
    existing = uow.incidents.query(rollout_id=rollout.id)
    if existing:
        return existing[0]
    incident = IncidentRecord(
        id=deps.ids.new_id(),
        rollout_id=rollout.id,
        experiment_key=rollout.experiment_key,
        services=services,
        title=f"rollout {rollout.name!r} of {rollout.experiment_key} rolled back: "
        f"{evidence.get('reason', 'analysis failed')}",
        status="open",
        evidence=evidence,
        opened_at=deps.clock.now(),
    )
    uow.incidents.add(incident)
    summary = {
        "incident": incident.id,
        "rollout": rollout.id,
        "experiment": rollout.experiment_key,
        "services": services,
        "title": incident.title,
    }
    record(
        deps,
        uow,
        ctx,
        AuditAction.INCIDENT_OPEN,
        "incident",
        incident.id,
        after={**summary, **evidence},
    )
    notifications.enqueue(
        uow, EventType.INCIDENT_OPENED, {**summary, "evidence": evidence}, deps=deps
    )
    return incident
