"""Ports: the seams the use cases need, implemented by adapters (and by fakes in unit tests)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from sluicegate.domain.audit import AuditEvent, Checkpoint
from sluicegate.domain.identity import ReviewerDomain, Role

__all__ = [
    "ApprovalRecord",
    "ApprovalRepository",
    "AuditFilter",
    "AuditRepository",
    "Clock",
    "ExperimentRecord",
    "ExperimentRepository",
    "IdFactory",
    "SettingsRepository",
    "Signer",
    "TeamRecord",
    "TeamRepository",
    "TokenRecord",
    "TokenRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UserRecord",
    "UserRepository",
]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class IdFactory(Protocol):
    def new_id(self) -> str: ...


class Signer(Protocol):
    key_id: str

    def sign(self, payload: bytes) -> str:
        """Hex-encoded Ed25519 signature."""
        ...

    def public_key_pem(self) -> str: ...


@dataclass(frozen=True, slots=True)
class TeamRecord:
    id: str
    key: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    username: str
    display_name: str
    role: Role
    domains: frozenset[ReviewerDomain]
    teams: frozenset[str]
    created_at: datetime
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class TokenRecord:
    id: str
    user_id: str
    name: str
    prefix: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class ExperimentRecord:
    id: str
    key: str
    title: str
    owner_team: str
    state: str
    risk_level: str
    priority_score: float
    proposer_id: str
    document: dict[str, Any]
    assessment: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    id: str
    experiment_id: str
    reviewer_id: str
    reviewer: str
    domain: ReviewerDomain
    decision: str
    comment: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    since: str | None = None
    until: str | None = None
    after_seq: int = 0
    limit: int = 100
    extra: dict[str, str] = field(default_factory=dict)


class TeamRepository(Protocol):
    def add(self, team: TeamRecord) -> None: ...
    def get_by_key(self, key: str) -> TeamRecord | None: ...
    def list_all(self) -> list[TeamRecord]: ...
    def add_member(self, team_id: str, user_id: str) -> None: ...


class UserRepository(Protocol):
    def add(self, user: UserRecord) -> None: ...
    def get(self, user_id: str) -> UserRecord | None: ...
    def get_by_username(self, username: str) -> UserRecord | None: ...
    def list_all(self) -> list[UserRecord]: ...
    def count(self) -> int: ...


class TokenRepository(Protocol):
    def add(self, token: TokenRecord, token_hash: str) -> None: ...
    def get(self, token_id: str) -> TokenRecord | None: ...
    def find_by_hash(self, token_hash: str) -> TokenRecord | None: ...
    def list_for_user(self, user_id: str) -> list[TokenRecord]: ...
    def revoke(self, token_id: str, when: datetime) -> None: ...


class ExperimentRepository(Protocol):
    def add(self, exp: ExperimentRecord) -> None: ...
    def get_by_key(self, key: str) -> ExperimentRecord | None: ...
    def query(
        self, state: str | None = None, team: str | None = None
    ) -> list[ExperimentRecord]: ...
    def update(self, exp: ExperimentRecord, expected_version: int) -> bool:
        """Write ``exp`` if the stored version is ``expected_version``; False on a conflict."""
        ...

    def due_for_expiry(self, now: datetime, states: Sequence[str]) -> list[ExperimentRecord]: ...


class ApprovalRepository(Protocol):
    def add(self, approval: ApprovalRecord) -> None: ...
    def for_experiment(self, experiment_id: str) -> list[ApprovalRecord]: ...


class SettingsRepository(Protocol):
    def get(self, key: str) -> Any | None: ...
    def put(self, key: str, value: Any, when: datetime) -> None: ...


class AuditRepository(Protocol):
    def append(
        self,
        *,
        ts: str,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: str,
        before: object,
        after: object,
        reason: str | None,
        request_id: str | None,
    ) -> AuditEvent: ...

    def checkpoint(self, ts: str) -> Checkpoint | None: ...
    def page(self, flt: AuditFilter) -> list[AuditEvent]: ...
    def iter_rows(self, batch: int = 10_000) -> Iterator[tuple[Any, ...]]: ...
    def checkpoints(self) -> list[Checkpoint]: ...
    def register_key(self, key_id: str, public_pem: str, when: datetime) -> bool: ...
    def public_keys(self) -> list[str]: ...
    def count(self) -> int: ...


class UnitOfWork(Protocol):
    teams: TeamRepository
    users: UserRepository
    tokens: TokenRepository
    experiments: ExperimentRepository
    approvals: ApprovalRepository
    settings: SettingsRepository
    audit: AuditRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, readonly: bool = False) -> UnitOfWork: ...
