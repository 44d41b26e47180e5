"""Delivery events: deployments and incidents as the outside world reports them (issue 13 §1).

Pure records and rules, no I/O. An event is identified by ``(source, id)``. It is stored as
append-only revisions (ADR 0019): :func:`deployment_step` and :func:`incident_step` decide what a
new report of a known event means — the same report again (a no-op), a legal progress (a new
revision: a deployment that finishes, an incident acknowledged or resolved) or a contradiction
(a conflict that names the id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum, StrEnum

from sluicegate.domain.errors import FieldError

__all__ = [
    "Deployment",
    "DeploymentKind",
    "DeploymentStatus",
    "Incident",
    "Revision",
    "Step",
    "check_deployment",
    "check_incident",
    "deployment_step",
    "incident_step",
]


class DeploymentStatus(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    CANCELLED = "cancelled"
    IN_PROGRESS = "in_progress"


class DeploymentKind(StrEnum):
    NORMAL = "normal"
    ROLLBACK = "rollback"
    HOTFIX = "hotfix"
    CONFIG = "config"
    FLAG = "flag"


class Step(Enum):
    """What a report of an already stored event means."""

    SAME = "same"  # nothing new: answer with the stored record
    PROGRESS = "progress"  # a new revision
    CONFLICT = "conflict"  # it contradicts what is stored


@dataclass(frozen=True, slots=True)
class Revision:
    repo: str
    sha: str


@dataclass(frozen=True, slots=True)
class Deployment:
    source: str
    id: str
    service: str
    environment: str
    status: DeploymentStatus
    started_at: datetime
    finished_at: datetime | None
    revisions: tuple[Revision, ...]
    kind: DeploymentKind = DeploymentKind.NORMAL
    rollback_of: str | None = None
    planned: bool | None = None
    experiment: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    source: str
    id: str
    services: tuple[str, ...]
    severity: str
    created_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    caused_by_deployment: str | None = None
    root_cause_sha: str | None = None
    change_induced: bool | None = None


def _aware(value: datetime | None, name: str, errors: list[FieldError]) -> bool:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        errors.append(FieldError(name, "must carry a time zone (e.g. Z or +00:00)"))
        return False
    return value is not None


def check_deployment(d: Deployment) -> list[FieldError]:
    """The field errors of a deployment (empty when it is valid)."""
    errors: list[FieldError] = []
    started = _aware(d.started_at, "started_at", errors)
    finished = _aware(d.finished_at, "finished_at", errors)
    if d.status is DeploymentStatus.IN_PROGRESS:
        if d.finished_at is not None:
            errors.append(FieldError("finished_at", "an in_progress deployment has not finished"))
    elif d.finished_at is None:
        errors.append(FieldError("finished_at", f"required when status is {d.status.value}"))
    if started and finished and d.finished_at is not None and d.finished_at < d.started_at:
        errors.append(FieldError("finished_at", "must not be before started_at"))
    if not d.revisions:
        errors.append(FieldError("revisions", "list at least one {repo, sha}"))
    seen: set[str] = set()
    for i, rev in enumerate(d.revisions):
        if rev.repo in seen:
            errors.append(FieldError(f"revisions.{i}.repo", f"{rev.repo!r} is listed twice"))
        seen.add(rev.repo)
    if d.kind is DeploymentKind.ROLLBACK and d.rollback_of is None:
        errors.append(FieldError("rollback_of", "a rollback names the deployment it rolls back"))
    if d.rollback_of is not None and d.rollback_of == d.id:
        errors.append(FieldError("rollback_of", "a deployment cannot roll itself back"))
    return errors


def check_incident(i: Incident) -> list[FieldError]:
    """The field errors of an incident (empty when it is valid)."""
    errors: list[FieldError] = []
    created = _aware(i.created_at, "created_at", errors)
    acked = _aware(i.acknowledged_at, "acknowledged_at", errors)
    resolved = _aware(i.resolved_at, "resolved_at", errors)
    if not i.services:
        errors.append(FieldError("services", "list at least one impacted service"))
    if len(set(i.services)) != len(i.services):
        errors.append(FieldError("services", "a service is listed twice"))
    if created and acked and i.acknowledged_at is not None and i.acknowledged_at < i.created_at:
        errors.append(FieldError("acknowledged_at", "must not be before created_at"))
    if resolved and i.resolved_at is not None:
        if acked and i.acknowledged_at is not None and i.resolved_at < i.acknowledged_at:
            errors.append(FieldError("resolved_at", "must not be before acknowledged_at"))
        elif created and i.resolved_at < i.created_at:
            errors.append(FieldError("resolved_at", "must not be before created_at"))
    return errors


def deployment_step(history: Sequence[Deployment], new: Deployment) -> Step:
    """How ``new`` relates to the stored revisions of the same deployment (oldest first).

    A report equal to any stored revision is a redelivery (SAME). The only progress is an
    in_progress deployment that finishes: the latest revision is in_progress, ``new`` has a
    final status, and every field but ``status`` and ``finished_at`` is unchanged. An
    in_progress report of a deployment already finished, otherwise the same, is an older state
    delivered late (webhooks arrive out of order): SAME as well.
    """
    if new in history:
        return Step.SAME
    latest = history[-1]
    late = new.status is DeploymentStatus.IN_PROGRESS and latest.status is not new.status
    if late and replace(new, status=latest.status, finished_at=latest.finished_at) == latest:
        return Step.SAME
    if latest.status is DeploymentStatus.IN_PROGRESS and new.status is not latest.status:
        same_rest = replace(new, status=latest.status, finished_at=latest.finished_at) == latest
        if same_rest:
            return Step.PROGRESS
    return Step.CONFLICT


def incident_step(history: Sequence[Incident], new: Incident) -> Step:
    """How ``new`` relates to the stored revisions of the same incident (oldest first).

    Progress fills ``acknowledged_at`` or ``resolved_at`` that the latest revision has not set;
    a time once set never changes, and every other field is fixed when the incident opens.
    A report equal to any stored revision, or one that only leaves out times already stored
    (an older state redelivered), is SAME.
    """
    latest = history[-1]
    if new in history:
        return Step.SAME
    moved = False
    for name in ("acknowledged_at", "resolved_at"):
        old_v, new_v = getattr(latest, name), getattr(new, name)
        if new_v is None or new_v == old_v:
            continue
        if old_v is not None:
            return Step.CONFLICT
        moved = True
    rest = replace(
        new,
        acknowledged_at=latest.acknowledged_at,
        resolved_at=latest.resolved_at,
    )
    if rest != latest:
        return Step.CONFLICT
    return Step.PROGRESS if moved else Step.SAME
