"""k6 summaries and JMeter JTL CSV files."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluicegate.domain.gates.evidence import EvidenceError, parse_jmeter, parse_k6
from sluicegate.domain.gates.evidence.load_test import percentile


def test_k6_summary_export(fixture_bytes: Callable[[str], bytes]) -> None:
    facts = parse_k6(fixture_bytes("k6_summary_export.json"))
    assert facts.tool == "k6"
    assert facts.requests == 12000
    assert facts.error_rate == pytest.approx(130 / 12000)
    assert (facts.p50_ms, facts.p90_ms, facts.p95_ms, facts.p99_ms) == (118.5, 231.8, 287.1, 512.6)
    assert facts.max_ms == pytest.approx(1893.4)


def test_k6_handle_summary_without_p99(fixture_bytes: Callable[[str], bytes]) -> None:
    facts = parse_k6(fixture_bytes("k6_handle_summary.json"))
    assert facts.requests == 3000
    assert facts.error_rate == pytest.approx(0.002)
    assert facts.p95_ms == pytest.approx(190.7)
    assert facts.p99_ms is None
    assert facts.to_dict()["p99_ms"] is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"root_group": {}}', "'metrics' object missing"),
        (b'{"metrics": {"vus": {"value": 1}}}', "http_req_duration is missing"),
        (b'{"metrics": {"http_req_duration": {"p(95)": "fast"}}}', "must be a finite number"),
        (
            b'{"metrics": {"http_req_duration": {}, "http_req_failed": {"rate": 3}}}',
            "within [0, 1]",
        ),
        (b"timeStamp,elapsed\n1,2\n", "TEXT, not JSON"),
    ],
)
def test_malformed_k6(data: bytes, reason: str) -> None:
    with pytest.raises(EvidenceError) as info:
        parse_k6(data)
    assert reason in info.value.reason


def test_jmeter_jtl(fixture_bytes: Callable[[str], bytes]) -> None:
    # The fixture holds the elapsed values 1..100 ms, so nearest-rank percentiles are exact.
    facts = parse_jmeter(fixture_bytes("jmeter.jtl"))
    assert facts.requests == 100
    assert facts.error_rate == pytest.approx(0.04)
    assert (facts.p50_ms, facts.p90_ms, facts.p95_ms, facts.p99_ms) == (50, 90, 95, 99)
    assert facts.max_ms == 100
    assert facts.avg_ms == pytest.approx(50.5)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"name,email\nann,a@example.com\n", "lacks JMeter JTL columns: timeStamp, elapsed"),
        (b"timeStamp,elapsed,label,success\n", "no samples"),
        (b"timeStamp,elapsed,label,success\n1,abc,x,true\n", "line 2: elapsed='abc'"),
        (b"timeStamp,elapsed,label,success\n1,5,x,maybe\n", "line 2: success='maybe'"),
        (b"timeStamp,elapsed,label,success\n1,-5,x,true\n", "out of range"),
        (b'<?xml version="1.0"?><testResults version="1.2"/>', "only CSV JTL files"),
        (b"<html><body>login</body></html>", "HTML"),
    ],
)
def test_malformed_jmeter(data: bytes, reason: str) -> None:
    with pytest.raises(EvidenceError) as info:
        parse_jmeter(data)
    assert reason in info.value.reason


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1), st.floats(1, 100))
def test_percentile_is_a_sample_bounded_by_min_and_max(values: list[float], pct: float) -> None:
    ordered = sorted(values)
    result = percentile(ordered, pct)
    assert result in ordered
    assert ordered[0] <= result <= ordered[-1]
    below = sum(1 for v in ordered if v <= result)
    assert below / len(ordered) >= pct / 100 - 1e-9
