"""Administrator settings (priority weights, risk matrix, gate settings): table and repository."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    Connection,
    Select,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
    update,
)

from sluicegate.adapters.db.schema import UTCDateTime, metadata

__all__ = [
    "SqlSettings",
    "settings",
]


settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)


_SETTINGS_MANY: dict[int, Select[tuple[str, str]]] = {}


def _settings_many(count: int) -> Select[tuple[str, str]]:
    """``key IN (:k0, ..., :kN)`` built once per length (an expanding parameter would make
    SQLAlchemy render the statement again on every call)."""
    query = _SETTINGS_MANY.get(count)
    if query is None:
        keys: list[BindParameter[str]] = [bindparam(f"k{i}") for i in range(count)]
        query = _SETTINGS_MANY.setdefault(
            count, select(settings.c.key, settings.c.value).where(settings.c.key.in_(keys))
        )
    return query


class SqlSettings:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, key: str) -> Any | None:
        row = self._conn.execute(select(settings.c.value).where(settings.c.key == key)).first()
        return json.loads(row[0]) if row else None

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        if not keys:
            return {}
        params = {f"k{i}": key for i, key in enumerate(keys)}
        rows = self._conn.execute(_settings_many(len(params)), params)
        return {row.key: json.loads(row.value) for row in rows}

    def put(self, key: str, value: Any, when: datetime) -> None:
        text = json.dumps(value, sort_keys=True)
        done = self._conn.execute(
            update(settings).where(settings.c.key == key).values(value=text, updated_at=when)
        )
        if done.rowcount == 0:
            self._conn.execute(insert(settings).values(key=key, value=text, updated_at=when))
