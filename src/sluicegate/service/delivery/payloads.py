"""Audit payloads of delivery events: their own builders, never the API's views."""

from __future__ import annotations

from typing import Any

from sluicegate.domain.delivery.records import Deployment, Incident

__all__ = ["deployment_payload", "incident_payload"]


def _ts(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def deployment_payload(d: Deployment) -> dict[str, Any]:
    return {
        "source": d.source,
        "id": d.id,
        "service": d.service,
        "environment": d.environment,
        "status": d.status.value,
        "started_at": _ts(d.started_at),
        "finished_at": _ts(d.finished_at),
        "revisions": [{"repo": r.repo, "sha": r.sha} for r in d.revisions],
        "kind": d.kind.value,
        "rollback_of": d.rollback_of,
        "planned": d.planned,
        "experiment": d.experiment,
    }


def incident_payload(i: Incident) -> dict[str, Any]:
    return {
        "source": i.source,
        "id": i.id,
        "services": list(i.services),
        "severity": i.severity,
        "created_at": _ts(i.created_at),
        "acknowledged_at": _ts(i.acknowledged_at),
        "resolved_at": _ts(i.resolved_at),
        "caused_by_deployment": i.caused_by_deployment,
        "root_cause_sha": i.root_cause_sha,
        "change_induced": i.change_induced,
    }
