"""Audit use cases: paging, export, checkpoints and verification of the whole ledger."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.audit.chain import AuditEvent, Checkpoint, VerifyReport
from sluicegate.domain.audit.segments import combine_segments, plan_segments
from sluicegate.domain.events import AuditAction
from sluicegate.service.audit.ports import AuditFilter
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext, ts_string

__all__ = ["checkpoint", "export", "page", "verify"]


def page(deps: Deps, ctx: RequestContext, flt: AuditFilter) -> list[AuditEvent]:
    authorize(ctx.principal, Action.AUDIT_READ)
    with deps.uow(readonly=True) as uow:
        return uow.audit.page(flt)


def export(deps: Deps, ctx: RequestContext | None) -> Iterator[AuditEvent]:
    """Stream every event in order (``ctx`` None means a local admin command)."""
    if ctx is not None:
        authorize(ctx.principal, Action.AUDIT_READ)
    with deps.uow(readonly=True) as uow:
        for row in uow.audit.iter_rows():
            yield AuditEvent(*row)


def checkpoint(deps: Deps, ctx: RequestContext) -> Checkpoint | None:
    """Sign a checkpoint over the log so far (on demand). The request itself is audited first."""
    authorize(ctx.principal, Action.AUDIT_CHECKPOINT)
    with deps.uow() as uow:
        record(deps, uow, ctx, AuditAction.AUDIT_CHECKPOINT, "audit", "ledger")
        return uow.audit.checkpoint(ts_string(deps.clock.now()))


def verify(
    deps: Deps,
    check_signature: Callable[[Checkpoint], bool],
    progress: Callable[[int], None] | None = None,
    *,
    workers: int | None = None,
    segment_minimum: int = 1 << 17,
) -> VerifyReport:
    """Verify the chain and every checkpoint signature.

    Logs longer than ``segment_minimum`` are verified in segments, in up to ``workers`` processes
    (default: one per CPU); the result is the same as verifying the rows one by one.
    """
    with deps.uow(readonly=True) as uow:
        checkpoints = uow.audit.checkpoints()
        max_seq = uow.audit.max_seq()
    cpus = workers if workers is not None else (os.cpu_count() or 1)
    plan = plan_segments(max_seq, cpus, minimum=segment_minimum)
    sizes = frozenset(c.tree_size for c in checkpoints)
    segments = deps.audit_scanner(plan, sizes, cpus, progress)
    return combine_segments(segments, checkpoints, check_signature)
