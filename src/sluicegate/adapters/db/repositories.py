"""SQL repositories for teams, users, tokens, experiments, approvals and settings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Row,
    Select,
    bindparam,
    func,
    insert,
    select,
    update,
)

from sluicegate.adapters.db.tables import (
    api_tokens,
    approvals,
    experiments,
    settings,
    team_members,
    teams,
    users,
)
from sluicegate.domain.identity import ReviewerDomain, Role
from sluicegate.domain.lifecycle import State
from sluicegate.domain.risk import RiskLevel
from sluicegate.service.access.ports import TeamRecord, TokenRecord, UserRecord
from sluicegate.service.context import SYSTEM
from sluicegate.service.experiments.ports import ApprovalRecord, ExperimentRecord

__all__ = [
    "SqlApprovals",
    "SqlExperiments",
    "SqlSettings",
    "SqlTeams",
    "SqlTokens",
    "SqlUsers",
]

# Statements on the gate-check path, built once (SQLAlchemy then skips building a cache key).
_EXPERIMENT_BY_KEY = select(experiments).where(experiments.c.key == bindparam("key"))
_USERNAME_OF = select(users.c.username).where(users.c.id == bindparam("id"))
_SETTINGS_MANY: dict[int, Select[tuple[str, str]]] = {}


def _settings_many(count: int) -> Select[tuple[str, str]]:
    """``key IN (:k0, ..., :kN)`` built once per length (an expanding parameter would make
    SQLAlchemy render the statement again on every call)."""
    query = _SETTINGS_MANY.get(count)
    if query is None:
        keys: list[BindParameter[str]] = [bindparam(f"k{i}") for i in range(count)]
        query = _SETTINGS_MANY.setdefault(
            count, select(settings.c.key, settings.c.value).where(settings.c.key.in_(keys))
        )
    return query


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
                decision=r.decision,
                comment=r.comment,
                created_at=r.created_at,
                stage=r.stage,
            )
            for r in rows
        ]


class SqlSettings:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, key: str) -> Any | None:
        row = self._conn.execute(select(settings.c.value).where(settings.c.key == key)).first()
        return json.loads(row[0]) if row else None

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        if not keys:
            return {}
        params = {f"k{i}": key for i, key in enumerate(keys)}
        rows = self._conn.execute(_settings_many(len(params)), params)
        return {row.key: json.loads(row.value) for row in rows}

    def put(self, key: str, value: Any, when: datetime) -> None:
        text = json.dumps(value, sort_keys=True)
        done = self._conn.execute(
            update(settings).where(settings.c.key == key).values(value=text, updated_at=when)
        )
        if done.rowcount == 0:
            self._conn.execute(insert(settings).values(key=key, value=text, updated_at=when))
