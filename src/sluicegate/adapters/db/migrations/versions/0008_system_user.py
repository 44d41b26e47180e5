"""the built-in ``system`` user, so records that name their author (flag change requests written
by the rollout controller) can point at it

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 23:40:00

The row is disabled (it never authenticates: tokens are issued to users by name, and disabled
users are refused); it exists so that foreign keys to ``users.id`` hold for what the system
principal (``sluicegate.service.context.SYSTEM``, id ``system``) writes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_users = sa.table(
    "users",
    sa.column("id", sa.String),
    sa.column("username", sa.String),
    sa.column("display_name", sa.String),
    sa.column("role", sa.String),
    sa.column("domains", sa.Text),
    sa.column("disabled", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    conn = op.get_bind()
    taken = conn.execute(
        sa.select(_users.c.id).where(_users.c.username == "system", _users.c.id != "system")
    ).first()
    if taken is not None:
        raise RuntimeError(
            "a user named 'system' exists; rename it (the name is reserved for Sluicegate itself)"
        )
    now = datetime.now(UTC)
    if conn.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # stored as naive UTC, like UTCDateTime does
    if conn.execute(sa.select(_users.c.id).where(_users.c.id == "system")).first() is None:
        op.bulk_insert(
            _users,
            [
                {
                    "id": "system",
                    "username": "system",
                    "display_name": "Sluicegate (automated actions)",
                    "role": "admin",
                    "domains": "[]",
                    "disabled": True,
                    "created_at": now,
                }
            ],
        )


def downgrade() -> None:
    op.execute(_users.delete().where(_users.c.id == "system"))
