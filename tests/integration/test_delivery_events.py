"""Delivery events in (issue 13 §1) on SQLite and PostgreSQL: idempotency by (source, id),
legal progress as new revisions, conflicts naming the id, and refused input storing nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from tests.support.app import Harness

DEPLOYMENTS = "/api/v1/delivery/deployments"
INCIDENTS = "/api/v1/delivery/incidents"


def deployment(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "d-1",
        "source": "ci",
        "service": "checkout",
        "environment": "production",
        "status": "success",
        "started_at": "2026-11-21T10:00:00Z",
        "finished_at": "2026-11-21T10:05:00Z",
        "revisions": [{"repo": "shop/checkout", "sha": "a1b2c3d4e5f6"}],
    }
    return {**body, **over}


def incident(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "inc-1",
        "source": "pager",
        "services": ["checkout"],
        "severity": "sev2",
        "created_at": "2026-11-21T11:00:00Z",
    }
    return {**body, **over}


def fields(resp: Any) -> set[str]:
    return {e["field"] for e in resp.json().get("errors", [])}


def audit_actions(h: Harness) -> list[str]:
    resp = h.call("admin", "GET", "/api/v1/audit", params={"limit": 500})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    events = body["items"]
    return [e["action"] for e in events]


def test_a_deployment_is_recorded_once_and_redelivery_is_a_no_op(harness: Harness) -> None:
    first = harness.call("alice", "POST", DEPLOYMENTS, json=deployment())
    assert first.status_code == 201, first.text
    assert first.json()["revision"] == 1
    assert first.json()["kind"] == "normal"
    assert first.json()["recorded_by"] == "user:alice"
    counts = harness.counts()
    again = harness.call("alice", "POST", DEPLOYMENTS, json=deployment())
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert harness.counts() == counts  # no row, no audit event
    got = harness.call("erin", "GET", f"{DEPLOYMENTS}/d-1", params={"source": "ci"})
    assert got.status_code == 200
    assert got.json() == first.json()
    assert audit_actions(harness).count("deployment.record") == 1


def test_a_different_body_under_the_same_id_is_a_conflict(harness: Harness) -> None:
    assert harness.call("alice", "POST", DEPLOYMENTS, json=deployment()).status_code == 201
    counts = harness.counts()
    resp = harness.call("alice", "POST", DEPLOYMENTS, json=deployment(service="search"))
    assert resp.status_code == 409, resp.text
    assert "'d-1'" in resp.json()["detail"]
    assert harness.counts() == counts
    # the same id from another source is another deployment
    other = harness.call("alice", "POST", DEPLOYMENTS, json=deployment(source="gh"))
    assert other.status_code == 201


def test_an_in_progress_deployment_finishes_as_a_new_revision(harness: Harness) -> None:
    start = deployment(status="in_progress", finished_at=None)
    assert harness.call("alice", "POST", DEPLOYMENTS, json=start).status_code == 201
    done = harness.call("alice", "POST", DEPLOYMENTS, json=deployment(status="failure"))
    assert done.status_code == 201, done.text
    assert done.json()["revision"] == 2
    assert done.json()["status"] == "failure"
    # the older report, redelivered late, changes nothing
    late = harness.call("alice", "POST", DEPLOYMENTS, json=start)
    assert late.status_code == 200
    assert late.json()["status"] == "failure"
    # a finished deployment does not change its outcome
    flip = harness.call("alice", "POST", DEPLOYMENTS, json=deployment(status="success"))
    assert flip.status_code == 409
    listed = harness.call("erin", "GET", DEPLOYMENTS, params={"service": "checkout"}).json()
    assert [(d["id"], d["revision"]) for d in listed["deployments"]] == [("d-1", 2)]
    # the rows are append-only in the database itself
    engine = harness.container.engine
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE delivery_deployments SET status = 'success'"))


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"finished_at": "2026-11-21T09:59:59Z"}, "finished_at"),
        ({"status": "exploded"}, "status"),
        ({"kind": "yolo"}, "kind"),
        ({"kind": "rollback"}, "rollback_of"),
        ({"revisions": []}, "revisions"),
        ({"revisions": [{"repo": "r", "sha": "not-a-sha"}]}, "revisions.0.sha"),
        ({"started_at": "2026-11-21T10:00:00"}, "started_at"),
        ({"finished_at": None}, "finished_at"),
        ({"service": "x" * 201}, "service"),
        ({"planned": "maybe"}, "planned"),
        ({"planned": 0}, "planned"),  # JSON Schema's boolean is true or false only
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_deployments_are_refused_naming_the_field_and_store_nothing(
    harness: Harness, over: dict[str, Any], field: str
) -> None:
    counts = harness.counts()
    resp = harness.call("alice", "POST", DEPLOYMENTS, json=deployment(**over))
    assert resp.status_code == 422, resp.text
    assert field in fields(resp), resp.json()
    assert harness.counts() == counts


def test_roles_and_not_found(harness: Harness) -> None:
    assert harness.call("erin", "POST", DEPLOYMENTS, json=deployment()).status_code == 403
    assert harness.call("erin", "POST", INCIDENTS, json=incident()).status_code == 403
    assert harness.client.get(DEPLOYMENTS).status_code == 401
    assert harness.call("erin", "GET", f"{DEPLOYMENTS}/nope").status_code == 404
    assert harness.call("erin", "GET", f"{INCIDENTS}/nope").status_code == 404
    resp = harness.call(
        "alice", "POST", f"{INCIDENTS}/nope/updates", json={"resolved_at": "2026-11-21T12:00:00Z"}
    )
    assert resp.status_code == 404


def test_an_incident_opens_acknowledges_and_resolves_as_revisions(harness: Harness) -> None:
    opened = harness.call("alice", "POST", INCIDENTS, json=incident(caused_by_deployment="d-1"))
    assert opened.status_code == 201, opened.text
    assert opened.json()["resolved_at"] is None
    ack = {"source": "pager", "acknowledged_at": "2026-11-21T11:10:00Z"}
    acked = harness.call("alice", "POST", f"{INCIDENTS}/inc-1/updates", json=ack)
    assert acked.status_code == 201, acked.text
    assert acked.json()["revision"] == 2
    counts = harness.counts()
    assert harness.call("alice", "POST", f"{INCIDENTS}/inc-1/updates", json=ack).status_code == 200
    # the opening report redelivered after the acknowledgement changes nothing
    replay = harness.call("alice", "POST", INCIDENTS, json=incident(caused_by_deployment="d-1"))
    assert replay.status_code == 200
    assert replay.json()["acknowledged_at"] == "2026-11-21T11:10:00+00:00"
    assert harness.counts() == counts
    early = {"source": "pager", "resolved_at": "2026-11-21T11:05:00Z"}
    resp = harness.call("alice", "POST", f"{INCIDENTS}/inc-1/updates", json=early)
    assert resp.status_code == 422
    assert fields(resp) == {"resolved_at"}
    assert harness.counts() == counts
    done = {"source": "pager", "resolved_at": "2026-11-21T12:00:00Z"}
    resolved = harness.call("alice", "POST", f"{INCIDENTS}/inc-1/updates", json=done)
    assert resolved.status_code == 201
    assert resolved.json()["revision"] == 3
    moved = {"source": "pager", "resolved_at": "2026-11-21T13:00:00Z"}
    conflict = harness.call("alice", "POST", f"{INCIDENTS}/inc-1/updates", json=moved)
    assert conflict.status_code == 409
    assert "'inc-1'" in conflict.json()["detail"]
    changed = harness.call("alice", "POST", INCIDENTS, json=incident(severity="sev1"))
    assert changed.status_code == 409
    listed = harness.call("erin", "GET", INCIDENTS, params={"service": "checkout"}).json()
    assert [(i["id"], i["revision"]) for i in listed["incidents"]] == [("inc-1", 3)]
    assert harness.call("erin", "GET", INCIDENTS, params={"service": "search"}).json()["count"] == 0
    assert audit_actions(harness).count("delivery-incident.record") == 3


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"acknowledged_at": "2026-11-21T10:59:00Z"}, "acknowledged_at"),
        (
            {"acknowledged_at": "2026-11-21T11:30:00Z", "resolved_at": "2026-11-21T11:20:00Z"},
            "resolved_at",
        ),
        ({"resolved_at": "2026-11-21T10:00:00Z"}, "resolved_at"),
        ({"services": []}, "services"),
        ({"services": ["a", "a"]}, "services"),
        ({"root_cause_sha": "zzz"}, "root_cause_sha"),
        ({"severity": ""}, "severity"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"change_induced": 0}, "change_induced"),
        ({"created_at": 0}, "created_at"),  # a number is not an RFC 3339 date-time
    ],
)
def test_bad_incidents_are_refused_naming_the_field_and_store_nothing(
    harness: Harness, over: dict[str, Any], field: str
) -> None:
    counts = harness.counts()
    resp = harness.call("alice", "POST", INCIDENTS, json=incident(**over))
    assert resp.status_code == 422, resp.text
    assert field in fields(resp), resp.json()
    assert harness.counts() == counts


CHANGES = "/api/v1/delivery/changes"


def pull(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "shop/checkout#12",
        "source": "github",
        "kind": "pull_request",
        "repo": "shop/checkout",
        "authored_at": "2026-11-20T09:00:00Z",
        "commits": [{"sha": "b1" * 20, "authored_at": "2026-11-20T08:00:00Z"}],
        "labels": ["feature"],
        "title": "Faster checkout",
    }
    return {**body, **over}


MERGED = {
    "merged_at": "2026-11-20T15:00:00Z",
    "sha": "c3" * 20,
    "merge_method": "squash",
}


def test_a_pull_request_grows_by_revisions_and_redelivery_is_a_no_op(harness: Harness) -> None:
    first = harness.call("alice", "POST", CHANGES, json=pull())
    assert first.status_code == 201, first.text
    assert first.json()["revision"] == 1
    assert harness.call("alice", "POST", CHANGES, json=pull()).status_code == 200
    review = {"reviewer": "rita", "state": "approved", "submitted_at": "2026-11-20T11:00:00Z"}
    # the review arrives in its own event, without the commits or labels: a union, not a loss
    reviewed = harness.call(
        "alice", "POST", CHANGES, json=pull(commits=[], labels=[], reviews=[review])
    )
    assert reviewed.status_code == 201, reviewed.text
    merged = harness.call("alice", "POST", CHANGES, json=pull(**MERGED))
    assert merged.status_code == 201, merged.text
    body = merged.json()
    assert body["revision"] == 3
    assert body["reviews"] == [{**review, "submitted_at": "2026-11-20T11:00:00+00:00"}]
    assert body["labels"] == ["feature"]
    assert body["commits"][0]["sha"] == "b1" * 20
    assert body["merge_method"] == "squash"
    got = harness.call("erin", "GET", f"{CHANGES}/shop/checkout%2312", params={"source": "github"})
    assert got.status_code == 200, got.text
    assert got.json() == body
    listed = harness.call("erin", "GET", CHANGES, params={"repo": "shop/checkout"})
    assert [c["id"] for c in listed.json()["changes"]] == ["shop/checkout#12"]
    assert "change.record" in audit_actions(harness)
    engine = harness.container.engine
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM delivery_changes"))


def test_a_change_that_contradicts_the_stored_one_is_a_conflict(harness: Harness) -> None:
    assert harness.call("alice", "POST", CHANGES, json=pull(**MERGED)).status_code == 201
    counts = harness.counts()
    other_sha = {**MERGED, "sha": "d4" * 20}
    later = pull(authored_at="2026-11-20T09:30:00Z")
    for body in (pull(**other_sha), pull(repo="shop/other"), later):
        resp = harness.call("alice", "POST", CHANGES, json=body)
        assert resp.status_code == 409, resp.text
        assert "shop/checkout#12" in resp.json()["detail"]
    assert harness.counts() == counts


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"kind": "patch"}, "kind"),
        ({"merged_at": "2026-11-19T00:00:00Z", "sha": "c3" * 20}, "merged_at"),
        ({"merged_at": "2026-11-21T00:00:00Z"}, "sha"),
        ({"authored_at": "2026-11-20T09:00:00"}, "authored_at"),
        ({"commits": [{"sha": "zz", "authored_at": "2026-11-20T08:00:00Z"}]}, "commits.0.sha"),
        ({"labels": ["a", "a"]}, "labels"),
        ({"merge_method": "octopus"}, "merge_method"),
        (
            {
                "reviews": [
                    {"reviewer": "r", "state": "lgtm", "submitted_at": "2026-11-20T10:00:00Z"}
                ]
            },
            "reviews.0.state",
        ),
        ({"kind": "commit"}, "sha"),
        ({"reverts": "shop/checkout#12"}, "reverts"),
        ({"title": "x" * 501}, "title"),
    ],
)
def test_bad_changes_are_refused_naming_the_field_and_store_nothing(
    harness: Harness, over: dict[str, Any], field: str
) -> None:
    counts = harness.counts()
    resp = harness.call("alice", "POST", CHANGES, json=pull(**over))
    assert resp.status_code == 422, resp.text
    assert field in fields(resp), resp.json()
    assert harness.counts() == counts


def test_changes_need_the_delivery_roles(harness: Harness) -> None:
    assert harness.call("erin", "POST", CHANGES, json=pull()).status_code == 403
    assert harness.client.get(CHANGES).status_code == 401
    assert harness.call("erin", "GET", f"{CHANGES}/nope").status_code == 404
