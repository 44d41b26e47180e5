"""The generated rule file: names, labels, windows, and alerts that read only recorded windows."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from tests.support.slo import openslo_slo, sloth_spec

from sluicegate.domain.slo import WINDOWS, SloSpecError, default_factors, parse_openslo, parse_sloth
from sluicegate.domain.slo.rules import burn_expression, rule_file
from sluicegate.domain.slo.spec import PAGE, TICKET, Slo


def _slo(days: int = 30) -> Slo:
    doc = openslo_slo()
    doc["spec"]["timeWindow"] = [{"duration": f"{days}d", "isRolling": True}]
    (slo,) = parse_openslo([doc])
    return slo


def _rules(slo: Slo) -> dict[str, list[dict[str, Any]]]:
    return {g["name"]: g["rules"] for g in rule_file([slo])["groups"]}


def test_three_groups_per_slo() -> None:
    groups = _rules(_slo())
    assert list(groups) == [
        "sluicegate-slo/api/availability/sli",
        "sluicegate-slo/api/availability/meta",
        "sluicegate-slo/api/availability/alerts",
    ]


def test_error_ratio_recordings_per_window_and_for_the_period() -> None:
    sli = _rules(_slo())["sluicegate-slo/api/availability/sli"]
    assert [r["record"] for r in sli] == [f"slo:sli_error:ratio_rate{w}" for w in WINDOWS] + [
        "slo:sli_error:ratio_rate30d"
    ]
    assert [r["labels"]["sluicegate_window"] for r in sli] == [*WINDOWS, "30d"]
    for rule in sli:
        assert rule["labels"]["sluicegate_service"] == "api"
        assert rule["labels"]["sluicegate_slo"] == "availability"
        assert rule["labels"]["team"] == "core"
    assert sli[0]["expr"] == (
        '(sum(rate(http_requests_total{job="api",code=~"5.."}[5m])))\n/\n'
        '(sum(rate(http_requests_total{job="api"}[5m])))'
    )
    assert sli[-1]["expr"] == (
        'avg_over_time(slo:sli_error:ratio_rate5m{sluicegate_service="api",'
        'sluicegate_slo="availability"}[30d])'
    )


@pytest.mark.parametrize("days", [1, 3])
def test_a_period_equal_to_a_window_is_recorded_once(days: int) -> None:
    sli = _rules(_slo(days))["sluicegate-slo/api/availability/sli"]
    assert [r["record"] for r in sli] == [f"slo:sli_error:ratio_rate{w}" for w in WINDOWS]


def test_metadata_recordings() -> None:
    meta = {r["record"]: r for r in _rules(_slo())["sluicegate-slo/api/availability/meta"]}
    assert meta["slo:objective:ratio"]["expr"] == "vector(0.999)"
    assert meta["slo:error_budget:ratio"]["expr"] == "vector(0.001)"
    assert meta["slo:time_period:days"]["expr"] == "vector(30)"
    assert meta["slo:period_burn_rate:ratio"]["expr"].startswith("slo:sli_error:ratio_rate30d{")
    assert set(meta) == {
        "slo:objective:ratio",
        "slo:error_budget:ratio",
        "slo:time_period:days",
        "slo:current_burn_rate:ratio",
        "slo:period_burn_rate:ratio",
        "slo:period_error_budget_remaining:ratio",
    }


def test_page_and_ticket_alerts_follow_the_workbook() -> None:
    page, ticket = _rules(_slo())["sluicegate-slo/api/availability/alerts"]
    assert page["labels"] == {"team": "core", "sluicegate_severity": "page"}
    assert ticket["labels"]["sluicegate_severity"] == "ticket"

    def conditions(expr: str) -> list[tuple[str, str]]:
        return re.findall(r"ratio_rate(\w+)\{[^}]*\} > \(([\d.]+) \* 0\.001\)", expr)

    assert conditions(page["expr"]) == [("1h", "14.4"), ("5m", "14.4"), ("6h", "6"), ("30m", "6")]
    assert conditions(ticket["expr"]) == [("1d", "3"), ("2h", "3"), ("3d", "1"), ("6h", "1")]
    assert " or\n" not in page["expr"]  # the or joins the two halves on lines of its own
    assert page["expr"].count("\nor\n") == 1
    assert page["expr"].count("\nand\n") == 2


def test_alert_windows_are_recorded_windows() -> None:
    slo = _slo()
    recorded = {
        r["record"] for g in rule_file([slo])["groups"] for r in g["rules"] if "record" in r
    }
    for factors, conds in (
        (slo.alerting.page.factors, PAGE),
        (slo.alerting.ticket.factors, TICKET),
    ):
        for name in re.findall(
            r"slo:sli_error:ratio_rate\w+", burn_expression(slo, factors, conds)
        ):
            assert name in recorded


def test_factors_scale_with_the_window_and_match_the_workbook_at_30_days() -> None:
    assert default_factors(30, PAGE) == (14.4, 6.0)
    assert default_factors(30, TICKET) == (3.0, 1.0)
    assert default_factors(28, PAGE) == (13.44, 5.6)
    page = _rules(_slo(28))["sluicegate-slo/api/availability/alerts"][0]
    assert "(13.44 * 0.001)" in page["expr"]
    assert "(5.6 * 0.001)" in page["expr"]


def test_disabled_alerts_and_sloth_labels() -> None:
    spec = sloth_spec()
    spec["slos"][0]["alerting"]["ticket_alert"]["disable"] = True
    (slo,) = parse_sloth(spec)
    (page,) = _rules(slo)["sluicegate-slo/api/availability/alerts"]
    assert page["alert"] == "ApiAvailability"
    assert page["labels"] == {
        "team": "core",
        "category": "availability",
        "severity": "critical",
        "sluicegate_severity": "page",
    }
    assert page["annotations"]["runbook"] == "https://runbooks.example.com/api"
    assert "14.4x over 1h and 5m" in page["annotations"]["description"]
    off = replace(
        slo, alerting=replace(slo.alerting, page=replace(slo.alerting.page, enabled=False))
    )
    assert len(_rules(off)) == 2


def test_duplicate_slos_are_refused() -> None:
    with pytest.raises(SloSpecError, match="a second SLO"):
        rule_file([_slo(), _slo(28)])
