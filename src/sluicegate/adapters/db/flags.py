"""Flag sets, revisions, change requests and scoped tokens (tables and repositories)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    update,
)

from sluicegate.adapters.db.jsontext import dump_json as _dump
from sluicegate.adapters.db.schema import UTCDateTime, metadata
from sluicegate.domain.flags import ChangeRequestState
from sluicegate.service.flags.ports import (
    FlagChangeRequestRecord,
    FlagHead,
    FlagRevisionRecord,
    FlagSetRecord,
    FlagTokenRecord,
)

__all__ = [
    "SqlFlags",
    "flag_change_requests",
    "flag_revisions",
    "flag_sets",
    "flag_tokens",
]


flag_sets = Table(
    "flag_sets",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("owner_team", String(64), ForeignKey("teams.key"), nullable=False, index=True),
    Column("experiment_key", String(64), ForeignKey("experiments.key"), nullable=True),
    Column("policy", Text, nullable=False),
    Column("head_seq", Integer, nullable=False),
    Column("revision", String(64), nullable=False),
    Column("document", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("name", "environment"),
)


flag_revisions = Table(
    "flag_revisions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("flag_set_id", String(32), ForeignKey("flag_sets.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("revision", String(64), nullable=False),
    Column("document", Text, nullable=False),
    Column("diff", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", Text, nullable=True),
    Column("source", String(32), nullable=False),
    Column("rollback_of", Integer, nullable=True),
    Column("change_request_id", String(32), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("flag_set_id", "seq"),
)


flag_change_requests = Table(
    "flag_change_requests",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("flag_set_id", String(32), ForeignKey("flag_sets.id"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("base_seq", Integer, nullable=False),
    Column("document", Text, nullable=False),
    Column("diff", Text, nullable=False),
    Column("author_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("author", String(200), nullable=False),
    Column("reason", Text, nullable=True),
    Column("rollback_of", Integer, nullable=True),
    Column("reviewer", String(200), nullable=True),
    Column("review_comment", Text, nullable=True),
    Column("apply_at", UTCDateTime(), nullable=True),
    Column("applied_seq", Integer, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_flag_change_requests_set_state", "flag_set_id", "state"),
    Index("ix_flag_change_requests_due", "state", "apply_at"),
)


# Tokens scoped to one flag set in one environment: they may call only OFREP and the sync
# endpoints of that flag set. Only the SHA-256 of the secret is stored, as for api_tokens.
flag_tokens = Table(
    "flag_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("flag_set_id", String(32), ForeignKey("flag_sets.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", String(32), ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
)


def _set(row: Row[Any]) -> FlagSetRecord:
    return FlagSetRecord(
        id=row.id,
        name=row.name,
        environment=row.environment,
        owner_team=row.owner_team,
        experiment_key=row.experiment_key,
        policy=json.loads(row.policy),
        head_seq=int(row.head_seq),
        revision=row.revision,
        document=json.loads(row.document),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _revision(row: Row[Any]) -> FlagRevisionRecord:
    return FlagRevisionRecord(
        id=row.id,
        flag_set_id=row.flag_set_id,
        seq=int(row.seq),
        revision=row.revision,
        document=json.loads(row.document),
        diff=json.loads(row.diff),
        actor=row.actor,
        reason=row.reason,
        source=row.source,
        rollback_of=row.rollback_of,
        change_request_id=row.change_request_id,
        created_at=row.created_at,
    )


def _request(row: Row[Any]) -> FlagChangeRequestRecord:
    return FlagChangeRequestRecord(
        id=row.id,
        flag_set_id=row.flag_set_id,
        state=ChangeRequestState(row.state),
        base_seq=int(row.base_seq),
        document=json.loads(row.document),
        diff=json.loads(row.diff),
        author_id=row.author_id,
        author=row.author,
        reason=row.reason,
        rollback_of=row.rollback_of,
        reviewer=row.reviewer,
        review_comment=row.review_comment,
        apply_at=row.apply_at,
        applied_seq=row.applied_seq,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _request_values(cr: FlagChangeRequestRecord) -> dict[str, Any]:
    return {
        "flag_set_id": cr.flag_set_id,
        "state": cr.state,
        "base_seq": cr.base_seq,
        "document": _dump(cr.document),
        "diff": _dump(cr.diff),
        "author_id": cr.author_id,
        "author": cr.author,
        "reason": cr.reason,
        "rollback_of": cr.rollback_of,
        "reviewer": cr.reviewer,
        "review_comment": cr.review_comment,
        "apply_at": cr.apply_at,
        "applied_seq": cr.applied_seq,
        "created_at": cr.created_at,
        "updated_at": cr.updated_at,
    }


def _token(row: Row[Any]) -> FlagTokenRecord:
    return FlagTokenRecord(
        id=row.id,
        flag_set_id=row.flag_set_id,
        name=row.name,
        prefix=row.prefix,
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


class SqlFlags:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- flag sets ---------------------------------------------------------------------------

    def add_set(self, flag_set: FlagSetRecord) -> None:
        self._conn.execute(
            insert(flag_sets).values(
                id=flag_set.id,
                name=flag_set.name,
                environment=flag_set.environment,
                owner_team=flag_set.owner_team,
                experiment_key=flag_set.experiment_key,
                policy=_dump(flag_set.policy),
                head_seq=flag_set.head_seq,
                revision=flag_set.revision,
                document=_dump(flag_set.document),
                created_at=flag_set.created_at,
                updated_at=flag_set.updated_at,
            )
        )

    def get_set(self, name: str, environment: str) -> FlagSetRecord | None:
        row = self._conn.execute(
            select(flag_sets).where(
                flag_sets.c.name == name, flag_sets.c.environment == environment
            )
        ).first()
        return _set(row) if row else None

    def get_set_by_id(self, flag_set_id: str) -> FlagSetRecord | None:
        row = self._conn.execute(select(flag_sets).where(flag_sets.c.id == flag_set_id)).first()
        return _set(row) if row else None

    def list_sets(self, name: str | None = None, team: str | None = None) -> list[FlagSetRecord]:
        q = select(flag_sets)
        if name:
            q = q.where(flag_sets.c.name == name)
        if team:
            q = q.where(flag_sets.c.owner_team == team)
        q = q.order_by(flag_sets.c.name, flag_sets.c.environment)
        return [_set(r) for r in self._conn.execute(q)]

    def environments(self, name: str) -> list[str]:
        rows = self._conn.execute(
            select(flag_sets.c.environment)
            .where(flag_sets.c.name == name)
            .order_by(flag_sets.c.environment)
        )
        return [r[0] for r in rows]

    def head(self, name: str, environment: str) -> FlagHead | None:
        row = self._conn.execute(
            select(flag_sets.c.id, flag_sets.c.head_seq, flag_sets.c.revision).where(
                flag_sets.c.name == name, flag_sets.c.environment == environment
            )
        ).first()
        if row is None:
            return None
        return FlagHead(row.id, name, environment, int(row.head_seq), row.revision)

    def move_head(self, flag_set: FlagSetRecord, expected_seq: int) -> bool:
        result = self._conn.execute(
            update(flag_sets)
            .where(flag_sets.c.id == flag_set.id, flag_sets.c.head_seq == expected_seq)
            .values(
                head_seq=flag_set.head_seq,
                revision=flag_set.revision,
                document=_dump(flag_set.document),
                updated_at=flag_set.updated_at,
            )
        )
        return result.rowcount == 1

    def update_settings(self, flag_set: FlagSetRecord) -> None:
        self._conn.execute(
            update(flag_sets)
            .where(flag_sets.c.id == flag_set.id)
            .values(
                policy=_dump(flag_set.policy),
                experiment_key=flag_set.experiment_key,
                updated_at=flag_set.updated_at,
            )
        )

    # -- revisions (append-only) -------------------------------------------------------------

    def add_revision(self, revision: FlagRevisionRecord) -> None:
        self._conn.execute(
            insert(flag_revisions).values(
                id=revision.id,
                flag_set_id=revision.flag_set_id,
                seq=revision.seq,
                revision=revision.revision,
                document=_dump(revision.document),
                diff=_dump(revision.diff),
                actor=revision.actor,
                reason=revision.reason,
                source=revision.source,
                rollback_of=revision.rollback_of,
                change_request_id=revision.change_request_id,
                created_at=revision.created_at,
            )
        )

    def get_revision(self, flag_set_id: str, seq: int) -> FlagRevisionRecord | None:
        row = self._conn.execute(
            select(flag_revisions).where(
                flag_revisions.c.flag_set_id == flag_set_id, flag_revisions.c.seq == seq
            )
        ).first()
        return _revision(row) if row else None

    def revisions(self, flag_set_id: str, limit: int = 100) -> list[FlagRevisionRecord]:
        rows = self._conn.execute(
            select(flag_revisions)
            .where(flag_revisions.c.flag_set_id == flag_set_id)
            .order_by(flag_revisions.c.seq.desc())
            .limit(limit)
        )
        return [_revision(r) for r in rows]

    # -- change requests ---------------------------------------------------------------------

    def add_change_request(self, request: FlagChangeRequestRecord) -> None:
        self._conn.execute(
            insert(flag_change_requests).values(id=request.id, **_request_values(request))
        )

    def get_change_request(self, request_id: str) -> FlagChangeRequestRecord | None:
        row = self._conn.execute(
            select(flag_change_requests).where(flag_change_requests.c.id == request_id)
        ).first()
        return _request(row) if row else None

    def change_requests(
        self, flag_set_id: str, state: str | None = None
    ) -> list[FlagChangeRequestRecord]:
        q = select(flag_change_requests).where(flag_change_requests.c.flag_set_id == flag_set_id)
        if state:
            q = q.where(flag_change_requests.c.state == state)
        q = q.order_by(flag_change_requests.c.created_at, flag_change_requests.c.id)
        return [_request(r) for r in self._conn.execute(q)]

    def update_change_request(self, request: FlagChangeRequestRecord, expected_state: str) -> bool:
        result = self._conn.execute(
            update(flag_change_requests)
            .where(
                flag_change_requests.c.id == request.id,
                flag_change_requests.c.state == expected_state,
            )
            .values(**_request_values(request))
        )
        return result.rowcount == 1

    def due_change_requests(self, now: datetime) -> list[FlagChangeRequestRecord]:
        rows = self._conn.execute(
            select(flag_change_requests)
            .where(
                flag_change_requests.c.state == "approved",
                flag_change_requests.c.apply_at.is_not(None),
                flag_change_requests.c.apply_at <= now,
            )
            .order_by(flag_change_requests.c.apply_at, flag_change_requests.c.id)
        )
        return [_request(r) for r in rows]

    # -- scoped tokens -----------------------------------------------------------------------

    def add_token(self, token: FlagTokenRecord, token_hash: str) -> None:
        self._conn.execute(
            insert(flag_tokens).values(
                id=token.id,
                flag_set_id=token.flag_set_id,
                name=token.name,
                prefix=token.prefix,
                token_hash=token_hash,
                created_by=token.created_by,
                created_at=token.created_at,
                expires_at=token.expires_at,
                revoked_at=token.revoked_at,
            )
        )

    def find_token(self, token_hash: str) -> tuple[FlagTokenRecord, FlagHead] | None:
        row = self._conn.execute(
            select(
                flag_tokens,
                flag_sets.c.name.label("set_name"),
                flag_sets.c.environment.label("set_environment"),
                flag_sets.c.head_seq.label("set_head_seq"),
                flag_sets.c.revision.label("set_revision"),
            )
            .join(flag_sets, flag_sets.c.id == flag_tokens.c.flag_set_id)
            .where(flag_tokens.c.token_hash == token_hash)
        ).first()
        if row is None:
            return None
        head = FlagHead(
            row.flag_set_id,
            row.set_name,
            row.set_environment,
            int(row.set_head_seq),
            row.set_revision,
        )
        return _token(row), head

    def get_token(self, token_id: str) -> FlagTokenRecord | None:
        row = self._conn.execute(select(flag_tokens).where(flag_tokens.c.id == token_id)).first()
        return _token(row) if row else None

    def tokens(self, flag_set_id: str) -> list[FlagTokenRecord]:
        rows = self._conn.execute(
            select(flag_tokens)
            .where(flag_tokens.c.flag_set_id == flag_set_id)
            .order_by(flag_tokens.c.created_at, flag_tokens.c.id)
        )
        return [_token(r) for r in rows]

    def revoke_token(self, token_id: str, when: datetime) -> None:
        self._conn.execute(
            update(flag_tokens).where(flag_tokens.c.id == token_id).values(revoked_at=when)
        )
