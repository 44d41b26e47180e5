"""delivery version: one row every delivery append moves, for the metrics' read model

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 20:00:00

The delivery metrics keep the linked facts of a window in memory and serve them while this
number is unchanged (docs/delivery-metrics.md, "Speed"). Every append to delivery_deployments,
delivery_incidents or delivery_changes moves it in the same transaction, so a write through any
process or replica is seen by the next read.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "delivery_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "n": 0}])


def downgrade() -> None:
    op.drop_table("delivery_version")
