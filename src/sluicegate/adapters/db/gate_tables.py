"""Tables of the gate engine: process versions, pins, evidence, overrides, decisions, bundles.

Registered on the shared ``metadata`` by the import at the end of ``tables.py``. Process
versions, stored policy bundles and decision records are append-only (the 0003 migration adds
triggers that refuse UPDATE and DELETE on both engines).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from sluicegate.adapters.db.tables import UTCDateTime, metadata

__all__ = [
    "APPEND_ONLY",
    "evidence",
    "experiment_processes",
    "gate_decisions",
    "gate_overrides",
    "policy_bundles",
    "process_versions",
]

process_versions = Table(
    "process_versions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(80), nullable=False),
    Column("document", Text, nullable=False),  # the resolved process (canonical JSON)
    Column("source", Text, nullable=False),  # the YAML as applied (for line/column in SARIF)
    Column("source_name", String(255), nullable=False),
    Column("templates", Text, nullable=False),  # [{"name", "source"}] the source extended
    Column("applied_by", String(200), nullable=False),
    Column("applied_at", UTCDateTime(), nullable=False),
    UniqueConstraint("name", "version"),
)

experiment_processes = Table(
    "experiment_processes",
    metadata,
    Column("experiment_id", String(32), ForeignKey("experiments.id"), primary_key=True),
    Column("process_name", String(64), nullable=False),
    Column("process_version", Integer, nullable=False),
    Column("pinned_by", String(200), nullable=False),
    Column("pinned_at", UTCDateTime(), nullable=False),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("experiment_id", String(32), ForeignKey("experiments.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("namespace", String(32), nullable=False),
    Column("facts", Text, nullable=False),
    Column("filename", String(255), nullable=True),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("uploaded_by", String(200), nullable=False),
    Column("uploaded_at", UTCDateTime(), nullable=False),
)

gate_overrides = Table(
    "gate_overrides",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("experiment_id", String(32), ForeignKey("experiments.id"), nullable=False, index=True),
    Column("stage", String(64), nullable=False),
    Column("gate", String(64), nullable=False),
    Column("justification", Text, nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_by", String(200), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("revoke_reason", Text, nullable=True),
)

gate_decisions = Table(
    "gate_decisions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("experiment_id", String(32), ForeignKey("experiments.id"), nullable=False),
    Column("experiment_key", String(64), nullable=False),
    Column("stage", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("process_name", String(64), nullable=False),
    Column("process_version", Integer, nullable=False),
    Column("process_hash", String(80), nullable=False),
    Column("policy_revision", String(80), nullable=True),
    Column("input_hash", String(80), nullable=False),
    Column("input", Text, nullable=False),
    Column("checks", Text, nullable=False),
    Column("overrides_applied", Text, nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("ci_run_id", String(200), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_gate_decisions_experiment_stage", "experiment_id", "stage", "created_at"),
)

policy_bundles = Table(
    "policy_bundles",
    metadata,
    Column("revision", String(80), primary_key=True),
    Column("modules", Text, nullable=False),  # [{"path", "source", "package"}]
    Column("data", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

#: Tables whose rows are never updated or deleted (triggers in migration 0003).
APPEND_ONLY = ("process_versions", "gate_decisions", "policy_bundles")
