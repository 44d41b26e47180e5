"""Response models of ``api/routes/audit.py`` (views: ``domain.audit``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sluicegate.api.schemas import Schema

__all__ = ["AuditEvent", "AuditPage", "Checkpoint", "CheckpointList", "NewCheckpoint", "Verify"]


class AuditEvent(Schema):
    seq: int
    ts: str
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: Any = Field(description="The entity before the change (JSON), or null")
    after: Any = Field(description="The entity after the change (JSON), or null")
    reason: str | None
    request_id: str | None
    prev_hash: str
    hash: str


class AuditPage(Schema):
    items: list[AuditEvent]
    next_after_seq: int | None = Field(description="Pass as after_seq for the next page")


class Checkpoint(Schema):
    tree_size: int
    root: str
    last_hash: str
    ts: str
    key_id: str
    signature: str


class CheckpointList(Schema):
    items: list[Checkpoint]


class NewCheckpoint(Schema):
    checkpoint: Checkpoint | None = Field(description="null when the log is empty")


class Verify(Schema):
    ok: bool
    count: int
    checkpoints_verified: int
    last_checkpoint: Checkpoint | None
    first_bad_seq: int | None
    problem: str | None
    root: str | None = Field(None, description="RFC 6962 root over the whole log, when verified")
    against: dict[str, Any] | None = Field(
        None, description="The published head the log was proven to extend (CLI --against)"
    )
