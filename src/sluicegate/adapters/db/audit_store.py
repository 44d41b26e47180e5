"""The audit ledger on SQL: appends under a lock so the chain never forks, checkpoints, paging.

On PostgreSQL every appending transaction takes a transaction-scoped advisory lock before reading
the chain head; on SQLite the write transaction (BEGIN IMMEDIATE) already serialises writers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, text

from sluicegate.adapters.db.engine import AUDIT_LOCK_KEY
from sluicegate.adapters.db.tables import audit_checkpoints, audit_events, audit_keys
from sluicegate.domain.audit import (
    GENESIS_HASH,
    AuditEvent,
    Checkpoint,
    MerkleFrontier,
    checkpoint_payload,
    leaf_hash,
    link,
)
from sluicegate.service.audit.ports import AuditFilter
from sluicegate.service.ports import Signer

__all__ = ["SqlAuditRepository"]

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
        """Append a batch in one statement (used by imports and the benchmark)."""
        seq, prev = self._lock_head()
        out: list[AuditEvent] = []
        for e in events:
            seq += 1
            event = link(prev, seq, **e)
            prev = event.hash
            out.append(event)
        self._conn.execute(insert(audit_events), [e._asdict() for e in out])
        self._head = (seq, prev)
        self._fresh.extend((e.seq, e.hash) for e in out)
        if self._signer is not None and self._every > 0 and out:
            first, last = out[0].seq, out[-1].seq
            if last // self._every > (first - 1) // self._every:
                self.checkpoint(out[-1].ts)
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

    def register_key(self, key_id: str, public_pem: str, when: datetime) -> bool:
        """Store a checkpoint public key; False if it was already registered."""
        exists = self._conn.execute(
            select(audit_keys.c.key_id).where(audit_keys.c.key_id == key_id)
        ).first()
        if exists:
            return False
        self._conn.execute(
            insert(audit_keys).values(key_id=key_id, public_key=public_pem, created_at=when)
        )
        return True

    def public_keys(self) -> list[str]:
        return [r[0] for r in self._conn.execute(select(audit_keys.c.public_key))]

    def max_seq(self) -> int:
        return int(self._conn.execute(select(func.max(audit_events.c.seq))).scalar() or 0)

    def count(self) -> int:
        return int(self._conn.execute(select(func.count()).select_from(audit_events)).scalar_one())
