"""Ports of the access feature: users, teams, API tokens and just-in-time grants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sluicegate.domain.access.identity import ReviewerDomain, Role
from sluicegate.domain.access.jit import JitState

__all__ = [
    "JitRecord",
    "JitRepository",
    "TeamRecord",
    "TeamRepository",
    "TokenRecord",
    "TokenRepository",
    "UserRecord",
    "UserRepository",
]


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
    #: the token that issued this one (None: issued from a local command, as the first admin's)
    parent_id: str | None = None


class TeamRepository(Protocol):
    def add(self, team: TeamRecord) -> None: ...
    def get_by_key(self, key: str) -> TeamRecord | None: ...
    def list_all(self) -> list[TeamRecord]: ...
    def add_member(self, team_id: str, user_id: str) -> None: ...


class UserRepository(Protocol):
    def add(self, user: UserRecord) -> None: ...
    def get(self, user_id: str) -> UserRecord | None: ...
    def username_of(self, user_id: str) -> str | None: ...
    def get_by_username(self, username: str) -> UserRecord | None: ...
    def list_all(self) -> list[UserRecord]: ...
    def count(self) -> int: ...


class TokenRepository(Protocol):
    def add(self, token: TokenRecord, token_hash: str) -> None: ...
    def get(self, token_id: str) -> TokenRecord | None: ...
    def find_by_hash(self, token_hash: str) -> TokenRecord | None: ...
    def list_for_user(self, user_id: str) -> list[TokenRecord]: ...
    def revoke(self, token_id: str, when: datetime) -> None: ...
    def revoke_descendants(self, token_id: str, when: datetime) -> list[str]:
        """Revoke every live token issued, directly or not, through ``token_id``; their ids."""
        ...

    def count_active(self, user_id: str, now: datetime) -> int:
        """The user's tokens that are neither revoked nor expired at ``now``."""
        ...


@dataclass(frozen=True, slots=True)
class JitRecord:
    """A just-in-time access request and, once approved, its grant (same id)."""

    id: str
    requester_id: str
    requester: str
    experiment_key: str
    stage: str
    role: Role
    duration_seconds: int
    reason: str
    state: JitState
    created_at: datetime
    decided_by: str | None = None
    decision_comment: str | None = None
    decided_at: datetime | None = None
    expires_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None


class JitRepository(Protocol):
    def add(self, req: JitRecord) -> None: ...
    def get(self, req_id: str) -> JitRecord | None: ...
    def query(
        self,
        requester_id: str | None = None,
        experiment_key: str | None = None,
        state: str | None = None,
    ) -> list[JitRecord]: ...
    def update(self, req: JitRecord, expected_state: str) -> bool:
        """Write ``req`` if the stored state is ``expected_state``; False on a conflict."""
        ...
