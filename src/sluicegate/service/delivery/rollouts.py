"""Sluicegate as a delivery source (issue 13 §1): what its own rollouts did, as delivery events.

Called by the rollout controller inside the transaction that ends a rollout, so the events and
the rollout's end commit together:

* a **succeeded** rollout is a successful deployment of each of its services;
* an **automatic rollback** is a failed deployment plus a rework deployment (kind ``rollback``)
  that restores the stable version, and a change-induced incident linked to the failed one;
* an **aborted** rollout (a person's decision) is a cancelled deployment, which no metric counts.

The source is ``sluicegate`` and ids derive from the rollout's, so a replayed ending records
nothing twice. The deployment names the plan's ``revisions``; a plan without them gets a
revision derived from the rollout id (repo ``sluicegate/<target>``), which counts for frequency,
failures and rework but attributes no change. The environment is the target's (production when
a deployment target names none). Events are audited like any other; nothing is notified here
beyond what the use cases already send.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from sluicegate.domain.delivery.records import (
    Deployment,
    DeploymentKind,
    DeploymentStatus,
    Incident,
    Revision,
    check_deployment,
    check_incident,
)
from sluicegate.domain.events import AuditAction
from sluicegate.domain.rollouts.plan import RolloutPlan, TargetKind
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.delivery.payloads import deployment_payload, incident_payload
from sluicegate.service.delivery.ports import Stored
from sluicegate.service.ports import UnitOfWork

__all__ = ["SOURCE", "record_rollout_end"]

SOURCE = "sluicegate"
log = logging.getLogger("sluicegate.delivery")


def _synthetic(rollout_id: str, what: str) -> str:
    return hashlib.sha256(f"{rollout_id}/{what}".encode()).hexdigest()[:40]


def _environment(plan: RolloutPlan) -> str:
    return plan.target.environment or "production"


def _services(plan: RolloutPlan) -> list[str]:
    if plan.services:
        return list(plan.services)
    return [plan.target.flag_set or "flags"] if plan.target.kind is TargetKind.FLAG else []


def _deployment_id(rollout_id: str, service: str, many: bool) -> str:
    return f"rollout-{rollout_id}" + (f"/{service}" if many else "")


def _append(deps: Deps, uow: UnitOfWork, ctx: RequestContext, event: Deployment | Incident) -> None:
    """Store ``event`` as revision 1 and audit it, unless it is already stored."""
    problems = check_deployment(event) if isinstance(event, Deployment) else check_incident(event)
    if problems:  # a bug here must not undo the rollout's end: say so loudly instead
        log.error("not recorded: %s %s: %s", type(event).__name__, event.id, problems)
        return
    if isinstance(event, Deployment):
        if uow.deployments.history(event.source, event.id):
            return
        uow.deployments.append(Stored(event, 1, deps.clock.now(), ctx.actor))
        action, entity, after = (
            AuditAction.DEPLOYMENT_RECORD,
            "deployment",
            deployment_payload(event),
        )
    else:
        if uow.delivery_incidents.history(event.source, event.id):
            return
        uow.delivery_incidents.append(Stored(event, 1, deps.clock.now(), ctx.actor))
        action, entity, after = (
            AuditAction.DELIVERY_INCIDENT_RECORD,
            "delivery-incident",
            incident_payload(event),
        )
    record(deps, uow, ctx, action, entity, f"{event.source}/{event.id}", after=after)


def record_rollout_end(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    *,
    rollout_id: str,
    experiment: str,
    target_ref: str,
    plan: RolloutPlan,
    started_at: datetime,
    outcome: str,
    incident_id: str | None = None,
) -> None:
    """Record how a rollout ended: ``succeeded``, ``rolled-back`` or ``aborted``."""
    now = deps.clock.now()
    services = _services(plan)
    many = len(services) > 1
    kind = DeploymentKind.FLAG if plan.target.kind is TargetKind.FLAG else DeploymentKind.NORMAL
    repo = f"{SOURCE}/{target_ref}"[:200]
    shipped = tuple(Revision(r, s) for r, s in plan.revisions) or (
        Revision(repo, _synthetic(rollout_id, "canary")),
    )
    status = {
        "succeeded": DeploymentStatus.SUCCESS,
        "rolled-back": DeploymentStatus.FAILURE,
    }.get(outcome, DeploymentStatus.CANCELLED)
    failed_ids = []
    for service in services:
        ident = _deployment_id(rollout_id, service, many)
        deployment = Deployment(
            source=SOURCE,
            id=ident,
            service=service,
            environment=_environment(plan),
            status=status,
            started_at=min(started_at, now),
            finished_at=now,
            revisions=shipped,
            kind=kind,
            experiment=experiment,
        )
        _append(deps, uow, ctx, deployment)
        if status is not DeploymentStatus.FAILURE:
            continue
        failed_ids.append(ident)
        _append(
            deps,
            uow,
            ctx,
            Deployment(
                source=SOURCE,
                id=f"{ident}/rollback",
                service=service,
                environment=_environment(plan),
                status=DeploymentStatus.SUCCESS,
                started_at=now,
                finished_at=now,
                revisions=(Revision(repo, _synthetic(rollout_id, "stable")),),
                kind=DeploymentKind.ROLLBACK,
                rollback_of=ident,
                experiment=experiment,
            ),
        )
    if failed_ids and incident_id is not None:
        _append(
            deps,
            uow,
            ctx,
            Incident(
                source=SOURCE,
                id=incident_id,
                services=tuple(services),
                severity="rollout",
                created_at=now,
                caused_by_deployment=failed_ids[0],
                change_induced=True,
            ),
        )
