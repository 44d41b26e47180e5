"""Response models of ``api/routes/experiments.py`` (views: ``service.experiments``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sluicegate.api.schemas import Number, Schema

__all__ = ["Approval", "Experiment", "ExperimentList"]


class Approval(Schema):
    reviewer: str
    domain: str
    decision: str
    comment: str
    created_at: str
    stage: str | None = Field(description="None: the intake sign-off; else the stage it approves")


class Experiment(Schema):
    """An experiment; ``approvals`` and ``missing_signoffs`` are absent from queue listings."""

    id: str
    key: str
    title: str
    owner_team: str
    state: str
    version: int
    risk: dict[str, Any] = Field(description="The risk assessment (docs/risk-matrix.md)")
    priority_score: Number
    proposal: dict[str, Any] = Field(description="The proposal document (docs/proposal.md)")
    proposer_id: str
    created_at: str
    updated_at: str
    expires_at: str | None
    allowed_transitions: list[str]
    approvals: list[Approval] = Field(default_factory=list)
    missing_signoffs: list[str] = Field(default_factory=list)


class ExperimentList(Schema):
    items: list[Experiment]
