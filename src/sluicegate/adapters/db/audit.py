"""The audit ledger: its append-only tables, the repository that appends and checkpoints, and the
parallel segment scan that verifies it."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.pool import NullPool

from sluicegate.adapters.db.engine import AUDIT_LOCK_KEY, build_engine
from sluicegate.adapters.db.schema import UTCDateTime, metadata
from sluicegate.domain.audit.chain import (
    GENESIS_HASH,
    AuditEvent,
    Checkpoint,
    MerkleFrontier,
    checkpoint_payload,
    leaf_hash,
    link,
)
from sluicegate.domain.audit.segments import Segment, verify_segment
from sluicegate.service.audit.ports import AuditFilter, KeyRecord
from sluicegate.service.ports import Signer

__all__ = [
    "SqlAuditRepository",
    "audit_checkpoints",
    "audit_events",
    "audit_keys",
    "scan_segments",
    "segment_rows",
]


# The audit ledger. Append-only: the application never updates or deletes these rows, and
# database triggers (see the initial migration) refuse UPDATE and DELETE on both engines.
audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("ts", String(32), nullable=False, index=True),
    Column("actor", String(200), nullable=False, index=True),
    Column("action", String(64), nullable=False),
    Column("entity_type", String(64), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("before", Text, nullable=False),
    Column("after", Text, nullable=False),
    Column("reason", Text, nullable=True),
    Column("request_id", String(64), nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Index("ix_audit_events_entity", "entity_type", "entity_id"),
)


audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", String(64), nullable=False),
    Column("last_hash", String(64), nullable=False),
    Column("ts", String(32), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("signature", String(128), nullable=False),
    Column("frontier", Text, nullable=False),
)


# Append-only too (migration 0009). A key rotated to carries the statement its predecessor signed;
# verification trusts only pinned keys and keys endorsed that way, never a row by itself.
audit_keys = Table(
    "audit_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("public_key", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("endorsed_by", String(32), nullable=True),
    Column("statement", Text, nullable=True),
    Column("signature", String(128), nullable=True),
)


_COLUMNS = (
    audit_events.c.seq,
    audit_events.c.ts,
    audit_events.c.actor,
    audit_events.c.action,
    audit_events.c.entity_type,
    audit_events.c.entity_id,
    audit_events.c.before,
    audit_events.c.after,
    audit_events.c.reason,
    audit_events.c.request_id,
    audit_events.c.prev_hash,
    audit_events.c.hash,
)


# The chain head, read once per writing transaction (built once: no per-call cache key).
_HEAD = select(audit_events.c.seq, audit_events.c.hash).order_by(audit_events.c.seq.desc()).limit(1)


class SqlAuditRepository:
    def __init__(self, conn: Connection, signer: Signer | None, checkpoint_every: int) -> None:
        self._conn = conn
        self._signer = signer
        self._every = checkpoint_every
        self._head: tuple[int, str] | None = None
        # Hashes appended by this transaction, so a checkpoint need not read them back.
        self._fresh: list[tuple[int, str]] = []

    # -- appending ---------------------------------------------------------------------------

    def _lock_head(self) -> tuple[int, str]:
        if self._head is None:
            if self._conn.dialect.name == "postgresql":
                self._conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
            row = self._conn.execute(_HEAD).first()
            self._head = (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)
        return self._head

    def append(
        self,
        *,
        ts: str,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: str,
        before: object,
        after: object,
        reason: str | None,
        request_id: str | None,
    ) -> AuditEvent:
        seq, prev = self._lock_head()
        event = link(
            prev,
            seq + 1,
            ts,
            actor,
            action,
            entity_type,
            entity_id,
            before,
            after,
            reason,
            request_id,
        )
        self._conn.execute(insert(audit_events), [event._asdict()])
        self._head = (event.seq, event.hash)
        self._fresh.append((event.seq, event.hash))
        if self._signer is not None and self._every > 0 and event.seq % self._every == 0:
            self.checkpoint(ts)
        return event

    def append_many(self, events: list[dict[str, Any]]) -> list[AuditEvent]:
        """Append a batch (used by imports and the benchmark), with a checkpoint at every
        multiple of the interval inside it, as single appends would have."""
        seq, prev = self._lock_head()
        out: list[AuditEvent] = []
        for e in events:
            seq += 1
            event = link(prev, seq, **e)
            prev = event.hash
            out.append(event)
        every = self._every if self._signer is not None else 0
        start = 0
        while start < len(out):
            end = len(out)
            if every > 0:
                cut = (out[start].seq + every - 1) // every * every  # next multiple
                end = min(end, start + cut - out[start].seq + 1)
            chunk = out[start:end]
            self._conn.execute(insert(audit_events), [e._asdict() for e in chunk])
            self._head = (chunk[-1].seq, chunk[-1].hash)
            self._fresh.extend((e.seq, e.hash) for e in chunk)
            if every > 0 and chunk[-1].seq % every == 0:
                self.checkpoint(chunk[-1].ts)
            start = end
        return out

    def checkpoint(self, ts: str) -> Checkpoint | None:
        """Sign the Merkle root over the whole log so far (no-op when nothing is new)."""
        if self._signer is None:
            raise RuntimeError("no audit signing key is configured")
        size, head_hash = self._lock_head()
        last = self._conn.execute(
            select(audit_checkpoints.c.tree_size, audit_checkpoints.c.frontier)
            .order_by(audit_checkpoints.c.tree_size.desc())
            .limit(1)
        ).first()
        if size == 0 or (last is not None and int(last[0]) == size):
            return None
        frontier = (
            MerkleFrontier.from_list(int(last[0]), json.loads(last[1]))
            if last is not None
            else MerkleFrontier()
        )
        fresh = [(q, h) for q, h in self._fresh if q > frontier.size]
        first_fresh = fresh[0][0] if fresh else size + 1
        if first_fresh > frontier.size + 1:
            rows = self._conn.execute(
                select(audit_events.c.hash)
                .where(audit_events.c.seq > frontier.size, audit_events.c.seq < first_fresh)
                .order_by(audit_events.c.seq)
            )
            for (h,) in rows:
                frontier.append(leaf_hash(h))
        for _, h in fresh:
            frontier.append(leaf_hash(h))
        if frontier.size != size:
            raise RuntimeError(f"audit checkpoint covers {frontier.size} events, expected {size}")
        root = frontier.root().hex()
        key_id = self._signer.key_id
        signature = self._signer.sign(checkpoint_payload(size, root, head_hash, ts, key_id))
        cp = Checkpoint(size, root, head_hash, ts, key_id, signature)
        self._conn.execute(
            insert(audit_checkpoints).values(
                **cp.to_dict(), frontier=json.dumps(frontier.to_list())
            )
        )
        return cp

    # -- reading -------------------------------------------------------------------------------

    def page(self, flt: AuditFilter) -> list[AuditEvent]:
        q = select(*_COLUMNS).where(audit_events.c.seq > flt.after_seq)
        if flt.entity_type:
            q = q.where(audit_events.c.entity_type == flt.entity_type)
        if flt.entity_id:
            q = q.where(audit_events.c.entity_id == flt.entity_id)
        if flt.actor:
            q = q.where(audit_events.c.actor == flt.actor)
        if flt.since:
            q = q.where(audit_events.c.ts >= flt.since)
        if flt.until:
            q = q.where(audit_events.c.ts < flt.until)
        q = q.order_by(audit_events.c.seq).limit(flt.limit)
        return [AuditEvent(*tuple(row)) for row in self._conn.execute(q)]

    def iter_rows(self, batch: int = 10_000) -> Iterator[tuple[Any, ...]]:
        """Every event row in sequence order, streamed from one query on the raw DB-API cursor.

        Verification reads millions of rows; SQLAlchemy's per-row result processing would cost
        more than the hashing itself, and these columns need no type conversion.
        """
        columns = ", ".join(c.name for c in _COLUMNS)  # constants from the table definition
        sql = f"SELECT {columns} FROM audit_events ORDER BY seq"  # noqa: S608 - no user input
        raw = self._conn.connection.dbapi_connection
        assert raw is not None
        if self._conn.dialect.name == "postgresql":
            cursor = raw.cursor(name="sluice_audit_scan")  # server-side: streams, bounded memory
            cursor.itersize = batch  # type: ignore[attr-defined]  # psycopg ServerCursor
        else:
            cursor = raw.cursor()
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(batch):
                yield from rows
        finally:
            cursor.close()

    def checkpoints(self) -> list[Checkpoint]:
        rows = self._conn.execute(
            select(
                audit_checkpoints.c.tree_size,
                audit_checkpoints.c.root,
                audit_checkpoints.c.last_hash,
                audit_checkpoints.c.ts,
                audit_checkpoints.c.key_id,
                audit_checkpoints.c.signature,
            ).order_by(audit_checkpoints.c.tree_size)
        )
        return [Checkpoint(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]

    def register_key(
        self, key_id: str, public_pem: str, when: datetime, endorsement: KeyRecord | None = None
    ) -> bool:
        """Store a checkpoint public key (with its rotation statement); False if it was already
        registered."""
        exists = self._conn.execute(
            select(audit_keys.c.key_id).where(audit_keys.c.key_id == key_id)
        ).first()
        if exists:
            return False
        self._conn.execute(
            insert(audit_keys).values(
                key_id=key_id,
                public_key=public_pem,
                created_at=when,
                endorsed_by=endorsement.endorsed_by if endorsement else None,
                statement=endorsement.statement if endorsement else None,
                signature=endorsement.signature if endorsement else None,
            )
        )
        return True

    def public_keys(self) -> list[str]:
        return [
            r[0]
            for r in self._conn.execute(
                select(audit_keys.c.public_key).order_by(audit_keys.c.created_at)
            )
        ]

    def key_records(self) -> list[KeyRecord]:
        rows = self._conn.execute(
            select(
                audit_keys.c.key_id,
                audit_keys.c.public_key,
                audit_keys.c.endorsed_by,
                audit_keys.c.statement,
                audit_keys.c.signature,
            ).order_by(audit_keys.c.created_at, audit_keys.c.key_id)
        )
        return [KeyRecord(*tuple(r)) for r in rows]

    def last_checkpoint(self) -> Checkpoint | None:
        found = self.checkpoints_after(-1, last_only=True)
        return found[0] if found else None

    def checkpoints_after(self, tree_size: int, *, last_only: bool = False) -> list[Checkpoint]:
        q = select(
            audit_checkpoints.c.tree_size,
            audit_checkpoints.c.root,
            audit_checkpoints.c.last_hash,
            audit_checkpoints.c.ts,
            audit_checkpoints.c.key_id,
            audit_checkpoints.c.signature,
        ).where(audit_checkpoints.c.tree_size > tree_size)
        if last_only:
            q = q.order_by(audit_checkpoints.c.tree_size.desc()).limit(1)
        else:
            q = q.order_by(audit_checkpoints.c.tree_size)
        return [Checkpoint(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in self._conn.execute(q)]

    def range_root(self, lo: int, hi: int) -> bytes:
        frontier = MerkleFrontier()
        rows = self._conn.execute(
            select(audit_events.c.hash)
            .where(audit_events.c.seq > lo, audit_events.c.seq <= hi)
            .order_by(audit_events.c.seq)
            .execution_options(yield_per=10_000)
        )
        for (h,) in rows:
            frontier.append(leaf_hash(h))
        if frontier.size != hi - lo:
            raise ValueError(f"events {lo + 1}..{hi} are not all in the log")
        return frontier.root()

    def max_seq(self) -> int:
        return int(self._conn.execute(select(func.max(audit_events.c.seq))).scalar() or 0)

    def count(self) -> int:
        return int(self._conn.execute(select(func.count()).select_from(audit_events)).scalar_one())


_SCAN_COLUMNS = (
    "seq, ts, actor, action, entity_type, entity_id, before, after, reason, request_id, "
    "prev_hash, hash"
)


def segment_rows(raw: Any, dialect: str, lo: int, hi: int, batch: int = 5000) -> Iterator[Any]:
    """Rows ``lo..hi`` in sequence order from a raw DB-API connection."""
    if dialect == "postgresql":
        cursor = raw.cursor(name=f"sluice_audit_{lo}")  # server-side: bounded memory
        cursor.itersize = batch
        sql = f"SELECT {_SCAN_COLUMNS} FROM audit_events WHERE seq BETWEEN %s AND %s ORDER BY seq"  # noqa: S608 - constant column list
    else:
        cursor = raw.cursor()
        sql = f"SELECT {_SCAN_COLUMNS} FROM audit_events WHERE seq BETWEEN ? AND ? ORDER BY seq"  # noqa: S608 - constant column list
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
