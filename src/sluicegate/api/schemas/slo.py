"""Response models of ``api/routes/slo.py`` (views: ``service.slo.queries``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sluicegate.api.schemas import Number, Schema

__all__ = ["AppliedSlo", "SloApplyResult", "SloDetail", "SloList", "SloSummary"]


class AppliedSlo(Schema):
    service: str
    name: str
    revision: int = Field(description="The revision stored, or the one already stored")
    changed: bool = Field(description="Whether this apply stores (or, dry, would store) it")


class SloApplyResult(Schema):
    dry_run: bool
    slos: list[AppliedSlo]


class SloSummary(Schema):
    service: str
    name: str
    revision: int = Field(description="1 for the first apply; each changed apply adds one")
    format: str = Field(description="openslo or sloth")
    filename: str | None
    objective: Number
    window_days: int
    recorded_at: str
    recorded_by: str


class SloList(Schema):
    slos: list[SloSummary]
    count: int


class SloDetail(SloSummary):
    latest_revision: int
    spec: dict[str, Any] = Field(description="The normalised spec (both formats read into it)")
    source: str = Field(description="The text of the input the revision was applied from")
    rules: dict[str, Any] = Field(description="The Prometheus rule file of this revision")
