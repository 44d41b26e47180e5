"""Ports of the audit feature: the append-only ledger, its keys, its filter, and where signed
tree heads are published."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sluicegate.domain.audit.chain import AuditEvent, Checkpoint

__all__ = [
    "AuditFilter",
    "AuditRepository",
    "HeadPublisher",
    "KeyRecord",
    "TrustAnchor",
]


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A checkpoint key registered in ``audit_keys``; a rotated-to key carries the statement
    its predecessor signed."""

    key_id: str
    public_key: str
    endorsed_by: str | None = None
    statement: str | None = None
    signature: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "key_id": self.key_id,
            "public_key": self.public_key,
            "endorsed_by": self.endorsed_by,
            "statement": self.statement,
            "signature": self.signature,
        }


class TrustAnchor(Protocol):
    """The keys verification trusts: pinned outside the database, plus those they endorse."""

    def admit(self, records: Sequence[KeyRecord]) -> str | None:
        """Trust the endorsed records; the problem with the first that is not, or None."""
        ...

    def __call__(self, checkpoint: Checkpoint) -> bool: ...


class HeadPublisher(Protocol):
    """Somewhere outside the database that keeps the signed tree heads (file, webhook, witness)."""

    name: str

    def publish(self, head: Checkpoint) -> None:
        """Raise on failure; the caller logs it and retries the head on its next run."""
        ...


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
    def register_key(
        self, key_id: str, public_pem: str, when: datetime, endorsement: KeyRecord | None = None
    ) -> bool: ...
    def public_keys(self) -> list[str]: ...
    def key_records(self) -> list[KeyRecord]: ...
    def last_checkpoint(self) -> Checkpoint | None: ...
    def checkpoints_after(self, tree_size: int) -> list[Checkpoint]: ...
    def range_root(self, lo: int, hi: int) -> bytes:
        """MTH of the event hashes with ``lo < seq <= hi`` (RFC 6962 leaves)."""
        ...

    def max_seq(self) -> int: ...
    def count(self) -> int: ...
