"""The registry that maps check type names to plugins."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sluicegate.domain.gates.checks.approval import ApprovalCheck
from sluicegate.domain.gates.checks.base import Check
from sluicegate.domain.gates.checks.evidence import EvidenceCheck
from sluicegate.domain.gates.checks.metric_verdict import MetricVerdictCheck
from sluicegate.domain.gates.checks.policy import PolicyCheck
from sluicegate.domain.gates.checks.review_board import ReviewBoardCheck
from sluicegate.domain.gates.checks.schedule import ScheduleCheck
from sluicegate.domain.gates.checks.standard_change import StandardChangeCheck

__all__ = ["CheckRegistry", "default_registry"]


class CheckRegistry:
    """Check plugins by type name; definition validation rejects types it does not know."""

    def __init__(self, checks: Iterable[Check] = ()) -> None:
        self._checks: dict[str, Check] = {}
        for check in checks:
            self.register(check)

    def register(self, check: Check) -> None:
        if check.type in self._checks:
            raise ValueError(f"check type {check.type!r} is already registered")
        self._checks[check.type] = check

    def get(self, name: str) -> Check | None:
        return self._checks.get(name)

    def __getitem__(self, name: str) -> Check:
        return self._checks[name]

    def __contains__(self, name: object) -> bool:
        return name in self._checks

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._checks))

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(sorted(self._checks))


def default_registry() -> CheckRegistry:
    """A fresh registry with every built-in check."""
    return CheckRegistry(
        [
            ApprovalCheck(),
            ReviewBoardCheck(),
            PolicyCheck(),
            EvidenceCheck(),
            ScheduleCheck(),
            StandardChangeCheck(),
            MetricVerdictCheck(),
        ]
    )
