"""Progressive-delivery tables on the shared ``metadata`` (docs/rollouts.md).

``rollouts`` holds each rollout's plan and its crash-safe position (current step, step state with
the sequential monitor, the applied weight); ``rollout_steps`` is the applied-step history, one row
per (rollout, step, action) written first as an *intent* (``applying``) and then as an *outcome*
(``applied``) so that a restarted controller neither skips nor repeats a step; ``controller_leases``
elects the one active controller; ``rollout_breakers`` and ``incidents`` are what failures leave.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, Text

from sluicegate.adapters.db.tables import UTCDateTime, metadata

__all__ = ["controller_leases", "incidents", "rollout_breakers", "rollout_steps", "rollouts"]

rollouts = Table(
    "rollouts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("experiment_key", String(64), ForeignKey("experiments.key"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    # pending -> running <-> paused; running -> succeeded | rolling-back -> rolled-back | aborted
    Column("status", String(16), nullable=False, index=True),
    Column("target_kind", String(16), nullable=False),
    Column("target_ref", String(200), nullable=False),
    Column("plan", Text, nullable=False),
    Column("current_step", Integer, nullable=False),
    Column("step_state", Text, nullable=False),
    Column("weight", Integer, nullable=False),
    Column("rings", Text, nullable=False),
    Column("baseline", Text, nullable=False),
    Column("tick", Integer, nullable=False),
    Column("hold_reason", Text, nullable=True),
    Column("outcome", Text, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
)

rollout_steps = Table(
    "rollout_steps",
    metadata,
    Column("rollout_id", String(32), ForeignKey("rollouts.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("step_index", Integer, nullable=False),
    # apply | rollback | analysis | pause | gate | promote
    Column("action", String(16), nullable=False),
    # applying -> applied (apply, rollback); passed | failed | skipped (analysis, pause, gate)
    Column("status", String(16), nullable=False),
    Column("desired", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    # One intent per step and action: a replayed step finds its row instead of adding one.
    Index("ix_rollout_steps_once", "rollout_id", "step_index", "action", unique=True),
)

controller_leases = Table(
    "controller_leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("acquired_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

rollout_breakers = Table(
    "rollout_breakers",
    metadata,
    Column("key", String(240), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("failures", Integer, nullable=False),
    Column("threshold", Integer, nullable=False),
    Column("cooldown_seconds", Float, nullable=False),
    Column("opened_at", UTCDateTime(), nullable=True),
    Column("probe", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("rollout_id", String(32), ForeignKey("rollouts.id"), nullable=False, index=True),
    Column("experiment_key", String(64), nullable=False, index=True),
    Column("services", Text, nullable=False),
    Column("title", Text, nullable=False),
    # open -> resolved
    Column("status", String(16), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime(), nullable=True),
)
