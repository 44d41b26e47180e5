"""metric samples pushed for progressive delivery (POST /api/v1/metrics)

A branch next to 0003 and 0004: it revises 0002 and a later merge revision joins the heads;
``sluicegate.adapters.db.migrate.upgrade`` upgrades to all heads in the meantime.

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-21 21:19:52.044966
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_samples",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("experiment_id", sa.String(length=32), nullable=False),
        sa.Column("metric", sa.String(length=200), nullable=False),
        sa.Column("variant", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_metric_samples_experiment_id_experiments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_samples")),
    )
    with op.batch_alter_table("metric_samples", schema=None) as batch_op:
        batch_op.create_index(
            "ix_metric_samples_series", ["experiment_id", "metric", "variant", "ts"], unique=False
        )
        batch_op.create_index("ix_metric_samples_ts", ["ts"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("metric_samples", schema=None) as batch_op:
        batch_op.drop_index("ix_metric_samples_ts")
        batch_op.drop_index("ix_metric_samples_series")

    op.drop_table("metric_samples")
