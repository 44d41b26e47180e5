"""Delivery: deployments and incidents in (issue 13 §1); the DORA metrics will read them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluicegate.service.lazy import exports

if TYPE_CHECKING:
    from sluicegate.service.delivery.commands import Recorded as Recorded
    from sluicegate.service.delivery.commands import record_deployment as record_deployment
    from sluicegate.service.delivery.commands import record_incident as record_incident
    from sluicegate.service.delivery.commands import update_incident as update_incident
    from sluicegate.service.delivery.ports import DeploymentRepository as DeploymentRepository
    from sluicegate.service.delivery.ports import (
        IncidentEventRepository as IncidentEventRepository,
    )
    from sluicegate.service.delivery.ports import Stored as Stored
    from sluicegate.service.delivery.queries import DEFAULT_LIST_LIMIT as DEFAULT_LIST_LIMIT
    from sluicegate.service.delivery.queries import deployment_view as deployment_view
    from sluicegate.service.delivery.queries import get_deployment as get_deployment
    from sluicegate.service.delivery.queries import get_incident as get_incident
    from sluicegate.service.delivery.queries import incident_view as incident_view
    from sluicegate.service.delivery.queries import list_deployments as list_deployments
    from sluicegate.service.delivery.queries import list_incidents as list_incidents

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "DeploymentRepository",
    "IncidentEventRepository",
    "Recorded",
    "Stored",
    "deployment_view",
    "get_deployment",
    "get_incident",
    "incident_view",
    "list_deployments",
    "list_incidents",
    "record_deployment",
    "record_incident",
    "update_incident",
]

_TABLE = {
    "DEFAULT_LIST_LIMIT": "queries",
    "DeploymentRepository": "ports",
    "IncidentEventRepository": "ports",
    "Recorded": "commands",
    "Stored": "ports",
    "deployment_view": "queries",
    "get_deployment": "queries",
    "get_incident": "queries",
    "incident_view": "queries",
    "list_deployments": "queries",
    "list_incidents": "queries",
    "record_deployment": "commands",
    "record_incident": "commands",
    "update_incident": "commands",
}
__getattr__, __dir__ = exports(__name__, _TABLE)
