"""Ports of the audit feature: the append-only ledger and its filter."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sluicegate.domain.audit.chain import AuditEvent, Checkpoint

__all__ = [
    "AuditFilter",
    "AuditRepository",
]


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
    def register_key(self, key_id: str, public_pem: str, when: datetime) -> bool: ...
    def public_keys(self) -> list[str]: ...
    def max_seq(self) -> int: ...
    def count(self) -> int: ...
