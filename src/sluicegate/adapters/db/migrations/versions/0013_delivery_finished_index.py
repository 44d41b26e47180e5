"""delivery deployments: an index on finished_at, the column every metric window filters on

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:30:00

The metric queries read the latest revision of each deployment finished since a moment; with
this index (and a NOT EXISTS probe of the primary key for "latest") they read the window, not
the table.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_delivery_deployments_finished_at", "delivery_deployments", ["finished_at"])


def downgrade() -> None:
    op.drop_index("ix_delivery_deployments_finished_at", table_name="delivery_deployments")
