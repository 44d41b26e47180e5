"""Response models of ``api/routes/delivery.py`` (views: ``service.delivery.queries``)."""

from __future__ import annotations

from pydantic import Field

from sluicegate.api.schemas import Schema

__all__ = [
    "DeliveryIncidentList",
    "DeliveryIncidentView",
    "DeploymentList",
    "DeploymentView",
    "RevisionView",
]


class RevisionView(Schema):
    repo: str
    sha: str


class _Stored(Schema):
    revision: int = Field(description="1 for the first report; each legal progress adds one")
    recorded_at: str
    recorded_by: str


class DeploymentView(_Stored):
    source: str
    id: str
    service: str
    environment: str
    status: str
    started_at: str
    finished_at: str | None
    revisions: list[RevisionView]
    kind: str
    rollback_of: str | None
    planned: bool | None
    experiment: str | None


class DeliveryIncidentView(_Stored):
    source: str
    id: str
    services: list[str]
    severity: str
    created_at: str
    acknowledged_at: str | None
    resolved_at: str | None
    caused_by_deployment: str | None
    root_cause_sha: str | None
    change_induced: bool | None


class DeploymentList(Schema):
    deployments: list[DeploymentView] = Field(description="Newest start first")
    count: int


class DeliveryIncidentList(Schema):
    incidents: list[DeliveryIncidentView] = Field(description="Newest first")
    count: int
