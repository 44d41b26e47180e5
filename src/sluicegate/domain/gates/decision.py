"""Decision records: what was asked, what every check answered, and the outcome.

The :class:`DecisionInput` document (process version + gate context) is hashed with SHA-256 over
its canonical JSON; storing it lets :func:`~sluicegate.domain.gates.engine.replay` re-evaluate
the same input with the same policy bundle and get the same outcome and check results.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sluicegate.domain.canonical import canonical_json
from sluicegate.domain.gates.checks import CheckRegistry, CheckStatus
from sluicegate.domain.gates.context import GateContext, Requester
from sluicegate.domain.gates.errors import Location
from sluicegate.domain.gates.loader import process_from_dict
from sluicegate.domain.gates.overrides import Override
from sluicegate.domain.gates.ports import PolicyEvaluator
from sluicegate.domain.gates.process import Enforcement
from sluicegate.domain.gates.templates import Template
from sluicegate.domain.gates.versions import ProcessVersion

__all__ = ["CheckRecord", "Decision", "DecisionInput", "Outcome"]


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome name, not a secret
    DENIED = "denied"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class DecisionInput:
    """Everything a decision depends on except the policy bundle (recorded by revision)."""

    process: ProcessVersion
    stage: str
    context: GateContext
    # the canonical context document, computed once (hash and storage both need it)
    _memo: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def _context_json(self) -> str:
        text = self._memo.get("context")
        if text is None:
            text = self._memo["context"] = canonical_json(self.context.to_dict())
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "process": self.process.to_dict(),
            "stage": self.stage,
            "context": json.loads(self._context_json()),
        }

    def canonical(self) -> str:
        """``canonical_json(self.to_dict())``, assembled from parts (the process part is cached)."""
        return (
            f'{{"context":{self._context_json()},"process":{self.process.canonical()},'
            f'"stage":{canonical_json(self.stage)}}}'
        )

    @property
    def hash(self) -> str:
        return "sha256:" + hashlib.sha256(self.canonical().encode()).hexdigest()

    @classmethod
    def from_dict(
        cls,
        doc: Mapping[str, Any],
        *,
        policy: PolicyEvaluator | None = None,
        registry: CheckRegistry | None = None,
        templates: Iterable[Template] = (),
    ) -> DecisionInput:
        """Read a stored input back; the process document must still match its hash."""
        stored = doc["process"]
        process = process_from_dict(stored["document"], registry=registry, templates=templates)
        version = ProcessVersion.of(process, int(stored["version"]))
        if version.content_hash != stored["content_hash"]:
            raise ValueError("the stored process document does not match its content hash")
        ctx = GateContext.from_dict(doc["context"], policy=policy)
        return cls(version, str(doc["stage"]), ctx)


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """One gate's check result, with what its enforcement level made of it."""

    gate: str
    type: str
    enforcement: Enforcement
    status: CheckStatus
    reasons: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    blocking: bool = False
    overridden_by: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    location: Location | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "type": self.type,
            "enforcement": self.enforcement.value,
            "status": self.status.value,
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
            "blocking": self.blocking,
            "overridden_by": self.overridden_by,
            "data": dict(self.data),
        }


@dataclass(frozen=True, slots=True)
class Decision:
    id: str
    process: str
    process_version: int
    process_hash: str
    stage: str
    experiment: str
    policy_revision: str | None
    input_hash: str
    checks: tuple[CheckRecord, ...]
    overrides_applied: tuple[Override, ...]
    requested_by: Requester
    outcome: Outcome
    evaluated_at: datetime
    input: DecisionInput = field(compare=False, repr=False)

    @property
    def blocking(self) -> tuple[CheckRecord, ...]:
        return tuple(c for c in self.checks if c.blocking)

    def result(self) -> dict[str, Any]:
        """The parts a replay must reproduce (everything but the id)."""
        doc = self.to_dict()
        del doc["id"]
        return doc

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "process": self.process,
            "process_version": self.process_version,
            "process_hash": self.process_hash,
            "stage": self.stage,
            "experiment": self.experiment,
            "policy_revision": self.policy_revision,
            "input_hash": self.input_hash,
            "checks": [c.to_dict() for c in self.checks],
            "overrides_applied": [o.to_dict() for o in self.overrides_applied],
            "requested_by": self.requested_by.to_dict(),
            "outcome": self.outcome.value,
            "evaluated_at": self.evaluated_at.isoformat(),
        }
