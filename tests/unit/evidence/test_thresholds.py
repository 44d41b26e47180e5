"""Threshold evaluation of evidence facts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sluicegate.domain.gates.evidence import (
    ThresholdSpecError,
    evaluate_thresholds,
    facts_document,
    parse_evidence,
)

THRESHOLDS = {
    "coverage.line_rate": {"min": 0.8},
    "sarif.high": {"max": 0},
    "chaos.status": {"eq": "completed"},
    "chaos.blast_radius.max_pct_users": {"max": 5},
    "k6.p99_ms": {"max": 300},
}


@pytest.fixture
def facts(fixture_bytes: Callable[[str], bytes]) -> list[object]:
    return [
        parse_evidence("coverage", fixture_bytes("coverage_py.xml")),
        parse_evidence("sarif", fixture_bytes("codeql.sarif")),
        parse_evidence("chaos-toolkit", fixture_bytes("chaos_journal.json")),
        parse_evidence("k6", fixture_bytes("k6_summary_export.json")),
    ]


def test_thresholds_against_fixture_facts(facts: list[object]) -> None:
    report = evaluate_thresholds(facts, THRESHOLDS)  # type: ignore[arg-type]
    by_key = {r.key: r for r in report.results}
    assert by_key["coverage.line_rate"].passed
    assert by_key["chaos.status"].passed
    assert by_key["chaos.blast_radius.max_pct_users"].passed
    assert not by_key["sarif.high"].passed
    assert by_key["sarif.high"].reasons == ("sarif.high is 2, expected <= 0",)
    assert not by_key["k6.p99_ms"].passed
    assert by_key["k6.p99_ms"].actual == 512.6
    assert not report.passed
    # in key order, not the order the mapping was written (a stored process sorts its keys)
    assert report.reasons == (
        "k6.p99_ms is 512.6, expected <= 300",
        "sarif.high is 2, expected <= 0",
    )


def test_missing_and_unreported_values_fail() -> None:
    doc = {"k6": {"p99_ms": None}}
    report = evaluate_thresholds(doc, {"k6.p99_ms": {"max": 300}, "junit.failures": {"max": 0}})
    assert [r.reasons for r in report.results] == [
        ("no evidence provides junit.failures",),
        ("k6.p99_ms was not reported",),
    ]


def test_results_do_not_depend_on_the_order_the_mapping_was_written() -> None:
    doc = {"k6": {"p99_ms": 400.0, "error_rate": 0.5}}
    spec = {"k6.p99_ms": {"max": 300.0, "gt": 500}, "k6.error_rate": {"lt": 0.1}}
    written = evaluate_thresholds(doc, spec)
    reordered = {k: dict(reversed(v.items())) for k, v in reversed(spec.items())}
    assert evaluate_thresholds(doc, reordered) == written
    assert written.reasons == (
        "k6.error_rate is 0.5, expected < 0.1",
        "k6.p99_ms is 400, expected <= 300",  # as stored: integral floats print as integers
        "k6.p99_ms is 400, expected > 500",
    )


@pytest.mark.parametrize(
    ("spec", "actual", "passed"),
    [
        ({"min": 1}, 1, True),
        ({"gt": 1}, 1, False),
        ({"lt": 2, "gt": 0}, 1, True),
        ({"ne": "failed"}, "completed", True),
        ({"in": ["completed", "interrupted"]}, "failed", False),
        ({"not_in": ["failed"]}, "failed", False),
        ({"max": 3}, "3", False),
        ({"max": 3}, True, False),
    ],
)
def test_operators(spec: dict[str, object], actual: object, passed: bool) -> None:
    report = evaluate_thresholds({"x": {"v": actual}}, {"x.v": spec})
    assert report.passed is passed


@pytest.mark.parametrize(
    "spec",
    [{"atleast": 1}, {}, {"min": "0.8"}, {"in": "completed"}, 0.8],
)
def test_invalid_threshold_specs(spec: object) -> None:
    with pytest.raises(ThresholdSpecError):
        evaluate_thresholds({}, {"coverage.line_rate": spec})


def test_links_are_summarised_and_duplicates_refused(facts: list[object]) -> None:
    links = [
        parse_evidence("link", b"https://a.example"),
        parse_evidence("runbook", b"https://b.example"),
    ]
    doc = facts_document(links)
    assert doc["links"]["count"] == 2
    assert evaluate_thresholds(doc, {"links.count": {"min": 1}}).passed
    with pytest.raises(ValueError, match="more than one 'coverage'"):
        facts_document([facts[0], facts[0]])  # type: ignore[list-item]
