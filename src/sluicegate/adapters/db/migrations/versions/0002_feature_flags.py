"""feature flags: flag sets, immutable revisions, change requests and scoped tokens

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 21:06:12.088281
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flag_sets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("environment", sa.String(length=64), nullable=False),
        sa.Column("owner_team", sa.String(length=64), nullable=False),
        sa.Column("experiment_key", sa.String(length=64), nullable=True),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("head_seq", sa.Integer(), nullable=False),
        sa.Column("revision", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_key"],
            ["experiments.key"],
            name=op.f("fk_flag_sets_experiment_key_experiments"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_team"], ["teams.key"], name=op.f("fk_flag_sets_owner_team_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_sets")),
        sa.UniqueConstraint("name", "environment", name=op.f("uq_flag_sets_name_environment")),
    )
    with op.batch_alter_table("flag_sets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flag_sets_owner_team"), ["owner_team"], unique=False)

    op.create_table(
        "flag_change_requests",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("flag_set_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("base_seq", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("rollback_of", sa.Integer(), nullable=True),
        sa.Column("reviewer", sa.String(length=200), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("apply_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_seq", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_flag_change_requests_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["flag_set_id"],
            ["flag_sets.id"],
            name=op.f("fk_flag_change_requests_flag_set_id_flag_sets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_change_requests")),
    )
    with op.batch_alter_table("flag_change_requests", schema=None) as batch_op:
        batch_op.create_index("ix_flag_change_requests_due", ["state", "apply_at"], unique=False)
        batch_op.create_index(
            "ix_flag_change_requests_set_state", ["flag_set_id", "state"], unique=False
        )

    op.create_table(
        "flag_revisions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("flag_set_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("revision", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("rollback_of", sa.Integer(), nullable=True),
        sa.Column("change_request_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["flag_set_id"], ["flag_sets.id"], name=op.f("fk_flag_revisions_flag_set_id_flag_sets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_revisions")),
        sa.UniqueConstraint("flag_set_id", "seq", name=op.f("uq_flag_revisions_flag_set_id_seq")),
    )
    op.create_table(
        "flag_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("flag_set_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_flag_tokens_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["flag_set_id"], ["flag_sets.id"], name=op.f("fk_flag_tokens_flag_set_id_flag_sets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_flag_tokens_token_hash")),
    )
    with op.batch_alter_table("flag_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_flag_tokens_flag_set_id"), ["flag_set_id"], unique=False
        )

    _immutable_revision_triggers()


_TABLE = "flag_revisions"


def _immutable_revision_triggers() -> None:
    """Flag revisions are immutable: refuse UPDATE and DELETE (and TRUNCATE) in the database."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION sluice_flag_revisions_immutable() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RAISE EXCEPTION '% is append-only (flag revisions)', TG_TABLE_NAME; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {_TABLE}_append_only BEFORE UPDATE OR DELETE ON {_TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION sluice_flag_revisions_immutable()"
        )
        op.execute(
            f"CREATE TRIGGER {_TABLE}_no_truncate BEFORE TRUNCATE ON {_TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION sluice_flag_revisions_immutable()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {_TABLE}_no_{verb.lower()} BEFORE {verb} ON {_TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{_TABLE} is append-only (flag revisions)'); END"
        )


def _drop_immutable_revision_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {_TABLE}_append_only ON {_TABLE}")
        op.execute(f"DROP TRIGGER {_TABLE}_no_truncate ON {_TABLE}")
        op.execute("DROP FUNCTION sluice_flag_revisions_immutable()")
        return
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER {_TABLE}_no_{verb}")


def downgrade() -> None:
    _drop_immutable_revision_triggers()
    with op.batch_alter_table("flag_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flag_tokens_flag_set_id"))

    op.drop_table("flag_tokens")
    op.drop_table("flag_revisions")
    with op.batch_alter_table("flag_change_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_flag_change_requests_set_state")
        batch_op.drop_index("ix_flag_change_requests_due")

    op.drop_table("flag_change_requests")
    with op.batch_alter_table("flag_sets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flag_sets_owner_team"))

    op.drop_table("flag_sets")
