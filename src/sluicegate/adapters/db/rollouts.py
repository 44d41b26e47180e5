"""Rollouts, applied steps, breakers, incidents and the controller lease (tables, repositories)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    and_,
    case,
    func,
    insert,
    or_,
    select,
    update,
)

from sluicegate.adapters.db.jsontext import dump_json as _dump
from sluicegate.adapters.db.schema import UTCDateTime, metadata
from sluicegate.domain.rollouts.breaker import Breaker, BreakerState
from sluicegate.domain.rollouts.machine import Status
from sluicegate.domain.rollouts.plan import TargetKind
from sluicegate.service.rollouts.ports import IncidentRecord, RolloutRecord, RolloutStepRecord

__all__ = [
    "SqlBreakers",
    "SqlIncidents",
    "SqlLeases",
    "SqlRolloutSteps",
    "SqlRollouts",
    "controller_leases",
    "incidents",
    "rollout_breakers",
    "rollout_steps",
    "rollouts",
]


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


#: The expiry a released lease gets: long past, so that any standby takes it at once.
_RELEASED = datetime(1970, 1, 1, tzinfo=UTC)


def _rollout(row: Row[Any]) -> RolloutRecord:
    return RolloutRecord(
        id=row.id,
        experiment_key=row.experiment_key,
        name=row.name,
        status=Status(row.status),
        target_kind=TargetKind(row.target_kind),
        target_ref=row.target_ref,
        plan=json.loads(row.plan),
        current_step=int(row.current_step),
        step_state=json.loads(row.step_state),
        weight=int(row.weight),
        rings=json.loads(row.rings),
        baseline=json.loads(row.baseline),
        tick=int(row.tick),
        hold_reason=row.hold_reason,
        outcome=json.loads(row.outcome) if row.outcome is not None else None,
        version=int(row.version),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )


def _values(r: RolloutRecord) -> dict[str, Any]:
    return {
        "experiment_key": r.experiment_key,
        "name": r.name,
        "status": r.status,
        "target_kind": r.target_kind,
        "target_ref": r.target_ref,
        "plan": _dump(r.plan),
        "current_step": r.current_step,
        "step_state": _dump(r.step_state),
        "weight": r.weight,
        "rings": _dump(r.rings),
        "baseline": _dump(r.baseline),
        "tick": r.tick,
        "hold_reason": r.hold_reason,
        "outcome": _dump(r.outcome) if r.outcome is not None else None,
        "version": r.version,
        "created_by": r.created_by,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "finished_at": r.finished_at,
    }


def _step(row: Row[Any]) -> RolloutStepRecord:
    return RolloutStepRecord(
        rollout_id=row.rollout_id,
        seq=int(row.seq),
        step_index=int(row.step_index),
        action=row.action,
        status=row.status,
        desired=json.loads(row.desired),
        detail=json.loads(row.detail),
        actor=row.actor,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def _breaker(row: Row[Any]) -> Breaker:
    return Breaker(
        key=row.key,
        state=BreakerState(row.state),
        failures=int(row.failures),
        threshold=int(row.threshold),
        cooldown_seconds=float(row.cooldown_seconds),
        opened_at=row.opened_at,
        probe=row.probe,
        reason=row.reason,
    )


def _incident(row: Row[Any]) -> IncidentRecord:
    return IncidentRecord(
        id=row.id,
        rollout_id=row.rollout_id,
        experiment_key=row.experiment_key,
        services=json.loads(row.services),
        title=row.title,
        status=row.status,
        evidence=json.loads(row.evidence),
        opened_at=row.opened_at,
        resolved_at=row.resolved_at,
    )


class SqlRollouts:
    """Rollouts and their crash-safe position."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, rollout: RolloutRecord) -> None:
        self._conn.execute(insert(rollouts).values(id=rollout.id, **_values(rollout)))

    def get(self, rollout_id: str) -> RolloutRecord | None:
        row = self._conn.execute(select(rollouts).where(rollouts.c.id == rollout_id)).first()
        return _rollout(row) if row else None

    def query(
        self, status: str | None = None, experiment_key: str | None = None
    ) -> list[RolloutRecord]:
        stmt = select(rollouts).order_by(rollouts.c.created_at.desc(), rollouts.c.id)
        if status is not None:
            stmt = stmt.where(rollouts.c.status == status)
        if experiment_key is not None:
            stmt = stmt.where(rollouts.c.experiment_key == experiment_key)
        return [_rollout(r) for r in self._conn.execute(stmt)]

    def due(self, statuses: Sequence[str]) -> list[str]:
        stmt = (
            select(rollouts.c.id)
            .where(rollouts.c.status.in_(list(statuses)))
            .order_by(rollouts.c.created_at, rollouts.c.id)
        )
        return [str(r.id) for r in self._conn.execute(stmt)]

    def update(self, rollout: RolloutRecord, expected_version: int) -> bool:
        result = self._conn.execute(
            update(rollouts)
            .where(and_(rollouts.c.id == rollout.id, rollouts.c.version == expected_version))
            .values(**_values(rollout))
        )
        return result.rowcount == 1


class SqlRolloutSteps:
    """The applied-step history: intents and their outcomes."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, rollout_id: str, step_index: int, action: str) -> RolloutStepRecord | None:
        row = self._conn.execute(
            select(rollout_steps).where(
                and_(
                    rollout_steps.c.rollout_id == rollout_id,
                    rollout_steps.c.step_index == step_index,
                    rollout_steps.c.action == action,
                )
            )
        ).first()
        return _step(row) if row else None

    def add(self, step: RolloutStepRecord) -> None:
        self._conn.execute(
            insert(rollout_steps).values(
                rollout_id=step.rollout_id,
                seq=step.seq,
                step_index=step.step_index,
                action=step.action,
                status=step.status,
                desired=_dump(step.desired),
                detail=_dump(step.detail),
                actor=step.actor,
                started_at=step.started_at,
                finished_at=step.finished_at,
            )
        )

    def finish(
        self, rollout_id: str, seq: int, status: str, detail: dict[str, Any], when: datetime
    ) -> None:
        self._conn.execute(
            update(rollout_steps)
            .where(and_(rollout_steps.c.rollout_id == rollout_id, rollout_steps.c.seq == seq))
            .values(status=status, detail=_dump(detail), finished_at=when)
        )

    def history(self, rollout_id: str) -> list[RolloutStepRecord]:
        stmt = (
            select(rollout_steps)
            .where(rollout_steps.c.rollout_id == rollout_id)
            .order_by(rollout_steps.c.seq)
        )
        return [_step(r) for r in self._conn.execute(stmt)]


class SqlBreakers:
    """Circuit breakers, one row per key."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, key: str) -> Breaker | None:
        row = self._conn.execute(
            select(rollout_breakers).where(rollout_breakers.c.key == key)
        ).first()
        return _breaker(row) if row else None

    def put(self, breaker: Breaker, when: datetime) -> None:
        values = {
            "state": breaker.state.value,
            "failures": breaker.failures,
            "threshold": breaker.threshold,
            "cooldown_seconds": breaker.cooldown_seconds,
            "opened_at": breaker.opened_at,
            "probe": breaker.probe,
            "reason": breaker.reason,
            "updated_at": when,
        }
        result = self._conn.execute(
            update(rollout_breakers).where(rollout_breakers.c.key == breaker.key).values(**values)
        )
        if result.rowcount == 0:
            self._conn.execute(insert(rollout_breakers).values(key=breaker.key, **values))

    def all(self) -> list[Breaker]:
        stmt = select(rollout_breakers).order_by(rollout_breakers.c.key)
        return [_breaker(r) for r in self._conn.execute(stmt)]


class SqlIncidents:
    """Incidents opened by rollbacks."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, incident: IncidentRecord) -> None:
        self._conn.execute(
            insert(incidents).values(
                id=incident.id,
                rollout_id=incident.rollout_id,
                experiment_key=incident.experiment_key,
                services=_dump(incident.services),
                title=incident.title,
                status=incident.status,
                evidence=_dump(incident.evidence),
                opened_at=incident.opened_at,
                resolved_at=incident.resolved_at,
            )
        )

    def query(
        self, rollout_id: str | None = None, experiment_key: str | None = None
    ) -> list[IncidentRecord]:
        stmt = select(incidents).order_by(incidents.c.opened_at.desc(), incidents.c.id)
        if rollout_id is not None:
            stmt = stmt.where(incidents.c.rollout_id == rollout_id)
        if experiment_key is not None:
            stmt = stmt.where(incidents.c.experiment_key == experiment_key)
        return [_incident(r) for r in self._conn.execute(stmt)]


class SqlLeases:
    """The controller's leader lease."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def acquire(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        """Take the lease if it expired or renew it if it is ours, in one UPDATE.

        On PostgreSQL the database's clock decides (``now()``), so replicas with skewed clocks
        still agree on expiry; on SQLite (one machine) the injected clock does.
        """
        ttl = timedelta(seconds=ttl_seconds)
        postgres = self._conn.dialect.name == "postgresql"
        moment: Any = func.now() if postgres else now
        expires: Any = func.now() + ttl if postgres else now + ttl
        result = self._conn.execute(
            update(controller_leases)
            .where(
                and_(
                    controller_leases.c.name == name,
                    or_(
                        controller_leases.c.expires_at < moment,
                        controller_leases.c.holder == holder,
                    ),
                )
            )
            .values(
                holder=holder,
                expires_at=expires,
                # acquired_at moves only when the lease changes hands (renewals keep it).
                acquired_at=case(
                    (controller_leases.c.holder == holder, controller_leases.c.acquired_at),
                    else_=moment,
                ),
            )
        )
        if result.rowcount == 1:
            return True
        exists = self._conn.execute(
            select(controller_leases.c.name).where(controller_leases.c.name == name)
        ).first()
        if exists is not None:
            return False
        self._conn.execute(
            insert(controller_leases).values(
                name=name, holder=holder, acquired_at=moment, expires_at=expires
            )
        )
        return True

    def release(self, name: str, holder: str) -> None:
        """Give the lease up at once (a clean shutdown) so that a standby need not wait."""
        self._conn.execute(
            update(controller_leases)
            .where(and_(controller_leases.c.name == name, controller_leases.c.holder == holder))
            .values(expires_at=_RELEASED, holder="")
        )

    def get(self, name: str) -> tuple[str, datetime] | None:
        """The holder and when the lease expires."""
        row = self._conn.execute(
            select(controller_leases.c.holder, controller_leases.c.expires_at).where(
                controller_leases.c.name == name
            )
        ).first()
        return (str(row.holder), row.expires_at) if row else None

    def acquired_at(self, name: str) -> datetime | None:
        """When the current holder took the lease (renewals keep this)."""
        row = self._conn.execute(
            select(controller_leases.c.acquired_at).where(controller_leases.c.name == name)
        ).first()
        return row.acquired_at if row else None
