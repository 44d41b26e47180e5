"""Writing audit events: each state-changing use case calls :func:`record` in its transaction."""

from __future__ import annotations

from sluicegate.domain.audit.chain import AuditEvent
from sluicegate.domain.events import AuditAction
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
    return uow.audit.append(
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
