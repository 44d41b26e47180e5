"""Audit use cases: paging, export, checkpoints and verification of the whole ledger."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from queue import Empty, Queue

from sluicegate.domain.audit import AuditEvent, Checkpoint, VerifyReport, verify_log
from sluicegate.domain.identity import Action, authorize
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext, ts_string
from sluicegate.service.ports import AuditFilter

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
        record(deps, uow, ctx, "audit.checkpoint", "audit", "ledger")
        return uow.audit.checkpoint(ts_string(deps.clock.now()))


def verify(
    deps: Deps,
    check_signature: Callable[[Checkpoint], bool],
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Verify the chain and every checkpoint signature, reading the database in one snapshot."""
    with deps.uow(readonly=True) as uow:
        checkpoints = uow.audit.checkpoints()
        rows = _prefetch(uow.audit.iter_rows(batch=5_000))
        if progress is not None:
            rows = _counting(rows, progress)
        return verify_log(rows, checkpoints, check_signature)


def _prefetch(rows: Iterator[tuple[object, ...]], depth: int = 8) -> Iterator[tuple[object, ...]]:
    """Read rows on a second thread while this one hashes: the database drivers release the GIL
    while they fetch, so reading and verifying overlap. Errors are re-raised here."""
    queue: Queue[list[tuple[object, ...]] | BaseException | None] = Queue(maxsize=depth)
    stop = threading.Event()

    def reader() -> None:
        batch: list[tuple[object, ...]] = []
        try:
            for row in rows:
                batch.append(row)
                if len(batch) == 5_000:
                    queue.put(batch)
                    batch = []
                    if stop.is_set():
                        return
            queue.put(batch)
            queue.put(None)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            queue.put(exc)

    thread = threading.Thread(target=reader, name="audit-prefetch", daemon=True)
    thread.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield from item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                queue.get(timeout=0.1)
            except Empty:
                continue
        thread.join()


def _counting(
    rows: Iterator[tuple[object, ...]], progress: Callable[[int], None]
) -> Iterator[tuple[object, ...]]:
    for n, row in enumerate(rows, 1):
        if n % 50_000 == 0:
            progress(n)
        yield row
