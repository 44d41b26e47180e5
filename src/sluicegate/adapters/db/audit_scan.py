"""Reading the audit log for verification: raw DB-API cursors, optionally in worker processes.

Verification reads millions of rows; SQLAlchemy's per-row result processing would cost more than
the hashing, and these columns need no conversion, so rows come straight from the driver. Each
segment of :func:`~sluicegate.domain.audit_segments.plan_segments` can be verified in its own
process with its own connection: the audit table is append-only, so every connection sees the same
rows up to the ``max_seq`` the parent read.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from sqlalchemy.pool import NullPool

from sluicegate.adapters.db.engine import build_engine
from sluicegate.domain.audit_segments import Segment, verify_segment

__all__ = ["scan_segments", "segment_rows"]

_COLUMNS = (
    "seq, ts, actor, action, entity_type, entity_id, before, after, reason, request_id, "
    "prev_hash, hash"
)


def segment_rows(raw: Any, dialect: str, lo: int, hi: int, batch: int = 5000) -> Iterator[Any]:
    """Rows ``lo..hi`` in sequence order from a raw DB-API connection."""
    if dialect == "postgresql":
        cursor = raw.cursor(name=f"sluice_audit_{lo}")  # server-side: bounded memory
        cursor.itersize = batch
        sql = f"SELECT {_COLUMNS} FROM audit_events WHERE seq BETWEEN %s AND %s ORDER BY seq"  # noqa: S608 - constant column list
    else:
        cursor = raw.cursor()
        sql = f"SELECT {_COLUMNS} FROM audit_events WHERE seq BETWEEN ? AND ? ORDER BY seq"  # noqa: S608 - constant column list
    try:
        cursor.execute(sql, (lo, hi))
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def _scan_one(url: str, lo: int, hi: int, sizes: frozenset[int]) -> Segment:
    """Worker entry point: verify one segment over a connection of its own."""
    engine = build_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            segment = verify_segment(segment_rows(raw, engine.dialect.name, lo, hi), lo, hi, sizes)
            conn.rollback()
            return segment
    finally:
        engine.dispose()


def scan_segments(
    url: str,
    plan: Sequence[tuple[int, int]],
    sizes: frozenset[int],
    workers: int,
    progress: Callable[[int], None] | None = None,
) -> list[Segment]:
    """Verify every segment of ``plan``; in ``workers`` processes when there is more than one."""
    if len(plan) <= 1 or workers <= 1:
        out = []
        for lo, hi in plan:
            out.append(_scan_one(url, lo, hi, sizes))
            if progress is not None:
                progress(hi)
        return out
    context = multiprocessing.get_context("spawn")  # no fork: the parent holds DB connections
    results: dict[int, Segment] = {}
    done = 0
    with ProcessPoolExecutor(max_workers=min(workers, len(plan)), mp_context=context) as pool:
        futures = {pool.submit(_scan_one, url, lo, hi, sizes): lo for lo, hi in plan}
        for future in as_completed(futures):
            segment = future.result()
            results[futures[future]] = segment
            done += segment.hi - segment.lo + 1
            if progress is not None:
                progress(done)
    return [results[lo] for lo, _ in plan]
