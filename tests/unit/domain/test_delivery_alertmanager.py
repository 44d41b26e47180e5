"""Alertmanager notifications (webhook payload version 4) read into delivery incidents."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.json_mutations import mutate_some

from sluicegate.domain.delivery.alertmanager import AlertRules, Alerts, Skipped, parse
from sluicegate.domain.delivery.records import Incident, check_incident
from sluicegate.domain.delivery.sources import PayloadError
from sluicegate.domain.errors import InvalidInput

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "alertmanager"
NAMES = ("firing_group.json", "resolved.json", "no_service.json")
RULES = AlertRules()


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def error_of(doc: Any, rules: AlertRules = RULES) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        parse(doc, rules)
    return caught.value


def test_a_firing_group_of_two_alerts_is_two_open_incidents() -> None:
    found = parse(load("firing_group.json"), RULES)
    assert found.status == "firing"
    assert found.receiver == "sluicegate"
    assert found.group_key == '{}:{namespace="shop"}'
    assert found.truncated == 0
    assert found.skipped == ()
    checkout, payments = found.incidents
    assert checkout == Incident(
        source="alertmanager",
        id="1a30ba71cca2921f@20261121T101530.739266Z",
        services=("checkout",),
        severity="page",
        created_at=datetime(2026, 11, 21, 10, 15, 30, 739266, tzinfo=UTC),
        resolved_at=None,
        caused_by_deployment="d-2041",  # the label, when there is no annotation
        change_induced=None,
    )
    # the service from the second label tried (app), the zone converted to UTC, the deployment
    # from the annotation, change_induced from its label
    assert payments.services == ("payments",)
    assert payments.severity == "ticket"
    assert payments.created_at == datetime(2026, 11, 21, 9, 16, 0, 123000, tzinfo=UTC)
    assert payments.resolved_at is None
    assert payments.caused_by_deployment == "d-2042"
    assert payments.change_induced is False


def test_a_resolved_alert_carries_its_end_as_resolved_at() -> None:
    (incident,) = parse(load("resolved.json"), RULES).incidents
    assert incident.id == "1a30ba71cca2921f@20261121T101530.739266Z"
    assert incident.resolved_at == datetime(2026, 11, 21, 10, 47, 0, 500000, tzinfo=UTC)
    # the same alert as it fired, but resolved: the store sees a legal progress
    (fired, _) = parse(load("firing_group.json"), RULES).incidents
    assert fired == Incident(**{**_fields(incident), "resolved_at": None})


def _fields(incident: Incident) -> dict[str, Any]:
    return {name: getattr(incident, name) for name in Incident.__slots__}


def test_an_alert_without_a_service_label_is_skipped_with_the_reason() -> None:
    found = parse(load("no_service.json"), RULES)
    assert found.skipped == (
        Skipped("77e0c3a2b4d5f601", "NodeDiskFull", "no service label (service, app, job)"),
    )
    (search,) = found.incidents
    assert search.services == ("search",)  # from job, the last label tried
    assert search.severity == "unknown"  # no severity label


def test_the_rules_name_the_source_and_the_labels() -> None:
    rules = AlertRules(source="am-eu", service_labels=("job",), severity_label="priority")
    found = parse(load("firing_group.json"), rules)
    assert found.incidents == ()
    assert [s.fingerprint for s in found.skipped] == ["1a30ba71cca2921f", "bc97ff14869b13e3"]
    doc = load("no_service.json")
    doc["alerts"][1]["labels"]["priority"] = "P1"
    (search,) = parse(doc, rules).incidents
    assert (search.source, search.severity) == ("am-eu", "P1")


def test_a_version_other_than_4_is_refused_naming_version() -> None:
    error = error_of(load("bad_version.json"))
    assert isinstance(error, InvalidInput)
    assert [e.field for e in error.errors] == ["version"]
    doc = load("firing_group.json")
    del doc["version"]
    assert error_of(doc).errors[0].field == "version"


def test_a_bad_time_names_its_json_path() -> None:
    error = error_of(load("bad_times.json"))
    assert error.errors[0].field == "alerts.2.startsAt"
    assert "alerts.2.startsAt" in str(error)


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda d: d["alerts"][0].update(startsAt="0001-01-01T00:00:00Z"), "alerts.0.startsAt"),
        (lambda d: d["alerts"][0].update(startsAt=1732183200), "alerts.0.startsAt"),
        (lambda d: d["alerts"][0].update(startsAt="2026-11-21T10:15:30"), "alerts.0.startsAt"),
        (lambda d: d["alerts"][0].update(status="resolved"), "alerts.0.endsAt"),
        (lambda d: d["alerts"][0].update(status="pending"), "alerts.0.status"),
        (lambda d: d["alerts"][0].pop("fingerprint"), "alerts.0.fingerprint"),
        (lambda d: d["alerts"][0].pop("labels"), "alerts.0.labels"),
        (lambda d: d["alerts"][1]["labels"].update(app=7), "alerts.1.labels.app"),
        (lambda d: d["alerts"][1]["labels"].update(app="a\nb"), "alerts.1.labels.app"),
        (lambda d: d["alerts"][0]["labels"].update(severity="x" * 40), "alerts.0.labels.severity"),
        (
            lambda d: d["alerts"][1]["labels"].update(change_induced="maybe"),
            "alerts.1.labels.change_induced",
        ),
        (lambda d: d.update(alerts={}), "alerts"),
        (lambda d: d.update(truncatedAlerts=True), "truncatedAlerts"),
        (lambda d: d.update(commonLabels=[]), "commonLabels"),
    ],
)
def test_every_field_error_names_its_json_path(edit: Any, path: str) -> None:
    doc = load("firing_group.json")
    edit(doc)
    assert error_of(doc).errors[0].field == path


def test_a_resolved_alert_that_ends_before_it_starts_is_refused_at_ends_at() -> None:
    doc = load("resolved.json")
    doc["alerts"][0]["endsAt"] = "2026-11-21T10:00:00Z"
    error = error_of(doc)
    assert error.errors[0].field == "alerts.0.endsAt"


def test_a_firing_alerts_ends_at_is_ignored() -> None:
    doc = load("firing_group.json")
    doc["alerts"][0]["endsAt"] = "2026-11-21T10:19:30Z"  # Alertmanager's own timeout
    assert parse(doc, RULES).incidents[0].resolved_at is None


def test_a_body_that_is_not_an_object_is_refused() -> None:
    assert error_of([]).errors[0].field == "$"


# mutations: any change to a real payload is a success or a PayloadError naming a path

REPLACEMENTS: list[object] = [
    None,
    0,
    -1,
    2**70,
    True,
    "",
    " ",
    "x" * 300,
    "4",
    "resolved",
    "firing",
    "0001-01-01T00:00:00Z",
    "2026-11-21T10:00:00Z",
    "not a time",
    "\x00",
    [],
    {},
    [{}],
    {"service": "checkout"},
]


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc = load(draw(st.sampled_from(NAMES)))
    mutate_some(draw, doc, REPLACEMENTS)
    return doc


def valid(found: Alerts) -> None:
    for incident in found.incidents:
        assert check_incident(incident) == []
        assert incident.source == "alertmanager"
        assert incident.id.strip()
        assert len(incident.severity) <= 32


def translate(doc: Any) -> Alerts | InvalidInput:
    try:
        return parse(doc, RULES)
    except InvalidInput as error:  # the project's own error; anything else fails the test
        return error


@settings(max_examples=400)
@given(mutated())
def test_mutated_payloads_translate_or_raise_the_projects_invalid_input(doc: Any) -> None:
    result = translate(doc)
    if isinstance(result, InvalidInput):
        assert isinstance(result, PayloadError)
        assert result.errors
        assert result.errors[0].field
    else:
        valid(result)
