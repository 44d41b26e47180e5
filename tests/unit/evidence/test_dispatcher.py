"""``parse_evidence`` routes kinds to parsers and rejects impostor artifacts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sluicegate.domain.gates.evidence import (
    EVIDENCE_KINDS,
    ChaosFacts,
    CostBenefitFacts,
    CoverageFacts,
    EvidenceError,
    JUnitFacts,
    LinkFacts,
    LoadTestFacts,
    SarifFacts,
    parse_evidence,
)


@pytest.mark.parametrize(
    ("kind", "fixture", "facts_type"),
    [
        ("junit", "pytest_junit.xml", JUnitFacts),
        ("cobertura", "cobertura.xml", CoverageFacts),
        ("coverage-py", "coverage_py.xml", CoverageFacts),
        ("coverage", "coverage_py.xml", CoverageFacts),
        ("sarif", "codeql.sarif", SarifFacts),
        ("k6", "k6_summary_export.json", LoadTestFacts),
        ("jmeter", "jmeter.jtl", LoadTestFacts),
        ("chaos-toolkit", "chaos_journal.json", ChaosFacts),
    ],
)
def test_dispatch_by_kind(
    kind: str, fixture: str, facts_type: type, fixture_bytes: Callable[[str], bytes]
) -> None:
    facts = parse_evidence(kind, fixture_bytes(fixture), fixture)
    assert isinstance(facts, facts_type)
    assert facts.to_dict()["kind"] in (kind, "coverage", "load-test")


def test_link_and_cost_benefit_kinds() -> None:
    assert isinstance(parse_evidence("link", b"https://docs.example.com"), LinkFacts)
    runbook = parse_evidence("runbook", b"https://runbooks.example.com/a")
    assert isinstance(runbook, LinkFacts)
    assert runbook.link_type == "runbook"
    cost = parse_evidence(
        "cost-benefit",
        b'{"one_off_cost": 1, "maintenance_hours_per_month": 0, "hourly_rate": 0,'
        b' "expected_monthly_benefit": 1}',
    )
    assert isinstance(cost, CostBenefitFacts)


@pytest.mark.parametrize(
    ("kind", "fixture", "reason"),
    [
        ("junit", "codeql.sarif", "JSON, not XML"),
        ("junit", "coverage_py.xml", "root element <coverage>"),
        ("sarif", "pytest_junit.xml", "XML, not JSON"),
        ("k6", "jmeter.jtl", "TEXT, not JSON"),
        ("jmeter", "k6_summary_export.json", "JSON"),
        ("chaos-toolkit", "codeql.sarif", "no 'experiment' object"),
        ("cobertura", "jest_junit.xml", "root element <testsuites>"),
    ],
)
def test_artifacts_that_are_not_what_they_claim(
    kind: str, fixture: str, reason: str, fixture_bytes: Callable[[str], bytes]
) -> None:
    with pytest.raises(EvidenceError) as info:
        parse_evidence(kind, fixture_bytes(fixture), fixture)
    assert reason in info.value.reason
    assert repr(fixture) in info.value.reason


def test_html_error_page_sent_as_junit() -> None:
    page = b"<!DOCTYPE html>\n<html><head><title>404</title></head><body>Not Found</body></html>"
    with pytest.raises(EvidenceError, match="junit: artifact is HTML, not XML"):
        parse_evidence("junit", page, "report.html")


def test_unknown_kind() -> None:
    with pytest.raises(EvidenceError) as info:
        parse_evidence("lcov", b"TN:\n")
    assert "unknown evidence kind" in info.value.reason
    assert all(kind in info.value.reason for kind in EVIDENCE_KINDS)


def test_binary_artifact_is_rejected() -> None:
    with pytest.raises(EvidenceError, match="BINARY"):
        parse_evidence("sarif", b"\x89PNG\r\n\x1a\n\x00\x00\x00")


def test_max_bytes_parameter_applies_to_all_kinds(fixture_bytes: Callable[[str], bytes]) -> None:
    with pytest.raises(EvidenceError, match="above the 100 limit"):
        parse_evidence("k6", fixture_bytes("k6_summary_export.json"), max_bytes=100)


def test_xhtml_with_xml_declaration_is_recognised_as_html() -> None:
    page = (
        b'<?xml version="1.0"?>\n<!-- proxy error -->\n<html xmlns="http://www.w3.org/1999/xhtml"/>'
    )
    with pytest.raises(EvidenceError, match="artifact is HTML, not XML"):
        parse_evidence("junit", page)


def test_html_inside_a_junit_cdata_is_still_junit() -> None:
    report = (
        b"<testsuite><testcase name='t'>"
        b"<system-out><![CDATA[<html>]]></system-out>"
        b"</testcase></testsuite>"
    )
    facts = parse_evidence("junit", report)
    assert isinstance(facts, JUnitFacts)
    assert facts.tests == 1
