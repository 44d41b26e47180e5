"""Delivery's records and repository Protocols: deployments, changes and incidents, append-only."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from sluicegate.domain.delivery.changes import Change
from sluicegate.domain.delivery.records import Deployment, Incident
from sluicegate.domain.delivery.sources.signatures import WebhookSource

__all__ = [
    "ChangeRepository",
    "DeploymentRepository",
    "IncidentEventRepository",
    "Stored",
    "WebhookSources",
]

T = TypeVar("T", Deployment, Change, Incident)


@dataclass(frozen=True, slots=True)
class Stored(Generic[T]):
    """One stored revision of an event: revision 1 is the first report."""

    event: T
    revision: int
    recorded_at: datetime
    recorded_by: str


class DeploymentRepository(Protocol):
    def history(self, source: str, event_id: str) -> list[Stored[Deployment]]: ...
    def append(self, stored: Stored[Deployment]) -> None: ...
    def latest(
        self,
        *,
        service: str | None = None,
        environment: str | None = None,
        source: str | None = None,
        limit: int,
    ) -> Sequence[Stored[Deployment]]: ...
    def finished_since(self, at: datetime) -> Sequence[Deployment]:
        """The latest revision of every deployment that finished at or after ``at``."""
        ...

    def version(self) -> int:
        """Moved by every append to a deployment, change or incident (in any process)."""
        ...


class IncidentEventRepository(Protocol):
    def history(self, source: str, event_id: str) -> list[Stored[Incident]]: ...
    def append(self, stored: Stored[Incident]) -> None: ...
    def latest(
        self, *, service: str | None = None, source: str | None = None, limit: int
    ) -> Sequence[Stored[Incident]]: ...
    def created_since(self, at: datetime) -> Sequence[Incident]:
        """The latest revision of every incident opened at or after ``at``."""
        ...


class ChangeRepository(Protocol):
    def history(self, source: str, event_id: str) -> list[Stored[Change]]: ...
    def append(self, stored: Stored[Change]) -> None: ...
    def latest(
        self, *, repo: str | None = None, source: str | None = None, limit: int
    ) -> Sequence[Stored[Change]]: ...
    def landed_since(self, at: datetime) -> Sequence[Change]:
        """The latest revision of every change that landed at or after ``at``."""
        ...

    def with_shas(self, shas: Collection[str]) -> Sequence[Change]:
        """The latest revision of every change whose own sha is one of ``shas``."""
        ...


class WebhookSources(Protocol):
    """The configured webhook sources (kept outside the database: they hold secrets)."""

    def find(self, name: str) -> WebhookSource | None:
        """The source called ``name``, or None; raises Unavailable when they cannot be read."""
        ...
