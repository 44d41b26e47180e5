"""Ports of the gates feature: process versions, pins, evidence, overrides, decisions, bundles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sluicegate.domain.gates.decision import Outcome

__all__ = [
    "EvidenceRecord",
    "GateDecisionRecord",
    "GateOverrideRecord",
    "GateRepository",
    "ProcessPinRecord",
    "ProcessVersionRecord",
    "StageReviewRecord",
    "StoredPolicyBundle",
]


@dataclass(frozen=True, slots=True)
class ProcessVersionRecord:
    """One immutable version of a process: the resolved document and the YAML it came from."""

    id: str
    name: str
    version: int
    content_hash: str
    document: dict[str, Any]
    source: str
    source_name: str
    templates: list[dict[str, str]]
    applied_by: str
    applied_at: datetime


@dataclass(frozen=True, slots=True)
class ProcessPinRecord:
    """The process version an experiment follows (pinned at its first gate check)."""

    experiment_id: str
    process_name: str
    process_version: int
    pinned_by: str
    pinned_at: datetime


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """Parsed facts of one uploaded artifact (the artifact itself is not stored)."""

    id: str
    experiment_id: str
    kind: str
    namespace: str
    facts: dict[str, Any]
    filename: str | None
    sha256: str
    size: int
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class GateOverrideRecord:
    id: str
    experiment_id: str
    stage: str
    gate: str
    justification: str
    expires_at: datetime
    created_by: str
    created_at: datetime
    revoked_by: str | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = None
    experiment_key: str = ""  # filled in on reads


@dataclass(frozen=True, slots=True)
class GateDecisionRecord:
    id: str
    experiment_id: str
    experiment_key: str
    stage: str
    outcome: Outcome
    process_name: str
    process_version: int
    process_hash: str
    policy_revision: str | None
    input_hash: str
    input: dict[str, Any]
    checks: list[dict[str, Any]]
    overrides_applied: list[dict[str, Any]]
    requested_by: str
    ci_run_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredPolicyBundle:
    """A policy bundle kept by revision so that decisions can be replayed after it changed."""

    revision: str
    modules: list[dict[str, str]]
    data: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StageReviewRecord:
    """A stage review with what the approval checks need to know of its reviewer."""

    reviewer: str
    role: str
    domains: tuple[str, ...]
    in_owner_team: bool
    decision: str
    comment: str
    at: datetime


class GateRepository(Protocol):
    def add_process_version(self, record: ProcessVersionRecord) -> None: ...
    def latest_process_version(self, name: str) -> ProcessVersionRecord | None: ...
    def get_process_version(self, name: str, version: int) -> ProcessVersionRecord | None: ...
    def get_pin(self, experiment_id: str) -> ProcessPinRecord | None: ...
    def set_pin(self, pin: ProcessPinRecord) -> None: ...
    def add_evidence(self, record: EvidenceRecord) -> None: ...
    def evidence_for(self, experiment_id: str) -> list[EvidenceRecord]: ...
    def add_override(self, record: GateOverrideRecord) -> None: ...
    def get_override(self, override_id: str) -> GateOverrideRecord | None: ...
    def overrides_for(self, experiment_id: str) -> list[GateOverrideRecord]: ...
    def revoke_override(self, override_id: str, by: str, when: datetime, reason: str) -> bool: ...
    def add_decision(self, record: GateDecisionRecord) -> None: ...
    def get_decision(self, decision_id: str) -> GateDecisionRecord | None: ...
    def get_bundle(self, revision: str) -> StoredPolicyBundle | None: ...
    def add_bundle(self, bundle: StoredPolicyBundle) -> None: ...
    def stage_reviews(
        self, experiment_id: str, stage: str, owner_team: str
    ) -> list[StageReviewRecord]: ...
