"""Delivery events in, metrics out: ``/api/v1/delivery/...``.

A new event or a legal progress answers 201; a redelivery answers 200 with the stored record; a
contradicting body under a known ``(source, id)`` answers 409 (ADR 0019, docs/delivery.md).
The prefix is ``/delivery`` because ``GET /api/v1/incidents`` already lists rollout incidents.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from sluicegate.api.deps import Ctx, ServiceDeps, container
from sluicegate.api.ratelimit import check_ingest
from sluicegate.api.schemas.delivery import (
    ChangeList,
    ChangeView,
    DeliveryIncidentList,
    DeliveryIncidentView,
    DeliveryKpisView,
    DeliveryMetricsView,
    DeploymentList,
    DeploymentView,
    ExperimentImpactView,
    MetricExplanationView,
    WebhookResult,
)
from sluicegate.api.schemas.numbers import JsonAwareDatetime, JsonBool
from sluicegate.api.schemas.problems import READ, WRITE, problem_responses
from sluicegate.domain.delivery.changes import (
    Change,
    ChangeKind,
    Commit,
    MergeMethod,
    Review,
    ReviewState,
)
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


async def _ingest_limit(request: Request, ctx: Ctx) -> None:
    """Each token's delivery writes share one bucket (SLUICE_INGEST_RATE, SLUICE_INGEST_BURST)."""
    check_ingest(request.app, f"token:{ctx.principal.token_id or ctx.actor}")


#: the dependency of every delivery write; its 429 is in INGEST's statuses
Limited = [Depends(_ingest_limit)]
INGEST = (*WRITE, 429)

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
Label = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_PRINTABLE)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=_PRINTABLE)]
MAX_REVISIONS = 100
MAX_SERVICES = 100
MAX_COMMITS = 1000
MAX_REVIEWS = 200
MAX_LABELS = 50


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


class CommitBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sha: Sha
    authored_at: JsonAwareDatetime


class ReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reviewer: Name
    state: ReviewState
    submitted_at: JsonAwareDatetime


class ChangeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: EventId = Field(description="A commit's sha, or a pull request's ``<repo>#<number>``.")
    source: Source = Field("api", description="Where the event comes from; ids are per source.")
    kind: ChangeKind
    repo: Name
    authored_at: JsonAwareDatetime = Field(
        description="A commit's author time, or when a pull request was opened."
    )
    sha: Sha | None = Field(
        None, description="A commit's sha, or the commit a merged pull request landed."
    )
    merged_at: JsonAwareDatetime | None = None
    merge_method: MergeMethod | None = None
    commits: Annotated[list[CommitBody], Field(max_length=MAX_COMMITS)] = Field(
        default_factory=list, description="A pull request's original commits."
    )
    reviews: Annotated[list[ReviewBody], Field(max_length=MAX_REVIEWS)] = Field(
        default_factory=list
    )
    labels: Annotated[list[Label], Field(max_length=MAX_LABELS)] = Field(default_factory=list)
    reverts: EventId | None = Field(None, description="The sha or change id this one reverts.")
    title: Title | None = None

    def event(self) -> Change:
        return Change(
            source=self.source,
            id=self.id,
            kind=self.kind,
            repo=self.repo,
            authored_at=self.authored_at,
            sha=None if self.sha is None else self.sha.lower(),
            merged_at=self.merged_at,
            merge_method=self.merge_method,
            commits=tuple(Commit(c.sha.lower(), c.authored_at) for c in self.commits),
            reviews=tuple(Review(r.reviewer, r.state, r.submitted_at) for r in self.reviews),
            labels=tuple(self.labels),
            reverts=self.reverts,
            title=self.title,
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
    dependencies=Limited,
    responses={
        **problem_responses(*INGEST),
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
    "/delivery/deployments/{deployment_id:path}",
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
    dependencies=Limited,
    responses={
        **problem_responses(*INGEST),
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
    dependencies=Limited,
    responses={
        **problem_responses(*INGEST),
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


@router.post(
    "/delivery/changes",
    summary="Record a commit or pull request (idempotent; later reports add to it)",
    response_model=ChangeView,
    status_code=201,
    dependencies=Limited,
    responses={
        **problem_responses(*INGEST),
        200: {"model": ChangeView, "description": "Nothing new: the stored change"},
    },
)
def record_change(
    body: ChangeBody, response: Response, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    return _answer(response, svc.record_change(deps, ctx, body.event()))


@router.get(
    "/delivery/changes",
    summary="List changes (the latest revision of each, the latest landed first)",
    response_model=ChangeList,
    responses=problem_responses(*READ),
)
def list_changes(
    deps: ServiceDeps,
    ctx: Ctx,
    repo: Annotated[Name | None, Query()] = None,
    source: Annotated[Source | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = svc.DEFAULT_LIST_LIMIT,
) -> dict[str, Any]:
    found = svc.list_changes(deps, ctx, repo=repo, source=source, limit=limit)
    return {"changes": found, "count": len(found)}


@router.get(
    "/delivery/changes/{change_id:path}",
    summary="One change (a pull request's id holds a slash and a #: escape the #)",
    response_model=ChangeView,
    responses=problem_responses(*READ),
)
def get_change(
    change_id: EventId,
    deps: ServiceDeps,
    ctx: Ctx,
    source: Annotated[Source, Query()] = "api",
) -> dict[str, Any]:
    return svc.get_change(deps, ctx, source, change_id)


Zone = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+/-]+$")]
Team = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_PRINTABLE)]
Bucket = Literal["day", "week", "month"]
MetricName = Literal["deployment-frequency", "lead-time", "cfr", "recovery-time", "rework-rate"]


def _query(
    service: Annotated[Name | None, Query(description="One service")] = None,
    team: Annotated[Team | None, Query(description="The services a team's experiments name")] = (
        None
    ),
    start: Annotated[
        JsonAwareDatetime | None, Query(alias="from", description="Default: 90 days before to")
    ] = None,
    end: Annotated[JsonAwareDatetime | None, Query(alias="to", description="Default: now")] = None,
    bucket: Annotated[Bucket | None, Query(description="Also per day, week or month")] = None,
    timezone: Annotated[Zone, Query(description="IANA zone of the buckets")] = "UTC",
    median: Annotated[
        Literal["linear", "lower"], Query(description="lower: DevLake's reading")
    ] = "linear",
) -> svc.MetricsQuery:
    return svc.MetricsQuery(
        service=service,
        team=team,
        start=start,
        end=end,
        bucket=bucket,
        timezone=timezone,
        lower_median=median == "lower",
    )


MetricsParams = Annotated[svc.MetricsQuery, Depends(_query)]


@router.get(
    "/delivery/metrics",
    summary="The five DORA metrics of a service, a team or everything",
    response_model=DeliveryMetricsView,
    responses=problem_responses(*READ),
)
def delivery_metrics(query: MetricsParams, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.dora_metrics(deps, ctx, query)


@router.get(
    "/delivery/metrics/{metric}/explain",
    summary="One metric's figure and every fact it counts",
    response_model=MetricExplanationView,
    responses=problem_responses(*READ),
)
def explain_metric(
    metric: MetricName, query: MetricsParams, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    return svc.explain_metric(deps, ctx, metric, query)


@router.get(
    "/delivery/kpis",
    summary="Innovation KPIs: the portfolio beside the delivery it produces",
    response_model=DeliveryKpisView,
    responses=problem_responses(*READ),
)
def delivery_kpis(
    query: MetricsParams,
    deps: ServiceDeps,
    ctx: Ctx,
    target: Annotated[
        float, Query(ge=0, le=1, description="Innovation bandwidth target per team")
    ] = 0.15,
) -> dict[str, Any]:
    return svc.delivery_kpis(deps, ctx, query, bandwidth_target=target)


@router.get(
    "/experiments/{key}/impact",
    summary="An experiment's effect on its services' DORA metrics, with uncertainty",
    response_model=ExperimentImpactView,
    responses=problem_responses(*READ, 409),
)
def experiment_impact(
    key: ExperimentKey,
    deps: ServiceDeps,
    ctx: Ctx,
    days: Annotated[
        int | None, Query(ge=1, le=365, description="Length of the before and after periods")
    ] = None,
    confidence: Annotated[float, Query(ge=0.5, lt=1, description="Interval confidence")] = 0.95,
) -> dict[str, Any]:
    return svc.experiment_impact(deps, ctx, key, days=days, confidence=confidence)


@router.post(
    "/delivery/webhooks/{source}",
    summary="A GitHub, GitLab or Azure DevOps webhook delivery (signed by the source's secret)",
    description=(
        "Authenticated by the source's secret, not a token: GitHub's X-Hub-Signature-256, "
        "GitLab's X-Gitlab-Token, Azure DevOps' basic authentication. The sources and their "
        "secrets are in the private file SLUICE_DELIVERY_SOURCES (docs/delivery.md, "
        "'Webhooks'). An unknown source and a bad signature get the same 401, and nothing is "
        "stored."
    ),
    response_model=WebhookResult,
    responses=problem_responses(400, 401, 409, 413, 422, 429, 503),
    openapi_extra={
        "security": [],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
    },
)
async def delivery_webhook(source: Source, request: Request, deps: ServiceDeps) -> dict[str, Any]:
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    sources = container(request).delivery_sources()
    found = await run_in_threadpool(svc.authenticate_source, sources, source, headers, body)
    check_ingest(request.app, f"source:{source}")
    request_id = getattr(request.state, "request_id", None)
    return await run_in_threadpool(
        svc.ingest_webhook, deps, found, headers, body, request_id=request_id
    )
