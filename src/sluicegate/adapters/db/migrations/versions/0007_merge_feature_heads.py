"""merge the feature branches (gates, JIT/webhooks, metrics, rollouts) into one head

Revision ID: 0007
Revises: 0003, 0004, 0005, 0006
Create Date: 2026-11-21 22:00:00
"""

from __future__ import annotations

revision = "0007"
down_revision = ("0003", "0004", "0005", "0006")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """No schema change: the four feature migrations were written in parallel from 0002."""


def downgrade() -> None:
    """Splitting the heads again needs no schema change either."""
