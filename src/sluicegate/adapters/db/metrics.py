"""Pushed metric samples: table and repository (the push metric source reads them)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Row,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)

from sluicegate.adapters.db.schema import UTCDateTime, metadata
from sluicegate.service.metrics.ports import (
    MetricSampleRecord,
)

__all__ = [
    "SqlMetricSamples",
    "metric_samples",
]


metric_samples = Table(
    "metric_samples",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("experiment_id", String(32), ForeignKey("experiments.id"), nullable=False),
    Column("metric", String(200), nullable=False),
    Column("variant", String(16), nullable=False),
    Column("value", Float, nullable=False),
    Column("ts", UTCDateTime(), nullable=False),
    Column("labels", Text, nullable=False),  # canonical JSON object of str -> str
    Column("received_at", UTCDateTime(), nullable=False),
    Index("ix_metric_samples_series", "experiment_id", "metric", "variant", "ts"),
    Index("ix_metric_samples_ts", "ts"),  # the retention prune
)


def _record(row: Row[Any]) -> MetricSampleRecord:
    return MetricSampleRecord(
        id=row.id,
        experiment_id=row.experiment_id,
        metric=row.metric,
        variant=row.variant,
        value=float(row.value),
        ts=row.ts,
        labels=json.loads(row.labels),
        received_at=row.received_at,
    )


class SqlMetricSamples:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_many(self, samples: Sequence[MetricSampleRecord]) -> None:
        if not samples:
            return
        self._conn.execute(
            insert(metric_samples),
            [
                {
                    "id": s.id,
                    "experiment_id": s.experiment_id,
                    "metric": s.metric,
                    "variant": s.variant,
                    "value": s.value,
                    "ts": s.ts,
                    "labels": json.dumps(dict(s.labels), sort_keys=True, separators=(",", ":")),
                    "received_at": s.received_at,
                }
                for s in samples
            ],
        )

    def query(
        self,
        experiment_id: str,
        *,
        metric: str | None = None,
        variant: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        include_since: bool = True,
        limit: int | None = None,
    ) -> list[MetricSampleRecord]:
        t = metric_samples
        stmt = select(t).where(t.c.experiment_id == experiment_id)
        if metric is not None:
            stmt = stmt.where(t.c.metric == metric)
        if variant is not None:
            stmt = stmt.where(t.c.variant == variant)
        if since is not None:
            stmt = stmt.where(t.c.ts >= since if include_since else t.c.ts > since)
        if until is not None:
            stmt = stmt.where(t.c.ts <= until)
        stmt = stmt.order_by(t.c.ts, t.c.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_record(row) for row in self._conn.execute(stmt)]

    def prune(self, before: datetime) -> int:
        result = self._conn.execute(delete(metric_samples).where(metric_samples.c.ts < before))
        return int(result.rowcount or 0)
