"""What the API shows of flag sets, revisions, change requests and scoped tokens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sluicegate.domain.flags import diff_summary, findings_mode, requires_approval
from sluicegate.flags import Finding
from sluicegate.service.flags.ports import (
    FlagChangeRequestRecord,
    FlagRevisionRecord,
    FlagSetRecord,
    FlagTokenRecord,
)

__all__ = [
    "change_request_dict",
    "findings_list",
    "flag_set_dict",
    "revision_dict",
    "token_dict",
]


def entity_name(fs: FlagSetRecord) -> str:
    return f"{fs.name}/{fs.environment}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def flag_set_dict(fs: FlagSetRecord, *, document: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": fs.name,
        "environment": fs.environment,
        "owner_team": fs.owner_team,
        "experiment": fs.experiment_key,
        "policy": fs.policy,
        "requires_approval": requires_approval(fs.environment, fs.policy),
        "findings": findings_mode(fs.environment, fs.policy).value,
        "revision_number": fs.head_seq,
        "revision": fs.revision,
        "flag_count": len(fs.document.get("flags", {})),
        "created_at": fs.created_at.isoformat(),
        "updated_at": fs.updated_at.isoformat(),
    }
    if document:
        out["document"] = fs.document
    return out


def revision_dict(rev: FlagRevisionRecord, *, document: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "number": rev.seq,
        "revision": rev.revision,
        "actor": rev.actor,
        "reason": rev.reason,
        "source": rev.source,
        "rollback_of": rev.rollback_of,
        "change_request": rev.change_request_id,
        "created_at": rev.created_at.isoformat(),
        "summary": diff_summary(rev.diff),
        "diff": rev.diff,
    }
    if document:
        out["document"] = rev.document
    return out


def change_request_dict(cr: FlagChangeRequestRecord, *, document: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": cr.id,
        "state": cr.state,
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
    if document:
        out["document"] = cr.document
    return out


def token_dict(t: FlagTokenRecord, fs: FlagSetRecord) -> dict[str, Any]:
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


def findings_list(findings: Iterable[Finding], new: Iterable[Finding] = ()) -> list[dict[str, Any]]:
    """The problems of a document, each with its JSON pointer; ``new`` marks the ones the flag
    set's current revision does not already have."""
    fresh = {(f.pointer, f.reason) for f in new}
    return [{**f.as_dict(), "new": (f.pointer, f.reason) in fresh} for f in findings]
