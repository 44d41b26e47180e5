"""Response models of ``api/routes/delivery.py`` (views: ``service.delivery.queries``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sluicegate.api.schemas import Schema

__all__ = [
    "ChangeList",
    "ChangeView",
    "DeliveryIncidentList",
    "DeliveryIncidentView",
    "DeliveryKpisView",
    "DeliveryMetricsView",
    "DeploymentList",
    "DeploymentView",
    "ExperimentImpactView",
    "MetricExplanationView",
    "RevisionView",
    "WebhookCount",
    "WebhookResult",
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


class CommitView(Schema):
    sha: str
    authored_at: str


class ReviewView(Schema):
    reviewer: str
    state: str
    submitted_at: str


class ChangeView(_Stored):
    source: str
    id: str
    kind: str
    repo: str
    sha: str | None
    authored_at: str
    merged_at: str | None
    merge_method: str | None
    commits: list[CommitView]
    reviews: list[ReviewView]
    labels: list[str]
    reverts: str | None
    title: str | None


class ChangeList(Schema):
    changes: list[ChangeView] = Field(description="The latest landed first")
    count: int


class DeliveryMetricsView(Schema):
    """The five DORA metrics (docs/delivery-metrics.md); figures are ``null`` without data."""

    scope: dict[str, Any] = Field(description="organisation, a service, or a team's services")
    timezone: str
    median: str = Field(description="linear (default) or lower (DevLake's reading)")
    from_: str = Field(alias="from")
    to: str
    deployment_frequency: dict[str, Any]
    lead_time: dict[str, Any] = Field(description="Seconds: n, median, p75, p90")
    lead_time_phases: dict[str, dict[str, Any]] = Field(
        description="coding, pickup, review, deploy: seconds, as lead_time"
    )
    change_fail_rate: dict[str, Any]
    recovery_time: dict[str, Any] = Field(description="Seconds: n, median, p75, p90")
    rework_rate: dict[str, Any]
    bucket: str | None = None
    buckets: list[dict[str, Any]] | None = None


class MetricExplanationView(Schema):
    metric: str
    scope: dict[str, Any]
    from_: str = Field(alias="from")
    to: str
    figure: dict[str, Any]
    facts: list[dict[str, Any]] = Field(description="Every fact the figure counts")
    incident_links: list[dict[str, Any]]
    unlinked_incidents: list[str]


class DeliveryKpisView(Schema):
    scope: dict[str, Any]
    from_: str = Field(alias="from")
    to: str
    experiments_by_state: dict[str, int]
    experiments_by_team: dict[str, dict[str, int]]
    time_to_approval: dict[str, Any]
    time_to_general_availability: dict[str, Any]
    category_share_of_experiments: dict[str, Any]
    category_share_of_deployments: dict[str, Any]
    innovation_bandwidth: dict[str, Any]
    budget_committed: dict[str, float]
    not_computed: dict[str, str]


class ExperimentImpactView(Schema):
    """The five metrics of an experiment's services before, during and after it."""

    experiment: str
    state: str
    services: list[str]
    started_at: str
    ended_at: str | None
    confidence: float
    periods: dict[str, dict[str, Any]] = Field(description="before, during, after (when known)")
    comparisons: dict[str, dict[str, dict[str, Any]]] = Field(
        description="during_vs_before, after_vs_before: per metric the estimate, interval, "
        "significance and method (a ratio for deployment frequency, differences otherwise)"
    )
    note: str


class WebhookCount(Schema):
    recorded: int = Field(description="New events or new revisions stored")
    unchanged: int = Field(description="Redelivered or older states: nothing stored")


class WebhookResult(Schema):
    source: str
    kind: str = Field(description="github, gitlab or azure-devops")
    event: str = Field(description="The provider's event name")
    ignored: str | None = Field(description="Why nothing in this delivery counts, if so")
    deployments: WebhookCount
    incidents: WebhookCount
    changes: WebhookCount
