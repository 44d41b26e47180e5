"""Access: users, teams, API tokens and just-in-time grants (tables and repositories)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)

from sluicegate.adapters.db.schema import UTCDateTime, metadata
from sluicegate.domain.access.identity import ReviewerDomain, Role
from sluicegate.domain.access.jit import JitState
from sluicegate.service.access.ports import JitRecord, TeamRecord, TokenRecord, UserRecord
from sluicegate.service.context import SYSTEM

__all__ = [
    "SqlJit",
    "SqlTeams",
    "SqlTokens",
    "SqlUsers",
    "api_tokens",
    "jit_requests",
    "team_members",
    "teams",
    "users",
]


teams = Table(
    "teams",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)


users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("domains", Text, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)


team_members = Table(
    "team_members",
    metadata,
    Column("team_id", String(32), ForeignKey("teams.id"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id"), primary_key=True),
)


api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    # the token this one was issued through; revoking it revokes this one (migration 0009)
    Column("parent_id", String(32), ForeignKey("api_tokens.id"), nullable=True, index=True),
)


jit_requests = Table(
    "jit_requests",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("requester_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("requester", String(64), nullable=False),
    Column("experiment_key", String(64), ForeignKey("experiments.key"), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("role", String(16), nullable=False),
    Column("duration_seconds", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    # pending -> denied | active -> expired | revoked
    Column("state", String(16), nullable=False, index=True),
    Column("decided_by", String(64), nullable=True),
    Column("decision_comment", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("end_reason", Text, nullable=True),
    Index("ix_jit_requests_lookup", "requester_id", "experiment_key", "state"),
)


_USERNAME_OF = select(users.c.username).where(users.c.id == bindparam("id"))


class SqlTeams:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, team: TeamRecord) -> None:
        self._conn.execute(
            insert(teams).values(
                id=team.id, key=team.key, name=team.name, created_at=team.created_at
            )
        )

    def get_by_key(self, key: str) -> TeamRecord | None:
        row = self._conn.execute(select(teams).where(teams.c.key == key)).first()
        return TeamRecord(row.id, row.key, row.name, row.created_at) if row else None

    def list_all(self) -> list[TeamRecord]:
        rows = self._conn.execute(select(teams).order_by(teams.c.key))
        return [TeamRecord(r.id, r.key, r.name, r.created_at) for r in rows]

    def add_member(self, team_id: str, user_id: str) -> None:
        self._conn.execute(insert(team_members).values(team_id=team_id, user_id=user_id))


class SqlUsers:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, user: UserRecord) -> None:
        self._conn.execute(
            insert(users).values(
                id=user.id,
                username=user.username,
                display_name=user.display_name,
                role=user.role.value,
                domains=json.dumps(sorted(d.value for d in user.domains)),
                disabled=user.disabled,
                created_at=user.created_at,
            )
        )

    def _teams_of(self, user_id: str) -> frozenset[str]:
        rows = self._conn.execute(
            select(teams.c.key)
            .join(team_members, team_members.c.team_id == teams.c.id)
            .where(team_members.c.user_id == user_id)
        )
        return frozenset(r[0] for r in rows)

    def _record(self, row: Row[Any]) -> UserRecord:
        return UserRecord(
            id=row.id,
            username=row.username,
            display_name=row.display_name,
            role=Role(row.role),
            domains=frozenset(ReviewerDomain(d) for d in json.loads(row.domains)),
            teams=self._teams_of(row.id),
            created_at=row.created_at,
            disabled=bool(row.disabled),
        )

    def get(self, user_id: str) -> UserRecord | None:
        row = self._conn.execute(select(users).where(users.c.id == user_id)).first()
        return self._record(row) if row else None

    def username_of(self, user_id: str) -> str | None:
        found: str | None = self._conn.execute(_USERNAME_OF, {"id": user_id}).scalar_one_or_none()
        return found

    def get_by_username(self, username: str) -> UserRecord | None:
        row = self._conn.execute(select(users).where(users.c.username == username)).first()
        return self._record(row) if row else None

    def list_all(self) -> list[UserRecord]:
        """Every person (the disabled ``system`` row that migration 0008 adds for the system
        principal's own records is not one)."""
        query = select(users).where(users.c.id != SYSTEM.user_id).order_by(users.c.username)
        return [self._record(r) for r in self._conn.execute(query)]

    def count(self) -> int:
        query = select(func.count()).select_from(users).where(users.c.id != SYSTEM.user_id)
        return int(self._conn.execute(query).scalar_one())


def _token(row: Row[Any]) -> TokenRecord:
    return TokenRecord(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        role=Role(row.role),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        parent_id=row.parent_id,
    )


class SqlTokens:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, token: TokenRecord, token_hash: str) -> None:
        self._conn.execute(
            insert(api_tokens).values(
                id=token.id,
                user_id=token.user_id,
                name=token.name,
                prefix=token.prefix,
                token_hash=token_hash,
                role=token.role.value,
                created_at=token.created_at,
                expires_at=token.expires_at,
                revoked_at=token.revoked_at,
                parent_id=token.parent_id,
            )
        )

    def get(self, token_id: str) -> TokenRecord | None:
        row = self._conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        return _token(row) if row else None

    def find_by_hash(self, token_hash: str) -> TokenRecord | None:
        row = self._conn.execute(
            select(api_tokens).where(api_tokens.c.token_hash == token_hash)
        ).first()
        return _token(row) if row else None

    def list_for_user(self, user_id: str) -> list[TokenRecord]:
        rows = self._conn.execute(
            select(api_tokens)
            .where(api_tokens.c.user_id == user_id)
            .order_by(api_tokens.c.created_at)
        )
        return [_token(r) for r in rows]

    def revoke(self, token_id: str, when: datetime) -> None:
        self._conn.execute(
            update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=when)
        )

    def revoke_descendants(self, token_id: str, when: datetime) -> list[str]:
        t = api_tokens
        found: list[str] = []
        frontier = [token_id]
        while frontier:
            # every child, live or not: a revoked child may still have live children of its own
            rows = self._conn.execute(
                select(t.c.id, t.c.revoked_at).where(t.c.parent_id.in_(frontier))
            ).all()
            frontier = [r.id for r in rows]
            found += [r.id for r in rows if r.revoked_at is None]
        for start in range(0, len(found), 500):
            chunk = found[start : start + 500]
            self._conn.execute(update(t).where(t.c.id.in_(chunk)).values(revoked_at=when))
        return found

    def count_active(self, user_id: str, now: datetime) -> int:
        t = api_tokens
        query = (
            select(func.count())
            .select_from(t)
            .where(
                t.c.user_id == user_id,
                t.c.revoked_at.is_(None),
                or_(t.c.expires_at.is_(None), t.c.expires_at > now),
            )
        )
        return int(self._conn.execute(query).scalar_one())


def _jit(row: Row[Any]) -> JitRecord:
    return JitRecord(
        id=row.id,
        requester_id=row.requester_id,
        requester=row.requester,
        experiment_key=row.experiment_key,
        stage=row.stage,
        role=Role(row.role),
        duration_seconds=int(row.duration_seconds),
        reason=row.reason,
        state=JitState(row.state),
        created_at=row.created_at,
        decided_by=row.decided_by,
        decision_comment=row.decision_comment,
        decided_at=row.decided_at,
        expires_at=row.expires_at,
        ended_at=row.ended_at,
        end_reason=row.end_reason,
    )


def _jit_values(req: JitRecord) -> dict[str, Any]:
    return {
        "requester_id": req.requester_id,
        "requester": req.requester,
        "experiment_key": req.experiment_key,
        "stage": req.stage,
        "role": req.role.value,
        "duration_seconds": req.duration_seconds,
        "reason": req.reason,
        "state": req.state,
        "created_at": req.created_at,
        "decided_by": req.decided_by,
        "decision_comment": req.decision_comment,
        "decided_at": req.decided_at,
        "expires_at": req.expires_at,
        "ended_at": req.ended_at,
        "end_reason": req.end_reason,
    }


class SqlJit:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, req: JitRecord) -> None:
        self._conn.execute(insert(jit_requests).values(id=req.id, **_jit_values(req)))

    def get(self, req_id: str) -> JitRecord | None:
        row = self._conn.execute(select(jit_requests).where(jit_requests.c.id == req_id)).first()
        return _jit(row) if row else None

    def query(
        self,
        requester_id: str | None = None,
        experiment_key: str | None = None,
        state: str | None = None,
    ) -> list[JitRecord]:
        j = jit_requests
        query = select(j).order_by(j.c.created_at, j.c.id)
        if requester_id is not None:
            query = query.where(j.c.requester_id == requester_id)
        if experiment_key is not None:
            query = query.where(j.c.experiment_key == experiment_key)
        if state is not None:
            query = query.where(j.c.state == state)
        return [_jit(r) for r in self._conn.execute(query)]

    def update(self, req: JitRecord, expected_state: str) -> bool:
        result = self._conn.execute(
            update(jit_requests)
            .where(jit_requests.c.id == req.id, jit_requests.c.state == expected_state)
            .values(**_jit_values(req))
        )
        return bool(result.rowcount == 1)
