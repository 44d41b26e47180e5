"""Delivery events in: ``/api/v1/delivery/deployments`` and ``/api/v1/delivery/incidents``.

A new event or a legal progress answers 201; a redelivery answers 200 with the stored record; a
contradicting body under a known ``(source, id)`` answers 409 (ADR 0019, docs/delivery.md).
The prefix is ``/delivery`` because ``GET /api/v1/incidents`` already lists rollout incidents.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sluicegate.api.deps import Ctx, ServiceDeps
from sluicegate.api.schemas.delivery import (
    DeliveryIncidentList,
    DeliveryIncidentView,
    DeploymentList,
    DeploymentView,
)
from sluicegate.api.schemas.numbers import JsonAwareDatetime, JsonBool
from sluicegate.api.schemas.problems import READ, WRITE, problem_responses
from sluicegate.domain.delivery.records import (
    Deployment,
    DeploymentKind,
    DeploymentStatus,
    Incident,
    Revision,
)
from sluicegate.service import delivery as svc

__all__ = ["router"]

router = APIRouter(tags=["delivery"])

_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
Source = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
]
EventId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_PRINTABLE)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_PRINTABLE)]
Environment = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_PRINTABLE)]
Sha = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{7,64}$")]
Severity = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=_PRINTABLE)]
ExperimentKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
MAX_REVISIONS = 100
MAX_SERVICES = 100


class RevisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    repo: Name
    sha: Sha


class DeploymentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: EventId
    source: Source = Field("api", description="Where the event comes from; ids are per source.")
    service: Name
    environment: Environment
    status: DeploymentStatus
    started_at: JsonAwareDatetime
    finished_at: JsonAwareDatetime | None = None
    revisions: Annotated[list[RevisionBody], Field(min_length=1, max_length=MAX_REVISIONS)]
    kind: DeploymentKind = DeploymentKind.NORMAL
    rollback_of: EventId | None = None
    planned: JsonBool | None = None
    experiment: ExperimentKey | None = None

    def event(self) -> Deployment:
        return Deployment(
            source=self.source,
            id=self.id,
            service=self.service,
            environment=self.environment,
            status=self.status,
            started_at=self.started_at,
            finished_at=self.finished_at,
            revisions=tuple(Revision(r.repo, r.sha.lower()) for r in self.revisions),
            kind=self.kind,
            rollback_of=self.rollback_of,
            planned=self.planned,
            experiment=self.experiment,
        )


class IncidentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: EventId
    source: Source = Field("api", description="Where the event comes from; ids are per source.")
    services: Annotated[list[Name], Field(min_length=1, max_length=MAX_SERVICES)]
    severity: Severity
    created_at: JsonAwareDatetime
    acknowledged_at: JsonAwareDatetime | None = None
    resolved_at: JsonAwareDatetime | None = None
    caused_by_deployment: EventId | None = None
    root_cause_sha: Sha | None = None
    change_induced: JsonBool | None = None

    def event(self) -> Incident:
        return Incident(
            source=self.source,
            id=self.id,
            services=tuple(self.services),
            severity=self.severity,
            created_at=self.created_at,
            acknowledged_at=self.acknowledged_at,
            resolved_at=self.resolved_at,
            caused_by_deployment=self.caused_by_deployment,
            root_cause_sha=None if self.root_cause_sha is None else self.root_cause_sha.lower(),
            change_induced=self.change_induced,
        )


class IncidentUpdateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: Source = "api"
    acknowledged_at: JsonAwareDatetime | None = None
    resolved_at: JsonAwareDatetime | None = None


def _answer(response: Response, recorded: svc.Recorded) -> dict[str, Any]:
    view, created = recorded
    response.status_code = 201 if created else 200
    return view


@router.post(
    "/delivery/deployments",
    summary="Record a deployment (idempotent by source and id)",
    response_model=DeploymentView,
    status_code=201,
    responses={
        **problem_responses(*WRITE),
        200: {"model": DeploymentView, "description": "Already recorded: the stored deployment"},
    },
)
def record_deployment(
    body: DeploymentBody, response: Response, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    return _answer(response, svc.record_deployment(deps, ctx, body.event()))


@router.get(
    "/delivery/deployments",
    summary="List deployments (the latest revision of each)",
    response_model=DeploymentList,
    responses=problem_responses(*READ),
)
def list_deployments(
    deps: ServiceDeps,
    ctx: Ctx,
    service: Annotated[Name | None, Query()] = None,
    environment: Annotated[Environment | None, Query()] = None,
    source: Annotated[Source | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = svc.DEFAULT_LIST_LIMIT,
) -> dict[str, Any]:
    found = svc.list_deployments(
        deps, ctx, service=service, environment=environment, source=source, limit=limit
    )
    return {"deployments": found, "count": len(found)}


@router.get(
    "/delivery/deployments/{deployment_id}",
    summary="One deployment",
    response_model=DeploymentView,
    responses=problem_responses(*READ),
)
def get_deployment(
    deployment_id: EventId,
    deps: ServiceDeps,
    ctx: Ctx,
    source: Annotated[Source, Query()] = "api",
) -> dict[str, Any]:
    return svc.get_deployment(deps, ctx, source, deployment_id)


@router.post(
    "/delivery/incidents",
    summary="Open an incident (idempotent by source and id)",
    response_model=DeliveryIncidentView,
    status_code=201,
    responses={
        **problem_responses(*WRITE),
        200: {
            "model": DeliveryIncidentView,
            "description": "Already recorded: the stored incident",
        },
    },
)
def record_incident(
    body: IncidentBody, response: Response, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    return _answer(response, svc.record_incident(deps, ctx, body.event()))


@router.get(
    "/delivery/incidents",
    summary="List incidents (the latest revision of each)",
    response_model=DeliveryIncidentList,
    responses=problem_responses(*READ),
)
def list_incidents(
    deps: ServiceDeps,
    ctx: Ctx,
    service: Annotated[Name | None, Query()] = None,
    source: Annotated[Source | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = svc.DEFAULT_LIST_LIMIT,
) -> dict[str, Any]:
    found = svc.list_incidents(deps, ctx, service=service, source=source, limit=limit)
    return {"incidents": found, "count": len(found)}


@router.get(
    "/delivery/incidents/{incident_id}",
    summary="One incident",
    response_model=DeliveryIncidentView,
    responses=problem_responses(*READ),
)
def get_incident(
    incident_id: EventId,
    deps: ServiceDeps,
    ctx: Ctx,
    source: Annotated[Source, Query()] = "api",
) -> dict[str, Any]:
    return svc.get_incident(deps, ctx, source, incident_id)


@router.post(
    "/delivery/incidents/{incident_id}/updates",
    summary="Acknowledge or resolve an incident (a new revision)",
    response_model=DeliveryIncidentView,
    status_code=201,
    responses={
        **problem_responses(*WRITE),
        200: {"model": DeliveryIncidentView, "description": "Nothing new: the stored incident"},
    },
)
def update_incident(
    incident_id: EventId,
    body: IncidentUpdateBody,
    response: Response,
    deps: ServiceDeps,
    ctx: Ctx,
) -> dict[str, Any]:
    recorded = svc.update_incident(
        deps,
        ctx,
        body.source,
        incident_id,
        acknowledged_at=body.acknowledged_at,
        resolved_at=body.resolved_at,
    )
    return _answer(response, recorded)
