"""Sloth ``prometheus/v1`` specs read into the SLO model: the exact model, and every refusal
named by its field path."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from tests.support.slo import ERRORS, EXAMPLES, TOTAL, openslo_slo, sloth_spec

from sluicegate.domain.slo import (
    Alerting,
    AlertSpec,
    Query,
    RatioSli,
    RawSli,
    Slo,
    SloSpecError,
    parse_documents,
    parse_sloth,
)


def _errors(document: Any) -> dict[str, str]:
    with pytest.raises(SloSpecError) as caught:
        parse_sloth(document)
    return {e.field: e.reason for e in caught.value.errors}


def test_a_valid_spec_gives_the_exact_model() -> None:
    (slo,) = parse_sloth(sloth_spec())
    assert slo == Slo(
        service="api",
        name="availability",
        objective=0.999,
        sli=RatioSli("bad", Query(ERRORS), Query(TOTAL)),
        alerting=Alerting(
            page=AlertSpec("ApiAvailability", (14.4, 6.0), True, {"severity": "critical"}),
            ticket=AlertSpec("ApiAvailability", (3.0, 1.0), True, {"severity": "warning"}),
            labels={"category": "availability"},
            annotations={"runbook": "https://runbooks.example.com/api"},
        ),
        window_days=30,
        labels={"team": "core"},
        description="no 5xx",
    )


def test_the_example_file() -> None:
    docs = list(yaml.safe_load_all((EXAMPLES / "search-sloth.yaml").read_text()))
    availability, latency = parse_documents(docs)
    assert availability.service == latency.service == "search"
    assert isinstance(latency.sli, RawSli)
    assert latency.sli.ratio == "error"
    assert not latency.alerting.ticket.enabled
    assert latency.alerting.page.labels == {"severity": "critical"}


def test_slo_labels_merge_over_the_service_labels() -> None:
    spec = sloth_spec()
    spec["slos"][0]["labels"] = {"team": "edge", "tier": "1"}
    (slo,) = parse_sloth(spec)
    assert slo.labels == {"team": "edge", "tier": "1"}


def test_alerts_off_need_no_name() -> None:
    spec = sloth_spec()
    spec["slos"][0]["alerting"] = {
        "page_alert": {"disable": True},
        "ticket_alert": {"disable": True},
    }
    (slo,) = parse_sloth(spec)
    assert not slo.alerting.page.enabled
    assert not slo.alerting.ticket.enabled


SLO = "slos[0]"


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    [
        (("version",), "prometheus/v2", "version", "expected 'prometheus/v1'"),
        (("service",), None, "service", "required"),
        (("service",), ["a"], "service", "expected a string, not a list"),
        (("labels",), {"bad-name": "x"}, "labels.bad-name", "not a Prometheus label name"),
        (("labels",), {"team": 3}, "labels.team", "expected a string, not a number"),
        (("slos",), [], "slos", "at least one SLO"),
        (("slos",), {"a": 1}, "slos", "expected a list, not a mapping"),
        (("slos", 0, "objetive"), 99, f"{SLO}.objetive", "unknown field"),
        (("slos", 0, "objective"), 100, f"{SLO}.objective", "between 0 and 100"),
        (("slos", 0, "objective"), "99.9", f"{SLO}.objective", "expected a number"),
        (("slos", 0, "objective"), 10**400, f"{SLO}.objective", "finite"),
        (("slos", 0, "objective"), 90, f"{SLO}.alerting.page_alert", "can never be reached"),
        (("slos", 0, "name"), "", f"{SLO}.name", "must not be empty"),
        (("slos", 0, "sli"), {}, f"{SLO}.sli", "give exactly one of events and raw"),
        (("slos", 0, "sli"), {"plugin": {"id": "x"}}, f"{SLO}.sli.plugin", "not supported"),
        (
            ("slos", 0, "sli", "events", "error_query"),
            "sum(rate(x[5m]))",
            f"{SLO}.sli.events.error_query",
            "needs {{.window}}",
        ),
        (
            ("slos", 0, "sli", "events", "total_query"),
            None,
            f"{SLO}.sli.events.total_query",
            "required",
        ),
        (
            ("slos", 0, "sli"),
            {"raw": {"error_ratio_query": "x"}},
            f"{SLO}.sli.raw.error_ratio_query",
            "needs {{.window}}",
        ),
        (("slos", 0, "alerting", "name"), None, f"{SLO}.alerting.name", "required"),
        (("slos", 0, "alerting", "name"), "a b", f"{SLO}.alerting.name", "not an alert name"),
        (
            ("slos", 0, "alerting", "page_alert", "disable"),
            "yes",
            f"{SLO}.alerting.page_alert.disable",
            "expected true or false",
        ),
        (
            ("slos", 0, "alerting", "ticket_alert", "annotations"),
            {"a": 1},
            f"{SLO}.alerting.ticket_alert.annotations.a",
            "expected a string",
        ),
        (("slos", 0, "alerting"), None, f"{SLO}.alerting", "required"),
    ],
)
def test_each_error_names_its_field(
    path: tuple[str | int, ...], value: Any, field: str, reason: str
) -> None:
    spec: Any = sloth_spec()
    node = spec
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    errors = _errors(spec)
    assert field in errors, errors
    assert reason in errors[field]


def test_every_error_at_once_and_duplicate_names() -> None:
    spec = sloth_spec()
    spec["slos"].append(sloth_spec()["slos"][0])
    del spec["service"]
    spec["slos"][0]["sli"]["events"]["error_query"] = 5
    errors = _errors(spec)
    assert errors == {
        "service": "required",
        "slos[0].sli.events.error_query": "expected a string, not a number",
    }
    spec = sloth_spec()
    spec["slos"].append(sloth_spec()["slos"][0])
    assert _errors(spec) == {"slos[1].name": "a second SLO named 'availability'"}


def test_formats_mix_in_one_input() -> None:
    web = openslo_slo()
    web["spec"]["service"] = "web"
    slos = parse_documents([sloth_spec(), web])
    assert [s.window_days for s in slos] == [30, 28]
    with pytest.raises(SloSpecError) as caught:
        parse_documents([sloth_spec(), {"apiVersion": "v1", "kind": "ConfigMap"}, 3])
    assert {e.field for e in caught.value.errors} == {"[1].apiVersion", "[2]"}
    other = openslo_slo()
    other["spec"]["service"] = "api"
    with pytest.raises(SloSpecError, match="has 2 SLOs named 'availability'"):
        parse_documents([sloth_spec(), other])
