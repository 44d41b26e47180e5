"""Deployments, changes and incidents: append-only revision tables and repositories (ADR 0019).

Each report that changes an event adds a row ``(source, id, revision)``; rows are never updated
or deleted (migrations 0011 and 0012 add triggers that refuse it). The latest revision is the event.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Row,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from sluicegate.adapters.db.schema import UTCDateTime, metadata
from sluicegate.domain.delivery.changes import (
    Change,
    ChangeKind,
    Commit,
    MergeMethod,
    Review,
    ReviewState,
)
from sluicegate.domain.delivery.records import (
    Deployment,
    DeploymentKind,
    DeploymentStatus,
    Incident,
    Revision,
)
from sluicegate.service.delivery.ports import Stored

__all__ = [
    "SqlChanges",
    "SqlDeliveryIncidents",
    "SqlDeployments",
    "delivery_changes",
    "delivery_deployments",
    "delivery_incidents",
]

delivery_deployments = Table(
    "delivery_deployments",
    metadata,
    Column("source", String(64), nullable=False),
    Column("id", String(200), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("service", String(200), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("revisions", Text, nullable=False),  # JSON list of {repo, sha}
    Column("rollback_of", String(200), nullable=True),
    Column("planned", Boolean, nullable=True),
    Column("experiment", String(64), nullable=True),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    PrimaryKeyConstraint("source", "id", "revision"),
    Index("ix_delivery_deployments_service_env", "service", "environment", "started_at"),
    Index("ix_delivery_deployments_finished_at", "finished_at"),
)

delivery_incidents = Table(
    "delivery_incidents",
    metadata,
    Column("source", String(64), nullable=False),
    Column("id", String(200), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("services", Text, nullable=False),  # JSON list of service names
    Column("severity", String(32), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("acknowledged_at", UTCDateTime(), nullable=True),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Column("caused_by_deployment", String(200), nullable=True),
    Column("root_cause_sha", String(64), nullable=True),
    Column("change_induced", Boolean, nullable=True),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    PrimaryKeyConstraint("source", "id", "revision"),
    Index("ix_delivery_incidents_created_at", "created_at"),
)


#: One row, moved by every append to a delivery table in the same transaction: the version the
#: metrics' cached linked facts were computed at (service.cache.VersionedCache).
delivery_version = Table(
    "delivery_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("n", BigInteger, nullable=False),
)


def _bump(conn: Connection) -> None:
    """Move the delivery version (the row exists from migration 0014 on)."""
    conn.execute(
        update(delivery_version)
        .where(delivery_version.c.id == 1)
        .values(n=delivery_version.c.n + 1)
    )


def read_version(conn: Connection) -> int:
    found = conn.execute(
        select(delivery_version.c.n).where(delivery_version.c.id == 1)
    ).scalar_one_or_none()
    return int(found or 0)


def _deployment(row: Row[Any]) -> Stored[Deployment]:
    event = Deployment(
        source=row.source,
        id=row.id,
        service=row.service,
        environment=row.environment,
        status=DeploymentStatus(row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        revisions=tuple(Revision(r["repo"], r["sha"]) for r in json.loads(row.revisions)),
        kind=DeploymentKind(row.kind),
        rollback_of=row.rollback_of,
        planned=row.planned,
        experiment=row.experiment,
    )
    return Stored(event, row.revision, row.recorded_at, row.recorded_by)


def _incident(row: Row[Any]) -> Stored[Incident]:
    event = Incident(
        source=row.source,
        id=row.id,
        services=tuple(json.loads(row.services)),
        severity=row.severity,
        created_at=row.created_at,
        acknowledged_at=row.acknowledged_at,
        resolved_at=row.resolved_at,
        caused_by_deployment=row.caused_by_deployment,
        root_cause_sha=row.root_cause_sha,
        change_induced=row.change_induced,
    )
    return Stored(event, row.revision, row.recorded_at, row.recorded_by)


def _latest_rows(table: Table) -> Any:
    """The rows that are the latest revision of their (source, id).

    A NOT EXISTS probe of the primary key (source, id, revision) per candidate row, so a filter
    on the table's own columns (an indexed time) narrows the scan first: a GROUP BY over every
    revision would read the whole table whatever the window.
    """
    newer = table.alias("newer")
    later = (
        select(newer.c.revision)
        .where(
            newer.c.source == table.c.source,
            newer.c.id == table.c.id,
            newer.c.revision > table.c.revision,
        )
        .exists()
    )
    return select(table).where(~later)


class SqlDeployments:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def history(self, source: str, event_id: str) -> list[Stored[Deployment]]:
        t = delivery_deployments
        stmt = select(t).where(t.c.source == source, t.c.id == event_id).order_by(t.c.revision)
        return [_deployment(row) for row in self._conn.execute(stmt)]

    def append(self, stored: Stored[Deployment]) -> None:
        _bump(self._conn)
        d = stored.event
        self._conn.execute(
            insert(delivery_deployments).values(
                source=d.source,
                id=d.id,
                revision=stored.revision,
                service=d.service,
                environment=d.environment,
                status=d.status.value,
                kind=d.kind.value,
                started_at=d.started_at,
                finished_at=d.finished_at,
                revisions=json.dumps(
                    [{"repo": r.repo, "sha": r.sha} for r in d.revisions], separators=(",", ":")
                ),
                rollback_of=d.rollback_of,
                planned=d.planned,
                experiment=d.experiment,
                recorded_at=stored.recorded_at,
                recorded_by=stored.recorded_by,
            )
        )

    def latest(
        self,
        *,
        service: str | None = None,
        environment: str | None = None,
        source: str | None = None,
        limit: int,
    ) -> Sequence[Stored[Deployment]]:
        t = delivery_deployments
        stmt = _latest_rows(t)
        if service is not None:
            stmt = stmt.where(t.c.service == service)
        if environment is not None:
            stmt = stmt.where(t.c.environment == environment)
        if source is not None:
            stmt = stmt.where(t.c.source == source)
        stmt = stmt.order_by(t.c.started_at.desc(), t.c.source, t.c.id).limit(limit)
        return [_deployment(row) for row in self._conn.execute(stmt)]

    def version(self) -> int:
        """The delivery version: moved by every append to any delivery table."""
        return read_version(self._conn)

    def finished_since(self, at: datetime) -> Sequence[Deployment]:
        t = delivery_deployments
        stmt = _latest_rows(t).where(t.c.finished_at >= at).order_by(t.c.source, t.c.id)
        return [_deployment(row).event for row in self._conn.execute(stmt)]


class SqlDeliveryIncidents:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def history(self, source: str, event_id: str) -> list[Stored[Incident]]:
        t = delivery_incidents
        stmt = select(t).where(t.c.source == source, t.c.id == event_id).order_by(t.c.revision)
        return [_incident(row) for row in self._conn.execute(stmt)]

    def append(self, stored: Stored[Incident]) -> None:
        _bump(self._conn)
        i = stored.event
        self._conn.execute(
            insert(delivery_incidents).values(
                source=i.source,
                id=i.id,
                revision=stored.revision,
                services=json.dumps(list(i.services), separators=(",", ":")),
                severity=i.severity,
                created_at=i.created_at,
                acknowledged_at=i.acknowledged_at,
                resolved_at=i.resolved_at,
                caused_by_deployment=i.caused_by_deployment,
                root_cause_sha=i.root_cause_sha,
                change_induced=i.change_induced,
                recorded_at=stored.recorded_at,
                recorded_by=stored.recorded_by,
            )
        )

    def latest(
        self, *, service: str | None = None, source: str | None = None, limit: int
    ) -> Sequence[Stored[Incident]]:
        t = delivery_incidents
        stmt = _latest_rows(t)
        if source is not None:
            stmt = stmt.where(t.c.source == source)
        stmt = stmt.order_by(t.c.created_at.desc(), t.c.source, t.c.id)
        rows = [_incident(row) for row in self._conn.execute(stmt)]
        if service is not None:
            # services is a JSON list; filtering here keeps one query for both engines
            rows = [s for s in rows if service in s.event.services]
        return rows[:limit]

    def created_since(self, at: datetime) -> Sequence[Incident]:
        t = delivery_incidents
        stmt = _latest_rows(t).where(t.c.created_at >= at).order_by(t.c.source, t.c.id)
        return [_incident(row).event for row in self._conn.execute(stmt)]


delivery_changes = Table(
    "delivery_changes",
    metadata,
    Column("source", String(64), nullable=False),
    Column("id", String(200), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("repo", String(200), nullable=False),
    Column("sha", String(64), nullable=True),
    Column("authored_at", UTCDateTime(), nullable=False),
    Column("merged_at", UTCDateTime(), nullable=True),
    Column("landed_at", UTCDateTime(), nullable=False),  # merged_at, else authored_at
    Column("merge_method", String(16), nullable=True),
    Column("reverts", String(200), nullable=True),
    Column("title", Text, nullable=True),
    Column("details", Text, nullable=False),  # JSON {commits, reviews, labels}
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    PrimaryKeyConstraint("source", "id", "revision"),
    Index("ix_delivery_changes_landed_at", "landed_at"),
    Index("ix_delivery_changes_sha", "sha"),
)


def _change(row: Row[Any]) -> Stored[Change]:
    details = json.loads(row.details)
    event = Change(
        source=row.source,
        id=row.id,
        kind=ChangeKind(row.kind),
        repo=row.repo,
        authored_at=row.authored_at,
        sha=row.sha,
        merged_at=row.merged_at,
        merge_method=None if row.merge_method is None else MergeMethod(row.merge_method),
        commits=tuple(
            Commit(c["sha"], datetime.fromisoformat(c["authored_at"])) for c in details["commits"]
        ),
        reviews=tuple(
            Review(r["reviewer"], ReviewState(r["state"]), datetime.fromisoformat(r["at"]))
            for r in details["reviews"]
        ),
        labels=tuple(details["labels"]),
        reverts=row.reverts,
        title=row.title,
    )
    return Stored(event, row.revision, row.recorded_at, row.recorded_by)


def _details(c: Change) -> str:
    return json.dumps(
        {
            "commits": [
                {"sha": x.sha, "authored_at": x.authored_at.isoformat()} for x in c.commits
            ],
            "reviews": [
                {"reviewer": r.reviewer, "state": r.state.value, "at": r.submitted_at.isoformat()}
                for r in c.reviews
            ],
            "labels": list(c.labels),
        },
        separators=(",", ":"),
    )


#: Shas per ``IN (...)`` query: well under SQLite's and PostgreSQL's parameter limits.
_SHA_CHUNK = 500


class SqlChanges:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def history(self, source: str, event_id: str) -> list[Stored[Change]]:
        t = delivery_changes
        stmt = select(t).where(t.c.source == source, t.c.id == event_id).order_by(t.c.revision)
        return [_change(row) for row in self._conn.execute(stmt)]

    def append(self, stored: Stored[Change]) -> None:
        _bump(self._conn)
        c = stored.event
        self._conn.execute(
            insert(delivery_changes).values(
                source=c.source,
                id=c.id,
                revision=stored.revision,
                kind=c.kind.value,
                repo=c.repo,
                sha=c.sha,
                authored_at=c.authored_at,
                merged_at=c.merged_at,
                landed_at=c.landed_at,
                merge_method=None if c.merge_method is None else c.merge_method.value,
                reverts=c.reverts,
                title=c.title,
                details=_details(c),
                recorded_at=stored.recorded_at,
                recorded_by=stored.recorded_by,
            )
        )

    def latest(
        self, *, repo: str | None = None, source: str | None = None, limit: int
    ) -> Sequence[Stored[Change]]:
        t = delivery_changes
        stmt = _latest_rows(t)
        if repo is not None:
            stmt = stmt.where(t.c.repo == repo)
        if source is not None:
            stmt = stmt.where(t.c.source == source)
        stmt = stmt.order_by(t.c.landed_at.desc(), t.c.source, t.c.id).limit(limit)
        return [_change(row) for row in self._conn.execute(stmt)]

    def landed_since(self, at: datetime) -> Sequence[Change]:
        t = delivery_changes
        stmt = _latest_rows(t).where(t.c.landed_at >= at).order_by(t.c.source, t.c.id)
        return [_change(row).event for row in self._conn.execute(stmt)]

    def with_shas(self, shas: Collection[str]) -> Sequence[Change]:
        t = delivery_changes
        wanted = sorted(set(shas))
        found: dict[tuple[str, str], Change] = {}
        for i in range(0, len(wanted), _SHA_CHUNK):
            stmt = _latest_rows(t).where(t.c.sha.in_(wanted[i : i + _SHA_CHUNK]))
            for row in self._conn.execute(stmt):
                change = _change(row).event
                found[(change.source, change.id)] = change
        return [found[k] for k in sorted(found)]
