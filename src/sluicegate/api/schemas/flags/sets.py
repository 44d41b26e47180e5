"""Response models of ``api/routes/flags.py`` (views: ``service.flags``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from sluicegate.api.schemas import Schema

__all__ = [
    "ChangeRequest",
    "ChangeRequestList",
    "Diff",
    "FlagChange",
    "FlagSet",
    "FlagSetList",
    "FlagToken",
    "FlagTokenList",
    "IssuedFlagToken",
    "Revision",
    "RevisionList",
]

_DOCUMENT = "The flagd document (docs/flags.md); only in the responses that show one"


class FlagSet(Schema):
    name: str
    environment: str
    owner_team: str
    experiment: str | None
    policy: dict[str, Any] | None
    requires_approval: bool
    revision_number: int
    revision: str
    flag_count: int
    created_at: str
    updated_at: str
    document: dict[str, Any] | None = Field(None, description=_DOCUMENT)


class FlagSetList(Schema):
    items: list[FlagSet]


class Revision(Schema):
    number: int
    revision: str
    actor: str
    reason: str | None
    source: str
    rollback_of: int | None
    change_request: str | None
    created_at: str
    summary: str = Field(description="+added -removed ~changed over the flags")
    diff: dict[str, Any]
    document: dict[str, Any] | None = Field(None, description=_DOCUMENT)


class RevisionList(Schema):
    items: list[Revision]


class ChangeRequest(Schema):
    id: str
    state: str
    base_revision_number: int
    author: str
    reason: str | None
    rollback_of: int | None
    reviewer: str | None
    review_comment: str | None
    apply_at: str | None
    applied_revision_number: int | None
    created_at: str
    updated_at: str
    summary: str
    diff: dict[str, Any]
    document: dict[str, Any] | None = Field(None, description=_DOCUMENT)


class ChangeRequestList(Schema):
    items: list[ChangeRequest]


class FlagChange(Schema):
    """A write: ``revision`` when it was applied, ``change_request`` when it awaits approval."""

    flag_set: FlagSet
    outcome: Literal["revised", "change-request", "unchanged"]
    revision: Revision | None = None
    change_request: ChangeRequest | None = None


class Diff(Schema):
    from_revision_number: int
    unchanged: bool
    summary: str
    diff: dict[str, Any]


class FlagToken(Schema):
    id: str
    name: str
    prefix: str
    flag_set: str
    environment: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None


class FlagTokenList(Schema):
    items: list[FlagToken]


class IssuedFlagToken(FlagToken):
    token: str = Field(description="The secret; shown only in this response")
