"""SLOs stored on the server (issue 14 §1) on SQLite and PostgreSQL: versioned revisions, the
``slo.apply`` audit event, refused input storing nothing, permissions, and the rule file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text
from tests.support.app import Harness
from tests.support.binaries import require_binary
from tests.support.slo import EXAMPLES, sloth_spec

SLOS = "/api/v1/slos"
YAML = {"content-type": "application/yaml"}
OPENSLO = EXAMPLES / "checkout-openslo.yaml"
SLOTH = EXAMPLES / "search-sloth.yaml"


def apply(h: Harness, body: str, who: str = "alice", **params: Any) -> Any:
    return h.call(who, "POST", SLOS, content=body, headers=YAML, params=params)


def audit(h: Harness) -> list[dict[str, Any]]:
    resp = h.call("admin", "GET", "/api/v1/audit", params={"limit": 500})
    assert resp.status_code == 200, resp.text
    return [e for e in resp.json()["items"] if e["action"] == "slo.apply"]


def test_both_examples_are_stored_and_reapplying_is_a_no_op(harness: Harness) -> None:
    for path in (OPENSLO, SLOTH):
        resp = apply(harness, path.read_text(), filename=path.name)
        assert resp.status_code == 200, resp.text
        assert resp.json()["dry_run"] is False
        assert all(s["changed"] and s["revision"] == 1 for s in resp.json()["slos"])
    listed = harness.call("erin", "GET", SLOS).json()
    assert [(s["service"], s["name"], s["format"]) for s in listed["slos"]] == [
        ("checkout", "availability", "openslo"),
        ("checkout", "latency", "openslo"),
        ("search", "requests-availability", "sloth"),
        ("search", "requests-latency", "sloth"),
    ]
    assert listed["count"] == 4
    only = harness.call("erin", "GET", SLOS, params={"service": "search"}).json()
    assert {s["name"] for s in only["slos"]} == {"requests-availability", "requests-latency"}
    assert len(audit(harness)) == 4
    counts = harness.counts()
    again = apply(harness, SLOTH.read_text())
    assert again.status_code == 200
    assert [(s["revision"], s["changed"]) for s in again.json()["slos"]] == [(1, False)] * 2
    assert harness.counts() == counts
    shown = harness.call("erin", "GET", f"{SLOS}/search/requests-availability").json()
    assert shown["revision"] == shown["latest_revision"] == 1
    assert shown["source"] == SLOTH.read_text()
    assert shown["filename"] == "search-sloth.yaml"
    assert shown["spec"]["objective"] == 0.999
    assert shown["recorded_by"] == "user:alice"
    assert len(shown["rules"]["groups"]) == 3


def test_a_changed_objective_is_revision_two_with_an_audit_event(harness: Harness) -> None:
    original = SLOTH.read_text()
    assert apply(harness, original).status_code == 200
    changed = original.replace("objective: 99.9\n", "objective: 99.5\n", 1)
    assert changed != original
    resp = apply(harness, changed)
    assert resp.status_code == 200, resp.text
    assert [(s["name"], s["revision"], s["changed"]) for s in resp.json()["slos"]] == [
        ("requests-availability", 2, True),
        ("requests-latency", 1, False),
    ]
    latest = harness.call("erin", "GET", f"{SLOS}/search/requests-availability").json()
    assert (latest["revision"], latest["objective"]) == (2, 0.995)
    first = harness.call(
        "erin", "GET", f"{SLOS}/search/requests-availability", params={"revision": 1}
    ).json()
    assert (first["revision"], first["objective"], first["latest_revision"]) == (1, 0.999, 2)
    missing = harness.call(
        "erin", "GET", f"{SLOS}/search/requests-availability", params={"revision": 3}
    )
    assert missing.status_code == 404
    events = [e for e in audit(harness) if e["entity_id"] == "search/requests-availability"]
    assert len(events) == 2
    newest = max(events, key=lambda e: e["seq"])
    assert newest["entity_type"] == "slo"
    assert newest["before"]["objective"] == 0.999
    assert newest["after"]["objective"] == 0.995
    assert newest["after"]["revision"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            yaml.safe_dump({**sloth_spec(), "service": None}),
            "service",
        ),
        (
            "---\n" + SLOTH.read_text() + "\n---\n" + yaml.safe_dump({"kind": "SLO"}),
            "[1].apiVersion",
        ),
        ("version: [unclosed\n", "document"),
    ],
    ids=["missing-service", "second-document", "not-yaml"],
)
def test_invalid_documents_name_the_field_and_store_nothing(
    harness: Harness, body: str, field: str
) -> None:
    counts = harness.counts()
    resp = apply(harness, body)
    assert resp.status_code == 422, resp.text
    assert resp.json()["code"] == "invalid-slo"
    assert field in {e["field"] for e in resp.json()["errors"]}
    assert harness.counts() == counts


def test_a_json_body_is_read_too(harness: Harness) -> None:
    resp = harness.call(
        "alice",
        "POST",
        SLOS,
        content=json.dumps(sloth_spec()),
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["slos"][0]["changed"] is True
    other = harness.call("alice", "POST", SLOS, content="x", headers={"content-type": "text/plain"})
    assert other.status_code == 415


def test_a_dry_run_stores_nothing(harness: Harness) -> None:
    counts = harness.counts()
    resp = apply(harness, OPENSLO.read_text(), dry_run="true")
    assert resp.status_code == 200, resp.text
    assert resp.json()["dry_run"] is True
    assert all(s["changed"] and s["revision"] == 1 for s in resp.json()["slos"])
    assert harness.counts() == counts
    assert harness.call("erin", "GET", f"{SLOS}/checkout/availability").status_code == 404


def test_a_viewer_reads_but_does_not_write_and_a_token_is_required(harness: Harness) -> None:
    counts = harness.counts()
    refused = apply(harness, SLOTH.read_text(), who="erin")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert harness.counts() == counts
    assert apply(harness, SLOTH.read_text()).status_code == 200
    assert harness.call("erin", "GET", SLOS).status_code == 200
    assert harness.call("erin", "GET", f"{SLOS}/search/requests-latency/rules").status_code == 200
    for method, path in (
        ("GET", SLOS),
        ("POST", SLOS),
        ("GET", f"{SLOS}/search/requests-latency"),
        ("GET", f"{SLOS}/search/requests-latency/rules"),
    ):
        resp = harness.client.request(method, path, content=SLOTH.read_text(), headers=YAML)
        assert resp.status_code == 401, (method, path)


def test_the_rules_endpoint_passes_promtool(harness: Harness, tmp_path: Path) -> None:
    promtool = require_binary("promtool", "/usr/bin/promtool")
    assert apply(harness, OPENSLO.read_text()).status_code == 200
    resp = harness.call("erin", "GET", f"{SLOS}/checkout/latency/rules")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/yaml")
    (tmp_path / "rules.yaml").write_text(resp.text, encoding="utf-8")
    as_json = harness.call(
        "erin", "GET", f"{SLOS}/checkout/latency/rules", params={"format": "json"}
    ).json()
    assert yaml.safe_load(resp.text) == as_json
    assert [g["name"] for g in as_json["groups"]] == [
        "sluicegate-slo/checkout/latency/sli",
        "sluicegate-slo/checkout/latency/meta",
        "sluicegate-slo/checkout/latency/alerts",
    ]
    done = subprocess.run(
        [str(promtool), "check", "rules", "rules.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_table_refuses_update_and_delete(harness: Harness) -> None:
    assert apply(harness, SLOTH.read_text()).status_code == 200
    engine = harness.container.engine
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE slos SET objective = 0.5"))
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM slos"))
    listed = harness.call("erin", "GET", SLOS).json()
    assert {s["objective"] for s in listed["slos"]} == {0.999, 0.99}
