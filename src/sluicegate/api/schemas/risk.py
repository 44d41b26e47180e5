"""Response models of ``api/routes/settings.py`` (views: ``service.risk``, priority weights)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sluicegate.api.schemas import Number, Schema

__all__ = ["PriorityWeights", "RiskAssessment", "RiskMatrix"]


class RiskMatrix(Schema):
    source: str = Field(description="Where the matrix comes from (default, stored, replaced)")
    matrix: dict[str, Any] = Field(description="The risk matrix document (docs/risk-matrix.md)")


class RiskAssessment(Schema):
    level: str
    score: int
    base_level: str
    decided_by: str
    dominant_factor: str
    escalations_applied: list[str]
    explanation: str
    required_signoffs: list[str]
    required_evidence: list[str]
    allowed_environments: list[str]


class PriorityWeights(Schema):
    value: Number
    strategic_fit: Number
    cost: Number
    risk: Number
    time_to_learn: Number
