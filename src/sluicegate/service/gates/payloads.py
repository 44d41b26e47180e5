"""What the audit ledger and the webhooks record of gate overrides (not the API's view)."""

from __future__ import annotations

from typing import Any

from sluicegate.service.gates.ports import GateOverrideRecord

__all__ = ["override_payload"]


def override_payload(rec: GateOverrideRecord, experiment: str) -> dict[str, Any]:
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
