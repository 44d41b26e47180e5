"""Writing audit events: each state-changing use case calls :func:`record` in its transaction.

Every audited state change can be subscribed to (docs/notifications.md): for the actions in
``domain.events.NOTIFIED_BY_RECORD``, ``record`` also queues the webhook notification, with the
audit event as its data, in the same transaction (the others' use cases queue their own).
"""

from __future__ import annotations

import json

from sluicegate.domain.audit.chain import AuditEvent
from sluicegate.domain.events import NOTIFIED_BY_RECORD, AuditAction
from sluicegate.service.context import Deps, RequestContext, ts_string
from sluicegate.service.ports import UnitOfWork

__all__ = ["record"]


def record(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    action: AuditAction,
    entity_type: str,
    entity_id: str,
    *,
    before: object = None,
    after: object = None,
    reason: str | None = None,
) -> AuditEvent:
    event = uow.audit.append(
        ts=ts_string(deps.clock.now()),
        actor=ctx.actor,
        action=str(action),  # a StrEnum: its value
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        reason=reason,
        request_id=ctx.request_id,
    )
    notified = NOTIFIED_BY_RECORD.get(action)
    if notified is not None:
        # imported here: notifications' own use cases record audit events through this module
        from sluicegate.service.notifications import enqueue

        data = {
            "action": event.action,
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
            "actor": event.actor,
            "reason": event.reason,
            "before": json.loads(event.before),
            "after": json.loads(event.after),
            "audit_seq": event.seq,
            "request_id": event.request_id,
        }
        enqueue(uow, notified, data, deps=deps)
    return event
