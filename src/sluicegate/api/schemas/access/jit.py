"""Response models of ``api/routes/jit.py`` (views: ``service.jit``)."""

from __future__ import annotations

from pydantic import Field

from sluicegate.api.schemas import Schema

__all__ = ["JitRequest", "JitRequestList"]


class JitRequest(Schema):
    """A request for elevated access; once approved, a grant (same id)."""

    id: str
    requester: str
    experiment: str
    stage: str
    role: str
    duration: str = Field(description="e.g. 2h30m")
    duration_seconds: int
    reason: str
    state: str
    created_at: str
    decided_by: str | None
    decision_comment: str | None
    decided_at: str | None
    expires_at: str | None
    ended_at: str | None
    end_reason: str | None


class JitRequestList(Schema):
    items: list[JitRequest]
