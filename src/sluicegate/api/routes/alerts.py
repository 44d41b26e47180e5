"""Alerts in: ``POST /api/v1/alerts/alertmanager``, an Alertmanager webhook receiver.

Alertmanager's ``webhook_configs`` posts each notification here with the bearer token of a
contributor (``http_config.authorization``). The body is Alertmanager's payload version 4; its
alerts become delivery incidents (docs/delivery.md, "Alerts from Alertmanager"). The model
below types the fields Sluicegate reads and lets every other field through; the domain's
translator checks the rest and names each bad field by its JSON path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sluicegate.api.deps import Ctx, ServiceDeps, container
from sluicegate.api.routes.delivery import INGEST, Limited
from sluicegate.api.schemas.alerts import AlertmanagerResult
from sluicegate.api.schemas.numbers import JsonInt, NotBoolean
from sluicegate.api.schemas.problems import problem_responses
from sluicegate.bootstrap import Settings
from sluicegate.domain.delivery.alertmanager import AlertRules
from sluicegate.service import delivery as svc

__all__ = ["router"]

router = APIRouter(tags=["alerts"])

_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
Status = Literal["firing", "resolved"]
Fingerprint = Annotated[str, Field(min_length=1, max_length=200, pattern=_PRINTABLE)]
Strings = dict[str, str]


class AlertBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    status: Status
    labels: Strings
    annotations: Strings | None = None
    startsAt: str = Field(description="RFC 3339")
    endsAt: str | None = Field(None, description="RFC 3339; 0001-01-01T00:00:00Z while firing")
    generatorURL: str | None = None
    fingerprint: Fingerprint


class AlertmanagerBody(BaseModel):
    """Alertmanager's webhook payload, version 4 (fields not listed are accepted and unread)."""

    model_config = ConfigDict(extra="allow")
    version: Literal["4"]
    groupKey: str | None = None
    truncatedAlerts: Annotated[JsonInt, Field(ge=0), NotBoolean] | None = None
    status: Status | None = None
    receiver: str | None = None
    groupLabels: Strings | None = None
    commonLabels: Strings | None = None
    commonAnnotations: Strings | None = None
    externalURL: str | None = None
    alerts: list[AlertBody]


def _rules(settings: Settings) -> AlertRules:
    labels = tuple(n.strip() for n in settings.alert_service_labels.split(",") if n.strip())
    return AlertRules(
        source=settings.alert_source,
        service_labels=labels,
        severity_label=settings.alert_severity_label,
    )


@router.post(
    "/alerts/alertmanager",
    summary="An Alertmanager webhook notification: its alerts as delivery incidents",
    description=(
        "Point an Alertmanager webhook_config here with a contributor's bearer token "
        "(http_config.authorization). Each alert is an incident of source SLUICE_ALERT_SOURCE "
        "with the alert's fingerprint as its id; a re-sent alert changes nothing, a resolved "
        "one resolves its incident; an alert without a service label is skipped with the "
        "reason. One notification is one transaction (docs/delivery.md, 'Alerts from "
        "Alertmanager')."
    ),
    response_model=AlertmanagerResult,
    dependencies=Limited,
    responses=problem_responses(*INGEST),
)
def alertmanager(
    body: AlertmanagerBody, request: Request, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    payload = body.model_dump(mode="json", exclude_unset=True)
    rules = _rules(container(request).settings)
    return svc.receive_alertmanager(deps, ctx, payload, rules)
