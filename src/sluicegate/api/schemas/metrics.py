"""Response models of ``api/routes/metrics.py`` (views: ``service.metrics``)."""

from __future__ import annotations

from pydantic import Field

from sluicegate.api.schemas import Number, Schema

__all__ = ["Accepted", "Sample", "Samples"]


class Accepted(Schema):
    accepted: int = Field(description="How many samples were stored")


class Sample(Schema):
    experiment: str
    metric: str
    variant: str
    value: Number
    ts: str
    labels: dict[str, str]


class Samples(Schema):
    samples: list[Sample] = Field(description="Oldest first")
    count: int
