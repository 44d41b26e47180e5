"""The relational schema (SQLAlchemy Core). Alembic migrations are the source of truth for the
database; ``driftcheck`` fails CI when these tables and the migrations disagree."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

__all__ = [
    "api_tokens",
    "approvals",
    "audit_checkpoints",
    "audit_events",
    "audit_keys",
    "experiments",
    "metadata",
    "settings",
    "team_members",
    "teams",
    "users",
]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which stores no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 - signature fixed by TypeDecorator
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


teams = Table(
    "teams",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("domains", Text, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", String(32), ForeignKey("teams.id"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id"), primary_key=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

experiments = Table(
    "experiments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("owner_team", String(64), ForeignKey("teams.key"), nullable=False, index=True),
    Column("state", String(32), nullable=False, index=True),
    Column("risk_level", String(16), nullable=False),
    Column("priority_score", Float, nullable=False),
    Column("proposer_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("document", Text, nullable=False),
    Column("assessment", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True, index=True),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("experiment_id", String(32), ForeignKey("experiments.id"), nullable=False, index=True),
    Column("reviewer_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("domain", String(32), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("stage", String(64), nullable=True),  # None: the intake sign-off (migration 0003)
    UniqueConstraint("experiment_id", "reviewer_id", "domain", "stage"),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

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

audit_keys = Table(
    "audit_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("public_key", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
from sluicegate.adapters.db import flag_tables as _flag_tables  # noqa: E402,F401  - registers the flag tables on metadata
from sluicegate.adapters.db import gate_tables as _gate_tables  # noqa: E402,F401  - registers the gate tables on metadata
from sluicegate.adapters.db import metric_tables as _metric_tables  # noqa: E402,F401
from sluicegate.adapters.db import ops_tables as _ops_tables  # noqa: E402,F401
from sluicegate.adapters.db import rollout_tables as _rollout_tables  # noqa: E402,F401
