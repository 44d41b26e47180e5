"""JUnit XML parsing across pytest, Surefire and jest-junit flavours."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sluicegate.domain.gates.evidence import EvidenceError, JUnitFacts, parse_junit


def test_pytest_report_counts_each_outcome(fixture_bytes: Callable[[str], bytes]) -> None:
    facts = parse_junit(fixture_bytes("pytest_junit.xml"))
    assert (facts.tests, facts.failures, facts.errors, facts.skipped) == (7, 2, 1, 1)
    assert facts.passed == 3
    assert facts.time_s == pytest.approx(3.412)
    assert facts.failing_tests == (
        "tests.unit.test_pricing::test_discount_rounding",
        "tests.unit.test_pricing::test_currency[USD]",
        "tests.unit.test_checkout::test_checkout_flow",
    )
    assert facts.pass_rate == pytest.approx(3 / 6)


def test_surefire_single_testsuite_root_with_grouped_time(
    fixture_bytes: Callable[[str], bytes],
) -> None:
    facts = parse_junit(fixture_bytes("surefire_junit.xml"))
    assert (facts.tests, facts.failures, facts.errors, facts.skipped, facts.suites) == (
        4,
        1,
        0,
        1,
        1,
    )
    assert facts.time_s == pytest.approx(1204.5)
    assert facts.failing_tests == ("com.example.orders.OrderServiceTest::rejectsEmptyCart",)


def test_jest_report_with_several_suites(fixture_bytes: Callable[[str], bytes]) -> None:
    facts = parse_junit(fixture_bytes("jest_junit.xml"))
    assert (facts.tests, facts.failures, facts.suites) == (5, 1, 2)
    assert facts.failing_tests == ("Cart applies voucher::Cart applies voucher",)
    assert facts.time_s == pytest.approx(2.117)


def test_failing_names_are_capped() -> None:
    cases = "".join(f'<testcase name="t{i}"><failure/></testcase>' for i in range(30))
    facts = parse_junit(f"<testsuite>{cases}</testsuite>".encode(), max_failing_names=5)
    assert facts.failures == 30
    assert facts.failing_tests == ("t0", "t1", "t2", "t3", "t4")


def test_counter_only_report_uses_attributes() -> None:
    data = (
        b"<testsuites>"
        b'<testsuite tests="10" failures="2" errors="1" skipped="3" time="1.5"/>'
        b"</testsuites>"
    )
    facts = parse_junit(data)
    assert (facts.tests, facts.failures, facts.errors, facts.skipped) == (10, 2, 1, 3)
    assert facts.time_s == pytest.approx(1.5)


def test_to_dict_is_json_ready(fixture_bytes: Callable[[str], bytes]) -> None:
    facts = parse_junit(fixture_bytes("jest_junit.xml"))
    assert isinstance(facts, JUnitFacts)
    doc = facts.to_dict()
    assert doc["kind"] == "junit"
    assert doc["failing_tests"] == ["Cart applies voucher::Cart applies voucher"]
    with pytest.raises(AttributeError):
        facts.tests = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML, not XML"),
        (b"<html><head></head></html>", "HTML, not XML"),
        (b'{"tests": 3}', "JSON, not XML"),
        (b"tests,failures\n3,0\n", "TEXT, not XML"),
        (b"<coverage line-rate='1'/>", "root element <coverage>"),
        (b"<testsuite><testcase>", "malformed XML"),
        (b"", "artifact is empty"),
        (b'<testsuite tests="x"/>', "tests='x' is not a number"),
        (b'<testsuite tests="1" failures="3"/>', "exceed the number of tests"),
    ],
)
def test_malformed_reports_are_rejected_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(EvidenceError) as info:
        parse_junit(data)
    assert info.value.kind == "junit"
    assert reason in info.value.reason


def test_entity_expansion_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><testsuite name="&lol2;"/>'
    )
    with pytest.raises(EvidenceError, match="unsafe XML rejected"):
        parse_junit(bomb)


def test_external_entity_is_refused() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<testsuite>&x;</testsuite>"
    )
    with pytest.raises(EvidenceError, match="unsafe XML rejected"):
        parse_junit(xxe)


def test_size_limit_is_enforced() -> None:
    data = b"<testsuite>" + b" " * 2048 + b"</testsuite>"
    with pytest.raises(EvidenceError, match="above the 1024 limit"):
        parse_junit(data, max_bytes=1024)
    assert parse_junit(data, max_bytes=4096).tests == 0
