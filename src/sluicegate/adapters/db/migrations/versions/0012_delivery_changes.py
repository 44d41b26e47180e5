"""delivery changes: commits and pull requests, append-only revisions (issue 13, ADR 0019)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 13:30:00

Like deployments and incidents, the table refuses UPDATE and DELETE (and TRUNCATE on
PostgreSQL): a report that adds to a change (a merge, a review, a label) is a new revision row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLE = "delivery_changes"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("repo", sa.String(length=200), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=True),
        sa.Column("authored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merge_method", sa.String(length=16), nullable=True),
        sa.Column("reverts", sa.String(length=200), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("source", "id", "revision", name=op.f("pk_delivery_changes")),
    )
    op.create_index("ix_delivery_changes_landed_at", TABLE, ["landed_at"])
    op.create_index("ix_delivery_changes_sha", TABLE, ["sha"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION sluice_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION sluice_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only (delivery events)'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TABLE}_append_only ON {TABLE}")
        op.execute(f"DROP TRIGGER {TABLE}_no_truncate ON {TABLE}")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER {TABLE}_no_{verb}")
    op.drop_index("ix_delivery_changes_sha", table_name=TABLE)
    op.drop_index("ix_delivery_changes_landed_at", table_name=TABLE)
    op.drop_table(TABLE)
