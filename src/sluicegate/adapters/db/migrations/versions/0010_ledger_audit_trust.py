"""audit keys carry their rotation statement, and ``audit_keys`` is append-only like the events

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:40:00

A key rotated to is stored with the statement its predecessor signed (``endorsed_by``,
``statement``, ``signature``); verification trusts only keys pinned outside the database and the
keys they endorse. ``audit_keys`` now refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL)
with the same trigger function as ``audit_events`` and ``audit_checkpoints``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("endorsed_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("statement", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("signature", sa.String(length=128), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_keys_append_only BEFORE UPDATE OR DELETE ON audit_keys "
            "FOR EACH ROW EXECUTE FUNCTION sluice_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_keys_no_truncate BEFORE TRUNCATE ON audit_keys "
            "FOR EACH STATEMENT EXECUTE FUNCTION sluice_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_keys_no_{verb.lower()} BEFORE {verb} ON audit_keys "
            "BEGIN SELECT RAISE(ABORT, 'audit_keys is append-only (audit ledger)'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_keys_append_only ON audit_keys")
        op.execute("DROP TRIGGER audit_keys_no_truncate ON audit_keys")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER audit_keys_no_{verb}")
    with op.batch_alter_table("audit_keys", schema=None) as batch_op:
        batch_op.drop_column("signature")
        batch_op.drop_column("statement")
        batch_op.drop_column("endorsed_by")
