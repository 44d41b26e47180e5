"""delivery events: deployments and incidents, append-only revisions (issue 13, ADR 0019)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:45:00

Each table refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL): a report that changes an
event is a new revision row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("delivery_deployments", "delivery_incidents")


def upgrade() -> None:
    op.create_table(
        "delivery_deployments",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("environment", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revisions", sa.Text(), nullable=False),
        sa.Column("rollback_of", sa.String(length=200), nullable=True),
        sa.Column("planned", sa.Boolean(), nullable=True),
        sa.Column("experiment", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("source", "id", "revision", name=op.f("pk_delivery_deployments")),
    )
    op.create_index(
        "ix_delivery_deployments_service_env",
        "delivery_deployments",
        ["service", "environment", "started_at"],
    )
    op.create_table(
        "delivery_incidents",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("services", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("caused_by_deployment", sa.String(length=200), nullable=True),
        sa.Column("root_cause_sha", sa.String(length=64), nullable=True),
        sa.Column("change_induced", sa.Boolean(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("source", "id", "revision", name=op.f("pk_delivery_incidents")),
    )
    op.create_index("ix_delivery_incidents_created_at", "delivery_incidents", ["created_at"])
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION sluice_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION sluice_append_only()"
            )
            continue
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only (delivery events)'); END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        else:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{verb}")
    op.drop_index("ix_delivery_incidents_created_at", table_name="delivery_incidents")
    op.drop_table("delivery_incidents")
    op.drop_index("ix_delivery_deployments_service_env", table_name="delivery_deployments")
    op.drop_table("delivery_deployments")
