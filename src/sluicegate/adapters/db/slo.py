"""SLOs: the append-only revision table and its repository (issue 14 §1, docs/slo.md).

Each apply that changes an SLO adds a row ``(service, name, revision)``; rows are never updated
or deleted (migration 0015 adds triggers that refuse it). The latest revision is the SLO.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Integer,
    PrimaryKeyConstraint,
    Row,
    String,
    Table,
    Text,
    insert,
    select,
)

from sluicegate.adapters.db.jsontext import dump_json
from sluicegate.adapters.db.schema import UTCDateTime, metadata
from sluicegate.service.slo.ports import StoredSlo

__all__ = ["SqlSlos", "slos"]

slos = Table(
    "slos",
    metadata,
    Column("service", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("format", String(16), nullable=False),
    Column("source", Text, nullable=False),
    Column("filename", String(255), nullable=True),
    Column("spec", Text, nullable=False),  # JSON: the normalised spec
    Column("objective", Float, nullable=False),
    Column("window_days", Integer, nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    PrimaryKeyConstraint("service", "name", "revision"),
)


def _stored(row: Row[Any]) -> StoredSlo:
    return StoredSlo(
        service=row.service,
        name=row.name,
        revision=row.revision,
        format=row.format,
        source=row.source,
        filename=row.filename,
        spec=json.loads(row.spec),
        objective=row.objective,
        window_days=row.window_days,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )


class SqlSlos:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def history(self, service: str, name: str) -> list[StoredSlo]:
        t = slos
        stmt = select(t).where(t.c.service == service, t.c.name == name).order_by(t.c.revision)
        return [_stored(row) for row in self._conn.execute(stmt)]

    def latest(self, service: str, name: str) -> StoredSlo | None:
        t = slos
        stmt = (
            select(t)
            .where(t.c.service == service, t.c.name == name)
            .order_by(t.c.revision.desc())
            .limit(1)
        )
        row = self._conn.execute(stmt).first()
        return None if row is None else _stored(row)

    def append(self, stored: StoredSlo) -> None:
        self._conn.execute(
            insert(slos).values(
                service=stored.service,
                name=stored.name,
                revision=stored.revision,
                format=stored.format,
                source=stored.source,
                filename=stored.filename,
                spec=dump_json(stored.spec),
                objective=stored.objective,
                window_days=stored.window_days,
                recorded_at=stored.recorded_at,
                recorded_by=stored.recorded_by,
            )
        )

    def list_latest(self, *, service: str | None = None) -> Sequence[StoredSlo]:
        t = slos
        newer = t.alias("newer")
        later = (
            select(newer.c.revision)
            .where(
                newer.c.service == t.c.service,
                newer.c.name == t.c.name,
                newer.c.revision > t.c.revision,
            )
            .exists()
        )
        stmt = select(t).where(~later)
        if service is not None:
            stmt = stmt.where(t.c.service == service)
        stmt = stmt.order_by(t.c.service, t.c.name)
        return [_stored(row) for row in self._conn.execute(stmt)]
