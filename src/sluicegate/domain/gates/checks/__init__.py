"""Gate check plugins behind one interface, and the registry that names them."""

from __future__ import annotations

from sluicegate.domain.gates.checks.approval import ApprovalCheck
from sluicegate.domain.gates.checks.base import (
    Check,
    CheckResult,
    CheckStatus,
    ConfigIssue,
    ConfigReader,
)
from sluicegate.domain.gates.checks.evidence import EvidenceCheck
from sluicegate.domain.gates.checks.metric_verdict import MetricVerdictCheck, analysis_name
from sluicegate.domain.gates.checks.policy import PolicyCheck
from sluicegate.domain.gates.checks.registry import CheckRegistry, default_registry
from sluicegate.domain.gates.checks.review_board import ReviewBoardCheck
from sluicegate.domain.gates.checks.schedule import ScheduleCheck
from sluicegate.domain.gates.checks.standard_change import StandardChangeCheck, matched_template

__all__ = [
    "ApprovalCheck",
    "Check",
    "CheckRegistry",
    "CheckResult",
    "CheckStatus",
    "ConfigIssue",
    "ConfigReader",
    "EvidenceCheck",
    "MetricVerdictCheck",
    "PolicyCheck",
    "ReviewBoardCheck",
    "ScheduleCheck",
    "StandardChangeCheck",
    "analysis_name",
    "default_registry",
    "matched_template",
]
