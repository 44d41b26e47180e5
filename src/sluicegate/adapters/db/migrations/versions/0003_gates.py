"""gates: process versions, pins, evidence, overrides, stage approvals, decision records

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 21:15:13.724848
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_APPEND_ONLY = ("process_versions", "gate_decisions", "policy_bundles")


def upgrade() -> None:
    op.create_table(
        "policy_bundles",
        sa.Column("revision", sa.String(length=80), nullable=False),
        sa.Column("modules", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("revision", name=op.f("pk_policy_bundles")),
    )
    op.create_table(
        "process_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=80), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("templates", sa.Text(), nullable=False),
        sa.Column("applied_by", sa.String(length=200), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_versions")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_process_versions_name_version")),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("experiment_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("namespace", sa.String(length=32), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_evidence_experiment_id_experiments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_experiment_id"), ["experiment_id"], unique=False
        )

    op.create_table(
        "experiment_processes",
        sa.Column("experiment_id", sa.String(length=32), nullable=False),
        sa.Column("process_name", sa.String(length=64), nullable=False),
        sa.Column("process_version", sa.Integer(), nullable=False),
        sa.Column("pinned_by", sa.String(length=200), nullable=False),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_processes_experiment_id_experiments"),
        ),
        sa.PrimaryKeyConstraint("experiment_id", name=op.f("pk_experiment_processes")),
    )
    op.create_table(
        "gate_decisions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("experiment_id", sa.String(length=32), nullable=False),
        sa.Column("experiment_key", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("process_name", sa.String(length=64), nullable=False),
        sa.Column("process_version", sa.Integer(), nullable=False),
        sa.Column("process_hash", sa.String(length=80), nullable=False),
        sa.Column("policy_revision", sa.String(length=80), nullable=True),
        sa.Column("input_hash", sa.String(length=80), nullable=False),
        sa.Column("input", sa.Text(), nullable=False),
        sa.Column("checks", sa.Text(), nullable=False),
        sa.Column("overrides_applied", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("ci_run_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_gate_decisions_experiment_id_experiments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_decisions")),
    )
    with op.batch_alter_table("gate_decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gate_decisions_experiment_stage",
            ["experiment_id", "stage", "created_at"],
            unique=False,
        )

    op.create_table(
        "gate_overrides",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("experiment_id", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("gate", sa.String(length=64), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_gate_overrides_experiment_id_experiments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_overrides")),
    )
    with op.batch_alter_table("gate_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gate_overrides_experiment_id"), ["experiment_id"], unique=False
        )

    # Approvals are taken per stage now: stage NULL is the intake sign-off.
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", sa.String(length=64), nullable=True))
        batch_op.drop_constraint(
            batch_op.f("uq_approvals_experiment_id_reviewer_id_domain"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_approvals_experiment_id_reviewer_id_domain_stage"),
            ["experiment_id", "reviewer_id", "domain", "stage"],
        )

    _append_only_triggers()


def _append_only_triggers() -> None:
    """Process versions, policy bundles and decision records refuse UPDATE and DELETE."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION sluice_gate_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only (gate records)', TG_TABLE_NAME; END $$"
        )
        for table in _APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION sluice_gate_append_only()"
            )
        return
    for table in _APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only (gate records)'); END"
            )


def _drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION sluice_gate_append_only()")
        return
    for table in _APPEND_ONLY:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER {table}_no_{verb}")


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_approvals_experiment_id_reviewer_id_domain_stage"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_approvals_experiment_id_reviewer_id_domain"),
            ["experiment_id", "reviewer_id", "domain"],
        )
        batch_op.drop_column("stage")

    with op.batch_alter_table("gate_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_overrides_experiment_id"))
    op.drop_table("gate_overrides")
    with op.batch_alter_table("gate_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_gate_decisions_experiment_stage")
    op.drop_table("gate_decisions")
    op.drop_table("experiment_processes")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_experiment_id"))
    op.drop_table("evidence")
    op.drop_table("process_versions")
    op.drop_table("policy_bundles")
