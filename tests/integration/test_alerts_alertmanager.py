"""Alertmanager notifications in over HTTP (issue 14 §3) on SQLite and PostgreSQL: alerts become
delivery incidents by fingerprint and firing episode, re-sends change nothing, resolved alerts
resolve, refused input stores nothing, and the incidents count in the DORA metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.app import Harness

ALERTS = "/api/v1/alerts/alertmanager"
INCIDENTS = "/api/v1/delivery/incidents"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager"
CHECKOUT = "1a30ba71cca2921f@20261121T101530.739266Z"
PAYMENTS = "bc97ff14869b13e3@20261121T091600.123000Z"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def incident(h: Harness, fingerprint: str) -> Any:
    return h.call("erin", "GET", f"{INCIDENTS}/{fingerprint}", params={"source": "alertmanager"})


def test_without_a_token_is_401_and_stores_nothing(harness: Harness) -> None:
    counts = harness.counts()
    resp = harness.client.post(ALERTS, json=load("firing_group.json"))
    assert resp.status_code == 401, resp.text
    assert harness.counts() == counts


def test_a_viewer_is_403_and_stores_nothing(harness: Harness) -> None:
    counts = harness.counts()
    resp = harness.call("erin", "POST", ALERTS, json=load("firing_group.json"))
    assert resp.status_code == 403, resp.text
    assert harness.counts() == counts


def test_firing_alerts_open_incidents_and_a_resend_is_a_no_op(harness: Harness) -> None:
    resp = harness.call("alice", "POST", ALERTS, json=load("firing_group.json"))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["source"] == "alertmanager"
    assert (body["recorded"], body["unchanged"], body["skipped"]) == (2, 0, [])
    got = incident(harness, CHECKOUT)
    assert got.status_code == 200, got.text
    stored = got.json()
    assert stored["source"] == "alertmanager"
    assert stored["id"] == CHECKOUT
    assert stored["services"] == ["checkout"]
    assert stored["severity"] == "page"
    assert stored["resolved_at"] is None
    assert stored["caused_by_deployment"] == "d-2041"
    assert stored["recorded_by"] == "user:alice"
    assert incident(harness, PAYMENTS).json()["change_induced"] is False
    # Alertmanager re-sends the group every repeat_interval
    counts = harness.counts()
    again = harness.call("alice", "POST", ALERTS, json=load("firing_group.json"))
    assert again.status_code == 200, again.text
    assert (again.json()["recorded"], again.json()["unchanged"]) == (0, 2)
    assert harness.counts() == counts
    assert incident(harness, CHECKOUT).json() == stored


def test_a_resolved_alert_resolves_its_incident_and_firing_again_is_a_new_one(
    harness: Harness,
) -> None:
    assert harness.call("alice", "POST", ALERTS, json=load("firing_group.json")).status_code == 200
    resp = harness.call("alice", "POST", ALERTS, json=load("resolved.json"))
    assert resp.status_code == 200, resp.text
    assert (resp.json()["recorded"], resp.json()["unchanged"]) == (1, 0)
    stored = incident(harness, CHECKOUT).json()
    assert stored["revision"] == 2
    assert stored["resolved_at"].startswith("2026-11-21T10:47:00.5")
    counts = harness.counts()
    # a firing notification of the same episode delivered late does not reopen it
    late = load("firing_group.json")
    assert harness.call("alice", "POST", ALERTS, json=late).json()["unchanged"] == 2
    assert harness.counts() == counts
    assert incident(harness, CHECKOUT).json() == stored
    # the alert firing again after it resolved has a new startsAt: a second outage
    late["alerts"][0]["startsAt"] = "2026-11-21T11:30:00Z"
    refired = harness.call("alice", "POST", ALERTS, json=late)
    assert refired.status_code == 200, refired.text
    assert (refired.json()["recorded"], refired.json()["unchanged"]) == (1, 1)
    again = incident(harness, "1a30ba71cca2921f@20261121T113000.000000Z").json()
    assert again["resolved_at"] is None
    assert incident(harness, CHECKOUT).json() == stored


def test_resolved_first_then_firing_stays_resolved(harness: Harness) -> None:
    assert harness.call("alice", "POST", ALERTS, json=load("resolved.json")).status_code == 200
    stored = incident(harness, CHECKOUT).json()
    assert stored["resolved_at"] is not None
    resp = harness.call("alice", "POST", ALERTS, json=load("firing_group.json"))
    assert resp.status_code == 200, resp.text
    assert (resp.json()["recorded"], resp.json()["unchanged"]) == (1, 1)  # payments is new
    assert incident(harness, CHECKOUT).json() == stored


def test_an_alert_without_a_service_label_is_skipped_and_named(harness: Harness) -> None:
    resp = harness.call("alice", "POST", ALERTS, json=load("no_service.json"))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["recorded"] == 1
    assert body["skipped"] == [
        {
            "fingerprint": "77e0c3a2b4d5f601",
            "alertname": "NodeDiskFull",
            "reason": "no service label (service, app, job)",
        }
    ]
    assert incident(harness, "77e0c3a2b4d5f601").status_code == 404


def test_refused_notifications_name_the_field_and_store_nothing(harness: Harness) -> None:
    counts = harness.counts()
    bad = harness.call("alice", "POST", ALERTS, json=load("bad_times.json"))
    assert bad.status_code == 422, bad.text
    assert [e["field"] for e in bad.json()["errors"]] == ["alerts.2.startsAt"]
    version = harness.call("alice", "POST", ALERTS, json=load("bad_version.json"))
    assert version.status_code == 422, version.text
    assert [e["field"] for e in version.json()["errors"]] == ["version"]
    typed = load("firing_group.json")
    typed["alerts"][1]["labels"]["app"] = 7
    wrong = harness.call("alice", "POST", ALERTS, json=typed)
    assert wrong.status_code == 422, wrong.text
    assert "alerts.1.labels.app" in {e["field"] for e in wrong.json()["errors"]}
    assert harness.counts() == counts  # the valid alerts beside the bad one are not stored


def test_the_incident_is_listed_and_counts_in_the_change_fail_rate(harness: Harness) -> None:
    deployment = {
        "id": "d-2041",
        "source": "ci",
        "service": "checkout",
        "environment": "production",
        "status": "success",
        "started_at": "2026-11-21T09:20:00Z",
        "finished_at": "2026-11-21T09:30:00Z",
        "revisions": [{"repo": "shop/checkout", "sha": "9f1c2e7d"}],
    }
    assert (
        harness.call("alice", "POST", "/api/v1/delivery/deployments", json=deployment).status_code
        == 201
    )
    params = {"from": "2026-11-20T00:00:00Z", "to": "2026-11-22T00:00:00Z", "service": "checkout"}
    before = harness.call("erin", "GET", "/api/v1/delivery/metrics", params=params).json()
    assert before["change_fail_rate"]["numerator"] == 0
    assert harness.call("alice", "POST", ALERTS, json=load("firing_group.json")).status_code == 200
    listed = harness.call("erin", "GET", INCIDENTS, params={"source": "alertmanager"})
    assert listed.status_code == 200, listed.text
    assert {i["id"] for i in listed.json()["incidents"]} == {CHECKOUT, PAYMENTS}
    resp = harness.call("erin", "GET", "/api/v1/delivery/metrics", params=params)
    assert resp.status_code == 200, resp.text
    assert resp.json()["change_fail_rate"] == {"numerator": 1, "denominator": 1, "value": 1.0}
