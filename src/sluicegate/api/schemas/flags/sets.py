"""Response models of ``api/routes/flags.py`` (views: ``service.flags``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from sluicegate.api.schemas import Schema

__all__ = [
    "ChangeRequest",
    "ChangeRequestList",
    "Diff",
    "Finding",
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
    findings: Literal["refuse", "warn"] = Field(
        description="What a write does with new problems in its document (policy.findings)"
    )
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


class Finding(Schema):
    """A problem in a flagd document (docs/flags.md, "Write-time findings")."""

    pointer: str = Field(description="RFC 6901 JSON pointer to the value")
    reason: str
    effect: str = Field(description="What evaluation does with it, as flagd does")
    fatal: bool = Field(description="The document cannot be loaded at all (always refused)")
    new: bool = Field(description="Not in the flag set's previous revision")


class FlagChange(Schema):
    """A write: ``revision`` when it was applied, ``change_request`` when it awaits approval.

    ``findings`` lists the document's problems that were accepted (the flag set warns, or they
    were already in the previous revision)."""

    flag_set: FlagSet
    outcome: Literal["revised", "change-request", "unchanged"]
    revision: Revision | None = None
    change_request: ChangeRequest | None = None
    findings: list[Finding] = Field(default_factory=list)


class Diff(Schema):
    from_revision_number: int
    unchanged: bool
    summary: str
    diff: dict[str, Any]
    findings: list[Finding] = Field(default_factory=list)
    refused: bool = Field(
        False, description="Applying it would be refused for new findings (policy findings)"
    )


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
