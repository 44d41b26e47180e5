"""Operations tables (webhook outbox, just-in-time access) on the shared ``metadata``.

``webhook_deliveries`` is a transactional outbox: use cases insert rows in their own transaction
(so a rolled-back change notifies nobody) and the dispatcher sends them later. ``jit_requests``
holds a request for elevated access and, once approved, the time-bound grant (same id).

Webhook secrets are stored as given (they are needed to sign, so they cannot be hashed); the API
returns a secret only once, in the answer that creates the subscription, and it is never logged.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from sluicegate.adapters.db.tables import UTCDateTime, metadata

__all__ = ["jit_requests", "webhook_deliveries", "webhook_subscriptions"]

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),
    Column("format", String(16), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "subscription_id",
        String(32),
        ForeignKey("webhook_subscriptions.id"),
        nullable=False,
        index=True,
    ),
    Column("event_id", String(32), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("envelope", Text, nullable=False),
    # pending -> sending (claimed, leased until locked_until) -> delivered | pending (retry) | dead
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    # NULL: due at once (never tried); the dispatcher compares the rest with its clock.
    Column("next_attempt_at", UTCDateTime(), nullable=True),
    Column("locked_until", UTCDateTime(), nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
)

jit_requests = Table(
    "jit_requests",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("requester_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("requester", String(64), nullable=False),
    Column("experiment_key", String(64), ForeignKey("experiments.key"), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("role", String(16), nullable=False),
    Column("duration_seconds", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    # pending -> denied | active -> expired | revoked
    Column("state", String(16), nullable=False, index=True),
    Column("decided_by", String(64), nullable=True),
    Column("decision_comment", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("end_reason", Text, nullable=True),
    Index("ix_jit_requests_lookup", "requester_id", "experiment_key", "state"),
)
