"""Ports of the experiments feature: experiment and sign-off records and their repositories."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sluicegate.domain.access.identity import ReviewDecision, ReviewerDomain
from sluicegate.domain.experiments.lifecycle import State
from sluicegate.domain.risk import RiskLevel

__all__ = [
    "ApprovalRecord",
    "ApprovalRepository",
    "ExperimentRecord",
    "ExperimentRepository",
]


@dataclass(frozen=True, slots=True)
class ExperimentRecord:
    id: str
    key: str
    title: str
    owner_team: str
    state: State
    risk_level: RiskLevel
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
    decision: ReviewDecision
    comment: str
    created_at: datetime
    stage: str | None = None  # None: the intake sign-off; else the stage it approves entry to


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
