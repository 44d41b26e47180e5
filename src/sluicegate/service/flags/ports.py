"""Ports of the flags feature: flag sets, revisions, change requests and scoped tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sluicegate.domain.flags import ChangeRequestState

__all__ = [
    "FlagChangeRequestRecord",
    "FlagHead",
    "FlagRepository",
    "FlagRevisionRecord",
    "FlagSetRecord",
    "FlagTokenRecord",
]


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
    state: ChangeRequestState
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
    def find_token(self, token_hash: str) -> tuple[FlagTokenRecord, FlagHead] | None:
        """A scoped token and the head of its flag set, in one query (hot path of OFREP)."""
        ...

    def get_token(self, token_id: str) -> FlagTokenRecord | None: ...
    def tokens(self, flag_set_id: str) -> list[FlagTokenRecord]: ...
    def revoke_token(self, token_id: str, when: datetime) -> None: ...
