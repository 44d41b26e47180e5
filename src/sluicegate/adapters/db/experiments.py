"""Experiments and their sign-offs (tables and repositories)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    ForeignKey,
    Integer,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    insert,
    select,
    update,
)

from sluicegate.adapters.db.access import users
from sluicegate.adapters.db.schema import UTCDateTime, metadata
from sluicegate.domain.access.identity import ReviewDecision, ReviewerDomain
from sluicegate.domain.experiments.lifecycle import State
from sluicegate.domain.risk import RiskLevel
from sluicegate.service.experiments.ports import ApprovalRecord, ExperimentRecord

__all__ = [
    "SqlApprovals",
    "SqlExperiments",
    "approvals",
    "experiments",
]


experiments = Table(
    "experiments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("owner_team", String(64), ForeignKey("teams.key"), nullable=False, index=True),
    Column("state", String(32), nullable=False, index=True),
    Column("risk_level", String(16), nullable=False),
    Column("priority_score", Float, nullable=False),
    Column("proposer_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("document", Text, nullable=False),
    Column("assessment", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True, index=True),
)


approvals = Table(
    "approvals",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("experiment_id", String(32), ForeignKey("experiments.id"), nullable=False, index=True),
    Column("reviewer_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("domain", String(32), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("stage", String(64), nullable=True),  # None: the intake sign-off (migration 0003)
    UniqueConstraint("experiment_id", "reviewer_id", "domain", "stage"),
)


# Statements on the gate-check path, built once (SQLAlchemy then skips building a cache key).
_EXPERIMENT_BY_KEY = select(experiments).where(experiments.c.key == bindparam("key"))


def _experiment(row: Row[Any]) -> ExperimentRecord:
    return ExperimentRecord(
        id=row.id,
        key=row.key,
        title=row.title,
        owner_team=row.owner_team,
        state=State(row.state),
        risk_level=RiskLevel(row.risk_level),
        priority_score=float(row.priority_score),
        proposer_id=row.proposer_id,
        document=json.loads(row.document),
        assessment=json.loads(row.assessment),
        version=int(row.version),
        created_at=row.created_at,
        updated_at=row.updated_at,
        expires_at=row.expires_at,
    )


def _experiment_values(exp: ExperimentRecord) -> dict[str, Any]:
    return {
        "key": exp.key,
        "title": exp.title,
        "owner_team": exp.owner_team,
        "state": exp.state,
        "risk_level": exp.risk_level,
        "priority_score": exp.priority_score,
        "proposer_id": exp.proposer_id,
        "document": json.dumps(exp.document, sort_keys=True),
        "assessment": json.dumps(exp.assessment, sort_keys=True),
        "version": exp.version,
        "created_at": exp.created_at,
        "updated_at": exp.updated_at,
        "expires_at": exp.expires_at,
    }


class SqlExperiments:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, exp: ExperimentRecord) -> None:
        self._conn.execute(insert(experiments).values(id=exp.id, **_experiment_values(exp)))

    def get_by_key(self, key: str) -> ExperimentRecord | None:
        row = self._conn.execute(_EXPERIMENT_BY_KEY, {"key": key}).first()
        return _experiment(row) if row else None

    def query(self, state: str | None = None, team: str | None = None) -> list[ExperimentRecord]:
        q = select(experiments)
        if state:
            q = q.where(experiments.c.state == state)
        if team:
            q = q.where(experiments.c.owner_team == team)
        q = q.order_by(experiments.c.priority_score.desc(), experiments.c.key)
        return [_experiment(r) for r in self._conn.execute(q)]

    def update(self, exp: ExperimentRecord, expected_version: int) -> bool:
        result = self._conn.execute(
            update(experiments)
            .where(experiments.c.id == exp.id, experiments.c.version == expected_version)
            .values(**_experiment_values(exp))
        )
        return result.rowcount == 1

    def due_for_expiry(self, now: datetime, states: Sequence[str]) -> list[ExperimentRecord]:
        rows = self._conn.execute(
            select(experiments)
            .where(experiments.c.expires_at <= now, experiments.c.state.in_(list(states)))
            .order_by(experiments.c.expires_at)
        )
        return [_experiment(r) for r in rows]


class SqlApprovals:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, approval: ApprovalRecord) -> None:
        self._conn.execute(
            insert(approvals).values(
                id=approval.id,
                experiment_id=approval.experiment_id,
                reviewer_id=approval.reviewer_id,
                domain=approval.domain.value,
                decision=approval.decision,
                comment=approval.comment,
                created_at=approval.created_at,
                stage=approval.stage,
            )
        )

    def for_experiment(self, experiment_id: str) -> list[ApprovalRecord]:
        rows = self._conn.execute(
            select(approvals, users.c.username)
            .join(users, users.c.id == approvals.c.reviewer_id)
            .where(approvals.c.experiment_id == experiment_id)
            .order_by(approvals.c.created_at, approvals.c.id)
        )
        return [
            ApprovalRecord(
                id=r.id,
                experiment_id=r.experiment_id,
                reviewer_id=r.reviewer_id,
                reviewer=r.username,
                domain=ReviewerDomain(r.domain),
                decision=ReviewDecision(r.decision),
                comment=r.comment,
                created_at=r.created_at,
                stage=r.stage,
            )
            for r in rows
        ]
