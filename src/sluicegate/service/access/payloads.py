"""What the audit ledger and the webhooks record of users, teams, tokens and JIT grants.

These are not the API's views: a ledger entry is evidence and keeps its shape when a response
changes, so each payload is built here, field by field, and a test pins the fields.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sluicegate.domain.access.jit import format_duration
from sluicegate.service.access.ports import JitRecord, TeamRecord, TokenRecord, UserRecord

__all__ = ["jit_event", "jit_payload", "team_payload", "token_payload", "user_payload"]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def team_payload(t: TeamRecord) -> dict[str, Any]:
    return {"id": t.id, "key": t.key, "name": t.name, "created_at": t.created_at.isoformat()}


def user_payload(u: UserRecord) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role.value,
        "domains": sorted(d.value for d in u.domains),
        "teams": sorted(u.teams),
        "disabled": u.disabled,
        "created_at": u.created_at.isoformat(),
    }


def token_payload(t: TokenRecord) -> dict[str, Any]:
    """A token's metadata; never its secret or hash."""
    return {
        "id": t.id,
        "user_id": t.user_id,
        "name": t.name,
        "prefix": t.prefix,
        "role": t.role.value,
        "created_at": t.created_at.isoformat(),
        "expires_at": _iso(t.expires_at),
        "revoked_at": _iso(t.revoked_at),
        "parent_id": t.parent_id,
    }


def jit_payload(r: JitRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "requester": r.requester,
        "experiment": r.experiment_key,
        "stage": r.stage,
        "role": r.role.value,
        "duration": format_duration(timedelta(seconds=r.duration_seconds)),
        "duration_seconds": r.duration_seconds,
        "reason": r.reason,
        "state": r.state.value,
        "created_at": r.created_at.isoformat(),
        "decided_by": r.decided_by,
        "decision_comment": r.decision_comment,
        "decided_at": _iso(r.decided_at),
        "expires_at": _iso(r.expires_at),
        "ended_at": _iso(r.ended_at),
        "end_reason": r.end_reason,
    }


def jit_event(r: JitRecord) -> dict[str, Any]:
    """The ``jit.*`` notification body: the request, and its decision or end once there is one."""
    doc = jit_payload(r)
    keep = ("id", "requester", "experiment", "stage", "role", "duration", "reason", "state")
    out = {k: doc[k] for k in keep}
    for k in ("decided_by", "expires_at", "end_reason"):
        if doc[k] is not None:
            out[k] = doc[k]
    return out
