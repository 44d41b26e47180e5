"""Ports of the rollouts feature: rollouts, applied steps, breakers, incidents, the lease."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sluicegate.domain.rollouts.breaker import Breaker
from sluicegate.domain.rollouts.machine import Status
from sluicegate.domain.rollouts.plan import TargetKind

__all__ = [
    "BreakerRepository",
    "IncidentRecord",
    "IncidentRepository",
    "LeaseRepository",
    "RolloutRecord",
    "RolloutRepository",
    "RolloutStepRecord",
    "RolloutStepRepository",
]


@dataclass(frozen=True, slots=True)
class RolloutRecord:
    """A rollout and its crash-safe position: the step being worked on and that step's state."""

    id: str
    experiment_key: str
    name: str
    status: Status
    target_kind: TargetKind
    target_ref: str
    plan: dict[str, Any]
    current_step: int
    step_state: dict[str, Any]
    weight: int
    rings: list[str]
    baseline: dict[str, Any]
    tick: int
    hold_reason: str | None
    outcome: dict[str, Any] | None
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RolloutStepRecord:
    """One entry of the applied-step history: an intent (``applying``) and then its outcome."""

    rollout_id: str
    seq: int
    step_index: int
    action: str
    status: str
    desired: dict[str, Any]
    detail: dict[str, Any]
    actor: str
    started_at: datetime
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    id: str
    rollout_id: str
    experiment_key: str
    services: list[str]
    title: str
    status: str
    evidence: dict[str, Any]
    opened_at: datetime
    resolved_at: datetime | None = None


class RolloutRepository(Protocol):
    """Rollouts and their crash-safe position."""

    def add(self, rollout: RolloutRecord) -> None: ...
    def get(self, rollout_id: str) -> RolloutRecord | None: ...
    def query(
        self, status: str | None = None, experiment_key: str | None = None
    ) -> list[RolloutRecord]: ...
    def due(self, statuses: Sequence[str]) -> list[str]:
        """Ids of the rollouts in ``statuses``, oldest first (the controller's work list)."""
        ...

    def update(self, rollout: RolloutRecord, expected_version: int) -> bool:
        """Write ``rollout`` if the stored version is ``expected_version``; False on a conflict."""
        ...


class RolloutStepRepository(Protocol):
    """The applied-step history: an intent (``applying``) and then its outcome."""

    def get(self, rollout_id: str, step_index: int, action: str) -> RolloutStepRecord | None: ...
    def add(self, step: RolloutStepRecord) -> None: ...
    def finish(
        self, rollout_id: str, seq: int, status: str, detail: dict[str, Any], when: datetime
    ) -> None: ...
    def history(self, rollout_id: str) -> list[RolloutStepRecord]: ...


class BreakerRepository(Protocol):
    """Circuit breakers, one per key."""

    def get(self, key: str) -> Breaker | None: ...
    def put(self, breaker: Breaker, when: datetime) -> None: ...
    def all(self) -> list[Breaker]: ...


class IncidentRepository(Protocol):
    """Incidents opened by rollbacks."""

    def add(self, incident: IncidentRecord) -> None: ...
    def query(
        self, rollout_id: str | None = None, experiment_key: str | None = None
    ) -> list[IncidentRecord]: ...


class LeaseRepository(Protocol):
    """The controller's leader lease."""

    def acquire(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        """Take or renew the lease: one UPDATE ... WHERE expires_at < now OR holder = me."""
        ...

    def release(self, name: str, holder: str) -> None: ...
    def get(self, name: str) -> tuple[str, datetime] | None:
        """The holder and when the lease expires."""
        ...
