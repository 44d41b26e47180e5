"""Response models of ``api/routes/gates.py`` (views: ``service.gates``, ``service.processes``,
``service.evidence``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sluicegate.api.schemas import Schema

__all__ = [
    "AppliedProcess",
    "Check",
    "Decision",
    "Evidence",
    "EvidenceList",
    "GateSetting",
    "Override",
    "OverrideList",
    "Pin",
    "Process",
    "ProcessDiff",
    "ProcessValidation",
    "Replay",
    "Requester",
    "Selector",
    "StoredDecision",
]


class ProcessValidation(Schema):
    valid: bool
    name: str
    content_hash: str
    stages: list[str]
    gates: dict[str, list[str]] = Field(description="Stage -> the ids of its gates")
    document: dict[str, Any] = Field(description="The normalised process document")
    warnings: list[str]


class Process(Schema):
    """A process version; ``source`` and ``source_name`` are absent when applying."""

    name: str
    version: int
    content_hash: str
    applied_by: str
    applied_at: str
    document: dict[str, Any]
    source: str | None = Field(None, description="The YAML as applied")
    source_name: str | None = None


class AppliedProcess(Process):
    created: bool = Field(description="False when the content hash was unchanged (200)")
    warnings: list[str]


class ProcessChange(Schema):
    op: str
    path: str
    before: Any
    after: Any


class ProcessDiff(Schema):
    before: str
    after: str
    changes: list[ProcessChange]
    lines: list[str]
    empty: bool


class Selector(Schema):
    rules: list[dict[str, Any]]
    default: str


class GateSetting(Schema):
    name: str
    value: Any = Field(description="The stored setting (review board or environments), or null")


class Pin(Schema):
    experiment: str
    process: str
    version: int
    pinned_by: str
    pinned_at: str


class Check(Schema):
    gate: str
    type: str
    enforcement: str
    status: str
    reasons: list[str]
    warnings: list[str]
    blocking: bool
    overridden_by: str | None
    data: dict[str, Any]


class Requester(Schema):
    id: str
    kind: str = Field("user", description="user or ci")
    run_id: str | None = None


class Decision(Schema):
    """A gate decision; 200 whatever the ``outcome``, so that CI can test it."""

    id: str
    process: str
    process_version: int
    process_hash: str
    stage: str
    experiment: str
    policy_revision: str | None
    input_hash: str
    checks: list[Check]
    overrides_applied: list[dict[str, Any]]
    requested_by: Requester
    outcome: str
    evaluated_at: str
    ci_run_id: str | None


class Replay(Schema):
    outcome: str
    input_hash: str
    matches: bool
    differences: list[str]


class StoredDecision(Decision):
    """A stored decision; ``replay`` only with ``?replay=true``."""

    replay: Replay | None = None


class Evidence(Schema):
    id: str
    kind: str
    namespace: str
    facts: dict[str, Any]
    filename: str | None
    sha256: str
    size: int
    uploaded_by: str
    uploaded_at: str


class EvidenceList(Schema):
    items: list[Evidence]
    facts: dict[str, dict[str, Any]] = Field(description="The latest facts per namespace")


class Override(Schema):
    id: str
    experiment: str
    stage: str
    gate: str
    justification: str
    expires_at: str
    created_by: str
    created_at: str
    revoked_by: str | None
    revoked_at: str | None
    revoke_reason: str | None


class OverrideList(Schema):
    items: list[Override]
