"""Response models of ``api/routes/rollouts.py`` (views: ``service.rollouts``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sluicegate.api.schemas import Number, Schema

__all__ = [
    "Breaker",
    "BreakerList",
    "Incident",
    "IncidentList",
    "Rollout",
    "RolloutList",
    "RolloutStatus",
    "Step",
    "StepRun",
    "Weights",
]


class Step(Schema):
    index: int
    kind: str
    weight: int | None
    describe: str
    gate: str | None
    state: str = Field(description="done, current or pending")


class Rollout(Schema):
    id: str
    experiment: str
    name: str
    status: str
    target: dict[str, Any] = Field(description="A service or flag target (docs/rollouts.md)")
    target_ref: str
    services: list[str]
    weights: dict[str, int] = Field(description="canary/stable (and green/blue) in percent")
    rings: list[str]
    current_step: int
    steps: list[Step]
    analysis: dict[str, Any]
    hold_reason: str | None
    outcome: dict[str, Any] | None
    version: int
    created_by: str
    created_at: str
    updated_at: str
    finished_at: str | None


class RolloutList(Schema):
    items: list[Rollout]


class StepRun(Schema):
    seq: int
    step: int
    action: str
    status: str
    desired: dict[str, Any]
    detail: dict[str, Any]
    actor: str
    started_at: str
    finished_at: str | None


class Incident(Schema):
    id: str
    rollout: str
    experiment: str
    services: list[str]
    title: str
    status: str
    evidence: dict[str, Any]
    opened_at: str
    resolved_at: str | None


class IncidentList(Schema):
    items: list[Incident]


class RolloutStatus(Rollout):
    history: list[StepRun]
    incidents: list[Incident]


class Weights(Schema):
    rollout: str
    experiment: str
    target: dict[str, Any]
    status: str
    step: int
    weights: dict[str, int]
    rings: list[str]
    next_weight: int | None
    updated_at: str


class Breaker(Schema):
    key: str
    state: str
    failures: int
    threshold: int
    cooldown_seconds: Number
    opened_at: str | None
    probe: str | None
    reason: str | None


class BreakerList(Schema):
    items: list[Breaker]
