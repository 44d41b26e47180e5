"""Documentation/runbook links and cost-benefit estimates."""

from __future__ import annotations

import json

import pytest

from sluicegate.domain.gates.evidence import (
    EvidenceError,
    compute_cost_benefit,
    parse_cost_benefit,
    parse_link,
)


def test_plain_url_link() -> None:
    facts = parse_link(b"https://wiki.example.com/runbooks/checkout#rollback\n")
    assert (facts.scheme, facts.host, facts.link_type) == (
        "https",
        "wiki.example.com",
        "documentation",
    )


def test_json_runbook_link() -> None:
    data = json.dumps(
        {"url": "http://runbooks.internal:8080/x", "title": "Rollback", "type": "runbook"}
    )
    facts = parse_link(data.encode())
    assert (facts.host, facts.title, facts.link_type) == (
        "runbooks.internal",
        "Rollback",
        "runbook",
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"ftp://files.example.com/doc", "scheme 'ftp' is not http(s)"),
        (b"javascript:alert(1)", "scheme 'javascript'"),
        (b"wiki.example.com/page", "scheme '(none)'"),
        (b"https://", "URL has no host"),
        (b"https://user:pw@wiki.example.com/", "must not embed credentials"),
        (b"https://wiki.example.com/a b", "whitespace"),
        (b"https://wiki.example.com:99999/", "invalid URL"),
        (b'{"title": "no url"}', "string 'url'"),
        (b'{"url": "https://x.example", "type": "video"}', "link type 'video'"),
    ],
)
def test_invalid_links(data: bytes, reason: str) -> None:
    with pytest.raises(EvidenceError) as info:
        parse_link(data)
    assert reason in info.value.reason


def test_cost_benefit_payback_and_roi() -> None:
    data = {
        "one_off_cost": 12000,
        "maintenance_hours_per_month": 6,
        "hourly_rate": 100,
        "expected_monthly_benefit": 3000,
        "horizon_months": 24,
    }
    facts = parse_cost_benefit(json.dumps(data).encode())
    assert facts.monthly_maintenance_cost == 600
    assert facts.net_monthly_benefit == 2400
    assert facts.payback_months == pytest.approx(5.0)
    # benefit 72000 over 24 months; cost 12000 + 600 * 24 = 26400
    assert facts.roi == pytest.approx((72000 - 26400) / 26400)
    assert facts.currency == "EUR"


def test_cost_benefit_never_pays_back() -> None:
    facts = compute_cost_benefit(
        one_off_cost=5000,
        maintenance_hours_per_month=10,
        hourly_rate=50,
        expected_monthly_benefit=400,
    )
    assert facts.payback_months is None
    assert facts.roi is not None
    assert facts.roi < 0


def test_cost_benefit_with_zero_cost_has_no_roi() -> None:
    facts = compute_cost_benefit(
        one_off_cost=0, maintenance_hours_per_month=0, hourly_rate=0, expected_monthly_benefit=10
    )
    assert facts.roi is None
    assert facts.payback_months == 0


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"one_off_cost": 1}, "missing field(s): maintenance_hours_per_month"),
        (
            {
                "one_off_cost": -1,
                "maintenance_hours_per_month": 0,
                "hourly_rate": 0,
                "expected_monthly_benefit": 0,
            },
            "one_off_cost must be a finite, non-negative number",
        ),
        (
            {
                "one_off_cost": "1",
                "maintenance_hours_per_month": 0,
                "hourly_rate": 0,
                "expected_monthly_benefit": 0,
            },
            "one_off_cost must be a number",
        ),
        (
            {
                "one_off_cost": 1,
                "maintenance_hours_per_month": True,
                "hourly_rate": 0,
                "expected_monthly_benefit": 0,
            },
            "maintenance_hours_per_month must be a number",
        ),
        (
            {
                "one_off_cost": 1,
                "maintenance_hours_per_month": 0,
                "hourly_rate": 0,
                "expected_monthly_benefit": 0,
                "horizon_months": 0,
            },
            "horizon_months must be positive",
        ),
    ],
)
def test_invalid_cost_benefit(doc: dict[str, object], reason: str) -> None:
    with pytest.raises(EvidenceError) as info:
        parse_cost_benefit(json.dumps(doc).encode())
    assert reason in info.value.reason
