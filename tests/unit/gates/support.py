"""Builders shared by the gate engine tests: contexts, approvals and a fake policy evaluator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sluicegate.domain.gates import (
    Approval,
    EnvironmentInfo,
    ExperimentSummary,
    GateContext,
    PolicyVerdict,
    Requester,
    ReviewBoard,
)

# Tuesday 2026-11-17 09:45 UTC (10:45 in Berlin): inside business hours, outside the weekend.
NOW = datetime(2026, 11, 17, 9, 45, tzinfo=UTC)

RISK_LOW: dict[str, Any] = {
    "level": "low",
    "score": 2,
    "required_signoffs": ["product"],
    "required_evidence": ["junit"],
}
RISK_HIGH: dict[str, Any] = {
    "level": "high",
    "score": 27,
    "required_signoffs": ["product", "operations", "security"],
    "required_evidence": ["junit", "coverage", "sarif", "load-test"],
}

EVIDENCE: dict[str, dict[str, Any]] = {
    "junit": {"kind": "junit", "tests": 10, "passed": 10, "failures": 0, "errors": 0},
    "coverage": {"kind": "coverage", "line_rate": 0.9, "branch_rate": None},
    "sarif": {"kind": "sarif", "total": 1, "critical": 0, "high": 0, "medium": 1},
    "k6": {"kind": "load-test", "tool": "k6", "p99_ms": 250.0, "error_rate": 0.001},
}


@dataclass
class FakePolicy:
    """A policy evaluator that denies/warns as configured and records the input it saw."""

    revision: str = "rev-1"
    deny: tuple[tuple[str, str], ...] = ()
    warn: tuple[tuple[str, str], ...] = ()
    seen: list[Mapping[str, Any]] = field(default_factory=list)

    def __call__(self, input_doc: Mapping[str, Any]) -> PolicyVerdict:
        self.seen.append(input_doc)
        return PolicyVerdict(self.revision, self.deny, self.warn)


def approval(
    by: str,
    role: str = "reviewer",
    *,
    domains: tuple[str, ...] = (),
    decision: str = "approve",
    hours_ago: float = 1,
    comment: str = "",
) -> Approval:
    from datetime import timedelta

    return Approval(
        by=by,
        role=role,
        at=NOW - timedelta(hours=hours_ago),
        decision=decision,  # type: ignore[arg-type]
        domains=domains,
        comment=comment,
    )


def context(**changes: Any) -> GateContext:
    experiment = ExperimentSummary(
        key=changes.pop("key", "checkout-v2"),
        kind=changes.pop("kind", "feature"),
        team=changes.pop("team", "team-payments"),
        services=tuple(changes.pop("services", ("checkout",))),
        state=changes.pop("state", "staging"),
        risk=changes.pop("risk", RISK_LOW),
        id="exp_1",
        title="One-page checkout",
        data_classification="internal",
        tags=("checkout",),
    )
    base: dict[str, Any] = {
        "experiment": experiment,
        "stage": "canary",
        "environment": EnvironmentInfo("production", "Europe/Berlin", compliant=True),
        "requester": Requester("carol"),
        "now": NOW,
        "authors": ("carol", "dave"),
        "evidence": EVIDENCE,
    }
    base.update(changes)
    return GateContext(**base)


BOARD = ReviewBoard("arb", ("ana", "ben", "cy", "dee", "eve"), seats=3, quorum=2)
