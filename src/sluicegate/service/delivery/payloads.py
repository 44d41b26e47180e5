"""Audit payloads of delivery events: their own builders, never the API's views."""

from __future__ import annotations

from typing import Any

from sluicegate.domain.delivery.changes import Change
from sluicegate.domain.delivery.records import Deployment, Incident

__all__ = ["change_payload", "deployment_payload", "incident_payload"]


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


def change_payload(c: Change) -> dict[str, Any]:
    return {
        "source": c.source,
        "id": c.id,
        "kind": c.kind.value,
        "repo": c.repo,
        "sha": c.sha,
        "authored_at": _ts(c.authored_at),
        "merged_at": _ts(c.merged_at),
        "merge_method": None if c.merge_method is None else c.merge_method.value,
        "commits": [{"sha": x.sha, "authored_at": _ts(x.authored_at)} for x in c.commits],
        "reviews": [
            {"reviewer": r.reviewer, "state": r.state.value, "submitted_at": _ts(r.submitted_at)}
            for r in c.reviews
        ],
        "labels": list(c.labels),
        "reverts": c.reverts,
        "title": c.title,
    }
