"""Port for the embedded policy engine that evaluates gates written as Rego.

Policies follow the conftest convention: any package under the configured namespace may define
``deny contains msg if {...}`` and ``warn contains msg if {...}``.  A message is either a string or
an object with a ``msg`` key (other keys are kept as ``details``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sluicegate.domain.errors import InvalidInput, Unavailable

__all__ = [
    "Message",
    "PackageDecision",
    "PolicyBundle",
    "PolicyCompileError",
    "PolicyDecision",
    "PolicyEngine",
    "PolicyError",
    "PolicyEvaluationError",
    "PolicyModule",
    "PolicyTestReport",
    "PolicyTestResult",
]


class PolicyError(Unavailable):
    """Base class of policy engine errors."""

    code = "policy-error"


class PolicyCompileError(InvalidInput, PolicyError):
    """Rego that does not parse or compile; carries the location when the engine gives one."""

    code = "policy-compile-error"

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        self.column = column
        where = ""
        if file is not None:
            where = file
            if line is not None:
                where += f":{line}"
                if column is not None:
                    where += f":{column}"
            where += ": "
        super().__init__(f"{where}{reason}")


class PolicyEvaluationError(PolicyError):
    """The engine failed while evaluating a compiled bundle (e.g. a rule conflict)."""

    code = "policy-evaluation-failed"

    raw: str = ""


@dataclass(frozen=True, slots=True)
class PolicyModule:
    """One Rego source file of a bundle; ``path`` is relative to the bundle root."""

    path: str
    source: str
    package: str

    @property
    def is_test(self) -> bool:
        return self.path.endswith("_test.rego")


@dataclass(frozen=True, slots=True)
class PolicyBundle:
    """A loaded (not necessarily compiled) set of policies plus base data."""

    root: str
    revision: str
    modules: tuple[PolicyModule, ...]
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def policy_modules(self) -> tuple[PolicyModule, ...]:
        return tuple(m for m in self.modules if not m.is_test)

    @property
    def test_modules(self) -> tuple[PolicyModule, ...]:
        return tuple(m for m in self.modules if m.is_test)

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(sorted({m.package for m in self.policy_modules}))


@dataclass(frozen=True, slots=True)
class Message:
    """A deny or warn message produced by one package."""

    msg: str
    package: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"msg": self.msg, "package": self.package, "details": dict(self.details)}


@dataclass(frozen=True, slots=True)
class PackageDecision:
    package: str
    deny: tuple[Message, ...]
    warn: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    """Outcome of evaluating a bundle against one input document."""

    deny: list[Message]
    warn: list[Message]
    revision: str
    by_package: Mapping[str, PackageDecision]

    @property
    def allowed(self) -> bool:
        return not self.deny

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "revision": self.revision,
            "deny": [m.to_dict() for m in self.deny],
            "warn": [m.to_dict() for m in self.warn],
        }


@dataclass(frozen=True, slots=True)
class PolicyTestResult:
    file: str
    package: str
    name: str
    passed: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PolicyTestReport:
    revision: str
    results: tuple[PolicyTestResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[PolicyTestResult, ...]:
        return tuple(r for r in self.results if not r.passed)


@runtime_checkable
class PolicyEngine(Protocol):
    """Loads bundles of Rego policies and evaluates them against gate input documents."""

    def load_bundle(self, path: str | Path) -> PolicyBundle:
        """Read and compile a bundle; raises PolicyCompileError for invalid Rego."""
        ...

    def evaluate(self, bundle: PolicyBundle, input_doc: Mapping[str, Any]) -> PolicyDecision:
        """Evaluate deny/warn rules of every package under the namespace."""
        ...

    def run_tests(self, bundle: PolicyBundle) -> PolicyTestReport:
        """Run the bundle's own ``test_*`` rules from ``*_test.rego`` files."""
        ...
