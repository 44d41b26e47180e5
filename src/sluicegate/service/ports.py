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
    "FlagChangeRequestRecord",
    "FlagHead",
    "FlagRepository",
    "FlagRevisionRecord",
    "FlagSetRecord",
    "FlagTokenRecord",
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
    def max_seq(self) -> int: ...
    def count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class FlagSetRecord:
    """A flag set in one environment, with its head (current) revision."""

    id: str
    name: str
    environment: str
    owner_team: str
    experiment_key: str | None
    policy: dict[str, Any]
    head_seq: int
    revision: str
    document: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FlagHead:
    """The light view of a flag set that evaluation needs on every request."""

    id: str
    name: str
    environment: str
    head_seq: int
    revision: str


@dataclass(frozen=True, slots=True)
class FlagRevisionRecord:
    id: str
    flag_set_id: str
    seq: int
    revision: str
    document: dict[str, Any]
    diff: dict[str, Any]
    actor: str
    reason: str | None
    source: str
    rollback_of: int | None
    change_request_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FlagChangeRequestRecord:
    id: str
    flag_set_id: str
    state: str
    base_seq: int
    document: dict[str, Any]
    diff: dict[str, Any]
    author_id: str
    author: str
    reason: str | None
    rollback_of: int | None
    reviewer: str | None
    review_comment: str | None
    apply_at: datetime | None
    applied_seq: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FlagTokenRecord:
    id: str
    flag_set_id: str
    name: str
    prefix: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class FlagRepository(Protocol):
    def add_set(self, flag_set: FlagSetRecord) -> None: ...
    def get_set(self, name: str, environment: str) -> FlagSetRecord | None: ...
    def get_set_by_id(self, flag_set_id: str) -> FlagSetRecord | None: ...
    def list_sets(
        self, name: str | None = None, team: str | None = None
    ) -> list[FlagSetRecord]: ...
    def environments(self, name: str) -> list[str]: ...
    def head(self, name: str, environment: str) -> FlagHead | None: ...
    def move_head(self, flag_set: FlagSetRecord, expected_seq: int) -> bool:
        """Write the head fields of ``flag_set`` if the stored head is ``expected_seq``."""
        ...

    def update_settings(self, flag_set: FlagSetRecord) -> None: ...
    def add_revision(self, revision: FlagRevisionRecord) -> None: ...
    def get_revision(self, flag_set_id: str, seq: int) -> FlagRevisionRecord | None: ...
    def revisions(self, flag_set_id: str, limit: int = 100) -> list[FlagRevisionRecord]: ...
    def add_change_request(self, request: FlagChangeRequestRecord) -> None: ...
    def get_change_request(self, request_id: str) -> FlagChangeRequestRecord | None: ...
    def change_requests(
        self, flag_set_id: str, state: str | None = None
    ) -> list[FlagChangeRequestRecord]: ...
    def update_change_request(
        self, request: FlagChangeRequestRecord, expected_state: str
    ) -> bool: ...
    def due_change_requests(self, now: datetime) -> list[FlagChangeRequestRecord]: ...
    def add_token(self, token: FlagTokenRecord, token_hash: str) -> None: ...
    def find_token(self, token_hash: str) -> FlagTokenRecord | None: ...
    def get_token(self, token_id: str) -> FlagTokenRecord | None: ...
    def tokens(self, flag_set_id: str) -> list[FlagTokenRecord]: ...
    def revoke_token(self, token_id: str, when: datetime) -> None: ...


class UnitOfWork(Protocol):
    teams: TeamRepository
    users: UserRepository
    tokens: TokenRepository
    experiments: ExperimentRepository
    approvals: ApprovalRepository
    settings: SettingsRepository
    audit: AuditRepository
    flags: FlagRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, readonly: bool = False) -> UnitOfWork: ...
