"""Delivery: deployments, changes and incidents in (issue 13 §1); the DORA metrics out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluicegate.service.lazy import exports

if TYPE_CHECKING:
    from sluicegate.service.delivery.alerts import receive_alertmanager as receive_alertmanager
    from sluicegate.service.delivery.commands import Recorded as Recorded
    from sluicegate.service.delivery.commands import Tally as Tally
    from sluicegate.service.delivery.commands import record_change as record_change
    from sluicegate.service.delivery.commands import record_deployment as record_deployment
    from sluicegate.service.delivery.commands import record_incident as record_incident
    from sluicegate.service.delivery.commands import record_many as record_many
    from sluicegate.service.delivery.commands import update_incident as update_incident
    from sluicegate.service.delivery.impact import experiment_impact as experiment_impact
    from sluicegate.service.delivery.metrics import DEFAULT_WINDOW_DAYS as DEFAULT_WINDOW_DAYS
    from sluicegate.service.delivery.metrics import MAX_WINDOW_DAYS as MAX_WINDOW_DAYS
    from sluicegate.service.delivery.metrics import MetricsQuery as MetricsQuery
    from sluicegate.service.delivery.metrics import delivery_kpis as delivery_kpis
    from sluicegate.service.delivery.metrics import dora_metrics as dora_metrics
    from sluicegate.service.delivery.metrics import explain_metric as explain_metric
    from sluicegate.service.delivery.ports import ChangeRepository as ChangeRepository
    from sluicegate.service.delivery.ports import DeploymentRepository as DeploymentRepository
    from sluicegate.service.delivery.ports import (
        IncidentEventRepository as IncidentEventRepository,
    )
    from sluicegate.service.delivery.ports import Stored as Stored
    from sluicegate.service.delivery.ports import WebhookSources as WebhookSources
    from sluicegate.service.delivery.queries import DEFAULT_LIST_LIMIT as DEFAULT_LIST_LIMIT
    from sluicegate.service.delivery.queries import change_view as change_view
    from sluicegate.service.delivery.queries import deployment_view as deployment_view
    from sluicegate.service.delivery.queries import get_change as get_change
    from sluicegate.service.delivery.queries import get_deployment as get_deployment
    from sluicegate.service.delivery.queries import get_incident as get_incident
    from sluicegate.service.delivery.queries import incident_view as incident_view
    from sluicegate.service.delivery.queries import list_changes as list_changes
    from sluicegate.service.delivery.queries import list_deployments as list_deployments
    from sluicegate.service.delivery.queries import list_incidents as list_incidents
    from sluicegate.service.delivery.rollouts import record_rollout_end as record_rollout_end
    from sluicegate.service.delivery.webhooks import authenticate_source as authenticate_source
    from sluicegate.service.delivery.webhooks import ingest_webhook as ingest_webhook
    from sluicegate.service.delivery.webhooks import source_context as source_context

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "DEFAULT_WINDOW_DAYS",
    "MAX_WINDOW_DAYS",
    "ChangeRepository",
    "DeploymentRepository",
    "IncidentEventRepository",
    "MetricsQuery",
    "Recorded",
    "Stored",
    "Tally",
    "WebhookSources",
    "authenticate_source",
    "change_view",
    "delivery_kpis",
    "deployment_view",
    "dora_metrics",
    "experiment_impact",
    "explain_metric",
    "get_change",
    "get_deployment",
    "get_incident",
    "incident_view",
    "ingest_webhook",
    "list_changes",
    "list_deployments",
    "list_incidents",
    "receive_alertmanager",
    "record_change",
    "record_deployment",
    "record_incident",
    "record_many",
    "record_rollout_end",
    "source_context",
    "update_incident",
]

_TABLE = {
    "ChangeRepository": "ports",
    "DEFAULT_LIST_LIMIT": "queries",
    "DEFAULT_WINDOW_DAYS": "metrics",
    "DeploymentRepository": "ports",
    "IncidentEventRepository": "ports",
    "MAX_WINDOW_DAYS": "metrics",
    "MetricsQuery": "metrics",
    "Recorded": "commands",
    "Stored": "ports",
    "Tally": "commands",
    "WebhookSources": "ports",
    "authenticate_source": "webhooks",
    "change_view": "queries",
    "delivery_kpis": "metrics",
    "deployment_view": "queries",
    "dora_metrics": "metrics",
    "experiment_impact": "impact",
    "explain_metric": "metrics",
    "get_change": "queries",
    "get_deployment": "queries",
    "get_incident": "queries",
    "incident_view": "queries",
    "ingest_webhook": "webhooks",
    "list_changes": "queries",
    "list_deployments": "queries",
    "list_incidents": "queries",
    "receive_alertmanager": "alerts",
    "record_change": "commands",
    "record_deployment": "commands",
    "record_incident": "commands",
    "record_many": "commands",
    "record_rollout_end": "rollouts",
    "source_context": "webhooks",
    "update_incident": "commands",
}
__getattr__, __dir__ = exports(__name__, _TABLE)
