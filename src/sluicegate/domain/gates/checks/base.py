"""The one interface every gate check implements, its result type, and config helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from sluicegate.domain.gates.durations import parse_duration
from sluicegate.domain.risk import RiskLevel

if TYPE_CHECKING:
    from sluicegate.domain.gates.context import GateContext

__all__ = [
    "Check",
    "CheckResult",
    "CheckStatus",
    "ConfigIssue",
    "ConfigReader",
]


class CheckStatus(StrEnum):
    PASS = "pass"  # noqa: S105 - a status name, not a secret
    FAIL = "fail"
    PENDING = "pending"
    NOT_APPLICABLE = "not-applicable"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A check's answer; ``warnings`` never block; ``data`` is JSON-ready detail."""

    status: CheckStatus
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        status: CheckStatus,
        reasons: list[str] | tuple[str, ...] = (),
        *,
        warnings: list[str] | tuple[str, ...] = (),
        data: Mapping[str, Any] | None = None,
    ) -> CheckResult:
        return cls(status, tuple(reasons), tuple(warnings), dict(data or {}))


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """A problem in a gate's ``config``; ``path`` is relative to ``config``."""

    path: tuple[str | int, ...]
    reason: str


class Check(Protocol):
    """A gate check plugin: validates its config at definition time, evaluates it at gate time.

    ``human_approval`` checks (approval, review board) are skipped for standard changes.
    """

    @property
    def type(self) -> str: ...

    @property
    def human_approval(self) -> bool: ...

    def validate(self, config: Mapping[str, Any]) -> list[ConfigIssue]: ...

    def evaluate(self, config: Mapping[str, Any], ctx: GateContext) -> CheckResult: ...


class ConfigReader:
    """Typed access to a config mapping that records a :class:`ConfigIssue` per bad field."""

    def __init__(self, config: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        self.config = config
        self.issues: list[ConfigIssue] = []
        for key in config:
            if key not in allowed:
                known = ", ".join(allowed) or "none"
                self.issues.append(ConfigIssue((key,), f"unknown setting (known: {known})"))

    def fail(self, path: tuple[str | int, ...], reason: str) -> None:
        self.issues.append(ConfigIssue(path, reason))

    def boolean(self, key: str) -> None:
        if key in self.config and not isinstance(self.config[key], bool):
            self.fail((key,), "must be true or false")

    def integer(self, key: str, minimum: int = 0, *, base: tuple[str | int, ...] = ()) -> None:
        value = _get(self.config, base, key)
        if value is None:
            return
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.fail((*base, key), f"must be an integer >= {minimum}")

    def strings(self, key: str, *, base: tuple[str | int, ...] = ()) -> list[str]:
        value = _get(self.config, base, key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail((*base, key), "must be a list of strings")
            return []
        return list(value)

    def duration(self, key: str) -> None:
        if key in self.config:
            try:
                parse_duration(self.config[key])
            except ValueError as exc:
                self.fail((key,), str(exc))

    def levels(self, key: str, *, base: tuple[str | int, ...] = ()) -> None:
        allowed = [level.value for level in RiskLevel]
        for i, value in enumerate(self.strings(key, base=base)):
            if value not in allowed:
                self.fail((*base, key, i), f"{value!r} is not a risk level ({', '.join(allowed)})")

    def items(self, key: str) -> list[Mapping[str, Any]]:
        value = self.config.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            self.fail((key,), "must be a list of mappings")
            return []
        return list(value)


def _get(config: Mapping[str, Any], base: tuple[str | int, ...], key: str) -> Any:
    node: Any = config
    for part in base:
        node = node[part]
    return node.get(key) if isinstance(node, Mapping) else None
