"""Feature-flag tables, registered on the shared ``metadata`` of ``sluicegate.adapters.db.tables``.

``flag_revisions`` is append-only (database triggers in migration 0002 refuse UPDATE and DELETE):
every change to a flag set is a new row, and a rollback is a new row whose document equals an
earlier one. ``flag_sets`` holds the head (current revision) of each (name, environment).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from sluicegate.adapters.db.tables import UTCDateTime, metadata

__all__ = ["flag_change_requests", "flag_revisions", "flag_sets", "flag_tokens"]

flag_sets = Table(
    "flag_sets",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("owner_team", String(64), ForeignKey("teams.key"), nullable=False, index=True),
    Column("experiment_key", String(64), ForeignKey("experiments.key"), nullable=True),
    Column("policy", Text, nullable=False),
    Column("head_seq", Integer, nullable=False),
    Column("revision", String(64), nullable=False),
    Column("document", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("name", "environment"),
)

flag_revisions = Table(
    "flag_revisions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("flag_set_id", String(32), ForeignKey("flag_sets.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("revision", String(64), nullable=False),
    Column("document", Text, nullable=False),
    Column("diff", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", Text, nullable=True),
    Column("source", String(32), nullable=False),
    Column("rollback_of", Integer, nullable=True),
    Column("change_request_id", String(32), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("flag_set_id", "seq"),
)

flag_change_requests = Table(
    "flag_change_requests",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("flag_set_id", String(32), ForeignKey("flag_sets.id"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("base_seq", Integer, nullable=False),
    Column("document", Text, nullable=False),
    Column("diff", Text, nullable=False),
    Column("author_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("author", String(200), nullable=False),
    Column("reason", Text, nullable=True),
    Column("rollback_of", Integer, nullable=True),
    Column("reviewer", String(200), nullable=True),
    Column("review_comment", Text, nullable=True),
    Column("apply_at", UTCDateTime(), nullable=True),
    Column("applied_seq", Integer, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_flag_change_requests_set_state", "flag_set_id", "state"),
    Index("ix_flag_change_requests_due", "state", "apply_at"),
)

# Tokens scoped to one flag set in one environment: they may call only OFREP and the sync
# endpoints of that flag set. Only the SHA-256 of the secret is stored, as for api_tokens.
flag_tokens = Table(
    "flag_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("flag_set_id", String(32), ForeignKey("flag_sets.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", String(32), ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
)
