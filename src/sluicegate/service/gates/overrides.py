"""Gate overrides: audited, revocable, expiring exceptions to soft-mandatory gates."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.errors import (
    FieldError,
    InvalidInput,
    NotFound,
    SelfApproval,
    StateConflict,
)
from sluicegate.domain.events import AuditAction, EventType
from sluicegate.domain.gates import (
    Enforcement,
    InvalidOverride,
    Override,
    validate_override,
)
from sluicegate.service import notifications
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.gates.decisions import load_experiment
from sluicegate.service.gates.payloads import override_payload
from sluicegate.service.gates.ports import (
    GateOverrideRecord,
)
from sluicegate.service.gates.processes import GateRuntime, resolve_for

__all__ = [
    "create_override",
    "list_overrides",
    "override_dict",
    "revoke_override",
]


def override_dict(rec: GateOverrideRecord, experiment: str) -> dict[str, Any]:
    return {
        "id": rec.id,
        "experiment": experiment,
        "stage": rec.stage,
        "gate": rec.gate,
        "justification": rec.justification,
        "expires_at": rec.expires_at.isoformat(),
        "created_by": rec.created_by,
        "created_at": rec.created_at.isoformat(),
        "revoked_by": rec.revoked_by,
        "revoked_at": None if rec.revoked_at is None else rec.revoked_at.isoformat(),
        "revoke_reason": rec.revoke_reason,
    }


def create_override(
    deps: Deps,
    ctx: RequestContext,
    runtime: GateRuntime,
    key: str,
    *,
    stage: str,
    gate: str,
    justification: str,
    expires_at: datetime | None,
) -> GateOverrideRecord:
    """Record a justified, expiring override of one soft-mandatory gate (reviewer or admin)."""
    authorize(ctx.principal, Action.OVERRIDE_MANAGE)
    now = deps.clock.now()
    with deps.uow() as uow:
        exp = load_experiment(uow, key)
        if exp.proposer_id == ctx.principal.user_id:
            raise SelfApproval(f"{ctx.principal.username} proposed {key!r} and cannot override")
        version = resolve_for(deps, uow, ctx, runtime, exp, pin=False)
        gate_def = version.process.stage(stage).gate(gate)
        if gate_def.enforcement is not Enforcement.SOFT_MANDATORY:
            raise InvalidOverride(
                f"gate {stage}/{gate} is {gate_def.enforcement.value}; only soft-mandatory "
                "gates can be overridden",
                errors=[
                    FieldError("gate", f"{gate_def.enforcement.value} gates take no overrides")
                ],
            )
        validate_override(
            Override(gate, stage, key, justification, expires_at, ctx.actor, now), now
        )
        assert expires_at is not None  # validate_override refuses a missing expiry
        if expires_at - now > runtime.max_override:
            days = runtime.max_override.total_seconds() / 86400
            raise InvalidOverride(
                f"an override may last at most {days:g} days",
                errors=[FieldError("expires_at", f"at most {days:g} days from now")],
            )
        rec = GateOverrideRecord(
            id=deps.ids.new_id(),
            experiment_id=exp.id,
            stage=stage,
            gate=gate,
            justification=justification.strip(),
            expires_at=expires_at,
            created_by=ctx.actor,
            created_at=now,
        )
        uow.gates.add_override(rec)
        view = override_payload(rec, key)
        record(deps, uow, ctx, AuditAction.OVERRIDE_CREATE, "override", rec.id, after=view)
        notifications.enqueue(uow, EventType.OVERRIDE_CREATED, view, deps=deps)
    return rec


def list_overrides(deps: Deps, ctx: RequestContext, key: str) -> list[GateOverrideRecord]:
    authorize(ctx.principal, Action.EXPERIMENT_READ)
    with deps.uow(readonly=True) as uow:
        return uow.gates.overrides_for(load_experiment(uow, key).id)


def revoke_override(
    deps: Deps, ctx: RequestContext, override_id: str, reason: str
) -> tuple[GateOverrideRecord, str]:
    authorize(ctx.principal, Action.OVERRIDE_MANAGE)
    if not reason.strip():
        raise InvalidInput("revoking needs a reason", errors=[FieldError("reason", "required")])
    now = deps.clock.now()
    with deps.uow() as uow:
        rec = uow.gates.get_override(override_id)
        if rec is None:
            raise NotFound(f"override {override_id!r} not found")
        if not uow.gates.revoke_override(override_id, ctx.actor, now, reason.strip()):
            raise StateConflict(
                f"override {override_id} is already revoked",
                hint="Nothing to do: the gate no longer passes by it "
                "(`sluice override list EXPERIMENT` shows it).",
            )
        revoked = dataclasses.replace(
            rec, revoked_by=ctx.actor, revoked_at=now, revoke_reason=reason.strip()
        )
        key = rec.experiment_key
        view = override_payload(revoked, key)
        record(
            deps,
            uow,
            ctx,
            AuditAction.OVERRIDE_REVOKE,
            "override",
            rec.id,
            before=override_payload(rec, key),
            after=view,
            reason=reason,
        )
        notifications.enqueue(uow, EventType.OVERRIDE_REVOKED, view, deps=deps)
    return revoked, key
