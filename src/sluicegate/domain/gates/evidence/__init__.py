"""Evidence parsers: turn CI artifacts into typed, JSON-ready facts (pure, no I/O)."""

from __future__ import annotations

from sluicegate.domain.gates.evidence.chaos import BlastRadius, ChaosFacts, parse_chaos_journal
from sluicegate.domain.gates.evidence.cost_benefit import (
    CostBenefitFacts,
    compute_cost_benefit,
    parse_cost_benefit,
)
from sluicegate.domain.gates.evidence.coverage import CoverageFacts, parse_coverage
from sluicegate.domain.gates.evidence.dispatcher import (
    EVIDENCE_KINDS,
    EvidenceFacts,
    parse_evidence,
)
from sluicegate.domain.gates.evidence.errors import DEFAULT_MAX_BYTES, EvidenceError
from sluicegate.domain.gates.evidence.junit import JUnitFacts, parse_junit
from sluicegate.domain.gates.evidence.link import LinkFacts, parse_link, validate_url
from sluicegate.domain.gates.evidence.load_test import LoadTestFacts, parse_jmeter, parse_k6
from sluicegate.domain.gates.evidence.sarif import SarifFacts, parse_sarif, security_severity_bucket
from sluicegate.domain.gates.evidence.thresholds import (
    ThresholdReport,
    ThresholdResult,
    ThresholdSpecError,
    evaluate_thresholds,
    facts_document,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EVIDENCE_KINDS",
    "BlastRadius",
    "ChaosFacts",
    "CostBenefitFacts",
    "CoverageFacts",
    "EvidenceError",
    "EvidenceFacts",
    "JUnitFacts",
    "LinkFacts",
    "LoadTestFacts",
    "SarifFacts",
    "ThresholdReport",
    "ThresholdResult",
    "ThresholdSpecError",
    "compute_cost_benefit",
    "evaluate_thresholds",
    "facts_document",
    "parse_chaos_journal",
    "parse_cost_benefit",
    "parse_coverage",
    "parse_evidence",
    "parse_jmeter",
    "parse_junit",
    "parse_k6",
    "parse_link",
    "parse_sarif",
    "security_severity_bucket",
    "validate_url",
]
