"""What the audit ledger records of flag sets, change requests and scoped tokens.

Not the API's views: a ledger entry keeps its shape when a response changes, so each payload is
built here, field by field, and a test pins the fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sluicegate.domain.flags import diff_summary, requires_approval
from sluicegate.service.flags.ports import FlagChangeRequestRecord, FlagSetRecord, FlagTokenRecord

__all__ = ["change_request_payload", "flag_set_payload", "flag_token_payload"]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def flag_set_payload(fs: FlagSetRecord) -> dict[str, Any]:
    """A flag set's settings and head (its document is in the revision, not repeated here)."""
    return {
        "name": fs.name,
        "environment": fs.environment,
        "owner_team": fs.owner_team,
        "experiment": fs.experiment_key,
        "policy": fs.policy,
        "requires_approval": requires_approval(fs.environment, fs.policy),
        "revision_number": fs.head_seq,
        "revision": fs.revision,
        "flag_count": len(fs.document.get("flags", {})),
        "created_at": fs.created_at.isoformat(),
        "updated_at": fs.updated_at.isoformat(),
    }


def change_request_payload(cr: FlagChangeRequestRecord) -> dict[str, Any]:
    return {
        "id": cr.id,
        "state": cr.state.value,
        "base_revision_number": cr.base_seq,
        "author": cr.author,
        "reason": cr.reason,
        "rollback_of": cr.rollback_of,
        "reviewer": cr.reviewer,
        "review_comment": cr.review_comment,
        "apply_at": _iso(cr.apply_at),
        "applied_revision_number": cr.applied_seq,
        "created_at": cr.created_at.isoformat(),
        "updated_at": cr.updated_at.isoformat(),
        "summary": diff_summary(cr.diff),
        "diff": cr.diff,
    }


def flag_token_payload(t: FlagTokenRecord, fs: FlagSetRecord) -> dict[str, Any]:
    """A scoped token's metadata; never its secret or hash."""
    return {
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "flag_set": fs.name,
        "environment": fs.environment,
        "created_at": t.created_at.isoformat(),
        "expires_at": _iso(t.expires_at),
        "revoked_at": _iso(t.revoked_at),
    }
