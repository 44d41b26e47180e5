"""Errors of the gate engine.

Exception tree (below :class:`sluicegate.domain.errors.InvalidInput` and ``Conflict``)::

    InvalidInput
    ├── ProcessDefinitionError  (invalid-process: YAML syntax, schema, templates, DAG, checks)
    └── InvalidOverride         (invalid-override: no justification, no or past expiry, ...)
    Conflict
    └── GateBlocked             (a governed promotion was refused; never raised as itself)
        ├── GateDenied          (gate-blocked: the gates denied it)
        └── GatePending         (gate-pending: the gates are still pending)

A :class:`ProcessDefinitionError` carries every :class:`DefinitionIssue` found, each with the
source name, the dotted path, and the 1-based line and column of the offending YAML node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sluicegate.domain.errors import Conflict, FieldError, InvalidInput

if TYPE_CHECKING:
    from sluicegate.domain.gates.decision import Decision

__all__ = [
    "DefinitionIssue",
    "GateBlocked",
    "GateDenied",
    "GatePending",
    "InvalidOverride",
    "Location",
    "ProcessDefinitionError",
]


@dataclass(frozen=True, slots=True)
class Location:
    """Where a node starts in a YAML source: 1-based line and column."""

    source: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class DefinitionIssue:
    """One problem in a process or template document."""

    path: str
    reason: str
    location: Location | None

    @property
    def line(self) -> int | None:
        return None if self.location is None else self.location.line

    @property
    def column(self) -> int | None:
        return None if self.location is None else self.location.column

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location is not None else ""
        path = self.path or "(document)"
        return f"{where}{path}: {self.reason}"

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "reason": self.reason,
            "source": None if self.location is None else self.location.source,
            "line": self.line,
            "column": self.column,
        }


class ProcessDefinitionError(InvalidInput):
    """A process or template document is invalid; nothing was built."""

    code = "invalid-process"
    default_hint = (
        "Fix the listed lines of the process definition; docs/gates.md describes the format."
    )

    def __init__(self, issues: Sequence[DefinitionIssue], *, hint: str | None = None) -> None:
        self.issues = tuple(issues)
        first = str(self.issues[0]) if self.issues else "invalid process definition"
        more = f" (and {len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        super().__init__(
            f"invalid process definition: {first}{more}",
            hint=hint,
            errors=[FieldError(i.path, str(i)) for i in self.issues],
        )


class InvalidOverride(InvalidInput):
    """An override that may not be recorded (missing justification, bad expiry, wrong gate)."""

    code = "invalid-override"
    default_hint = (
        "An override needs a justification and an expiry in the future, and applies only to "
        "soft-mandatory gates."
    )


class GateBlocked(Conflict):
    """A governed promotion was refused: the stage's gates denied it or are still pending.

    ``GateBlocked(decision)`` makes a :class:`GatePending` for a pending decision and a
    :class:`GateDenied` otherwise, so callers raise one name and catch either; the CLI exits 5
    (pending) or 3 (denied) by class. Both keep the problem title ``GateBlocked``.
    """

    code = "gate-blocked"
    title = "GateBlocked"

    def __new__(cls, decision: Decision) -> GateBlocked:
        kind = cls
        if cls is GateBlocked:
            kind = GatePending if decision.outcome.value == "pending" else GateDenied
        return super().__new__(kind, decision)

    def __init__(self, decision: Decision) -> None:
        blocking = ", ".join(c.gate for c in decision.blocking) or "none"
        super().__init__(
            f"entering {decision.stage} is {decision.outcome.value} by the gates of "
            f"{decision.process}@v{decision.process_version} (blocking: {blocking}); "
            f"decision {decision.id}",
            hint=f"`sluice gate explain {decision.id}` shows every check and its reasons.",
        )
        self.decision_id = decision.id
        self.outcome = decision.outcome


class GateDenied(GateBlocked):
    """The stage's gates denied the promotion."""

    code = "gate-blocked"


class GatePending(GateBlocked):
    """The stage's gates are still pending (approvals or evidence to come)."""

    code = "gate-pending"
