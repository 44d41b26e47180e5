"""``parse_evidence``: one entry point for every evidence kind."""

from __future__ import annotations

from collections.abc import Callable

from sluicegate.domain.gates.evidence.chaos import ChaosFacts, parse_chaos_journal
from sluicegate.domain.gates.evidence.cost_benefit import CostBenefitFacts, parse_cost_benefit
from sluicegate.domain.gates.evidence.coverage import CoverageFacts, parse_coverage
from sluicegate.domain.gates.evidence.errors import DEFAULT_MAX_BYTES, EvidenceError
from sluicegate.domain.gates.evidence.junit import JUnitFacts, parse_junit
from sluicegate.domain.gates.evidence.link import LinkFacts, parse_link
from sluicegate.domain.gates.evidence.load_test import LoadTestFacts, parse_jmeter, parse_k6
from sluicegate.domain.gates.evidence.sarif import SarifFacts, parse_sarif

__all__ = ["EVIDENCE_KINDS", "EvidenceFacts", "parse_evidence"]

EvidenceFacts = (
    JUnitFacts
    | CoverageFacts
    | SarifFacts
    | LoadTestFacts
    | ChaosFacts
    | LinkFacts
    | CostBenefitFacts
)

EVIDENCE_KINDS = (
    "junit",
    "cobertura",
    "coverage-py",
    "coverage",
    "sarif",
    "k6",
    "jmeter",
    "chaos-toolkit",
    "link",
    "cost-benefit",
)


def parse_evidence(
    kind: str,
    data: bytes,
    filename: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> EvidenceFacts:
    """Parse ``data`` as evidence of ``kind``; raises EvidenceError naming the reason.

    ``filename`` only sharpens error messages (e.g. a ``.html`` file sent as JUnit).
    """
    try:
        return _dispatch(kind, data, max_bytes)
    except EvidenceError as exc:
        if filename:
            raise EvidenceError(exc.kind, f"{exc.reason} (file {filename!r})") from exc
        raise


def _dispatch(kind: str, data: bytes, max_bytes: int) -> EvidenceFacts:
    if kind in ("cobertura", "coverage-py", "coverage"):
        return parse_coverage(data, kind=kind, max_bytes=max_bytes)
    if kind in ("link", "documentation", "runbook"):
        return parse_link(data, default_type="documentation" if kind == "link" else kind)
    parsers: dict[str, Callable[[], EvidenceFacts]] = {
        "junit": lambda: parse_junit(data, max_bytes=max_bytes),
        "sarif": lambda: parse_sarif(data, max_bytes=max_bytes),
        "k6": lambda: parse_k6(data, max_bytes=max_bytes),
        "jmeter": lambda: parse_jmeter(data, max_bytes=max_bytes),
        "chaos-toolkit": lambda: parse_chaos_journal(data, max_bytes=max_bytes),
        "cost-benefit": lambda: parse_cost_benefit(data),
    }
    parser = parsers.get(kind)
    if parser is None:
        expected = ", ".join(EVIDENCE_KINDS)
        raise EvidenceError(kind, f"unknown evidence kind; expected one of {expected}")
    return parser()
