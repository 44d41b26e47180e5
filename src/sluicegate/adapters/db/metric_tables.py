"""The table of pushed metric samples (``POST /api/v1/metrics``).

Registered on the shared ``metadata`` by the import at the end of ``tables.py``. Samples are
operational data: they are pruned after the retention period and are not audited one by one.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, String, Table, Text

from sluicegate.adapters.db.tables import UTCDateTime, metadata

__all__ = ["metric_samples"]

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
