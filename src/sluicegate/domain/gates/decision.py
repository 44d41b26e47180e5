"""Decision records: what was asked, what every check answered, and the outcome.

The :class:`DecisionInput` document (process version + gate context) is hashed with SHA-256 over
its canonical JSON; storing it lets :func:`~sluicegate.domain.gates.engine.replay` re-evaluate
the same input with the same policy bundle and get the same outcome and check results.

:func:`replay_differences` says which parts of a recorded decision a replay did not reproduce.
It compares what carries meaning and nothing else: the checks in the order the process lists its
gates (that order is part of the decision), each check's reasons and warnings as a multiset (they
explain one status; threshold mappings have no order, and a stored document has sorted keys), and
threshold results keyed by their threshold. Everything else is compared exactly.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
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

__all__ = [
    "REPLAYED_FIELDS",
    "CheckRecord",
    "Decision",
    "DecisionInput",
    "Outcome",
    "replay_differences",
]


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


#: The parts of a decision a replay must reproduce, in the order differences are reported.
REPLAYED_FIELDS = ("outcome", "checks", "input_hash", "process_hash", "policy_revision")


def _unordered_reasons(doc: Any) -> Any:
    if isinstance(doc, Mapping) and isinstance(doc.get("reasons"), list):
        return {**doc, "reasons": sorted(canonical_json(r) for r in doc["reasons"])}
    return doc


def _comparable_check(check: Any) -> Any:
    """A check document with its order-free parts put in one order (everything else as is)."""
    if not isinstance(check, Mapping):
        return check
    doc = dict(check)
    for name in ("reasons", "warnings"):
        if isinstance(doc.get(name), list):
            doc[name] = Counter(canonical_json(r) for r in doc[name])
    data = doc.get("data")
    thresholds = data.get("thresholds") if isinstance(data, Mapping) else None
    if isinstance(data, Mapping) and isinstance(thresholds, Mapping):
        results = thresholds.get("results")
        if isinstance(results, list):
            keyed = Counter(canonical_json(_unordered_reasons(r)) for r in results)
            doc["data"] = {**data, "thresholds": {**thresholds, "results": keyed}}
    return doc


def _comparable(name: str, value: Any) -> Any:
    if name == "checks" and isinstance(value, list):
        return [_comparable_check(c) for c in value]
    return value


def replay_differences(recorded: Mapping[str, Any], replayed: Mapping[str, Any]) -> list[str]:
    """The :data:`REPLAYED_FIELDS` in which ``replayed`` is not the decision ``recorded`` is.

    Both are decision documents (:meth:`Decision.to_dict`, or the stored record) after a JSON
    round trip. A field missing from either side differs.
    """
    missing = object()
    return [
        name
        for name in REPLAYED_FIELDS
        if _comparable(name, recorded.get(name, missing))
        != _comparable(name, replayed.get(name, missing))
    ]
