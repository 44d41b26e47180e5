"""Processes, gate checks, evidence, overrides and decision records over the real API.

Runs on SQLite and PostgreSQL, with the real Rego engine on the example policy bundle.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET  # parses XML this test's server rendered

import pytest
from tests.support.app import EXAMPLE_PROPOSAL, Harness

from sluicegate.service import audit as audit_svc

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_POLICIES = ROOT / "examples" / "policies"
COVERAGE = (ROOT / "tests" / "fixtures" / "evidence" / "coverage_py.xml").read_bytes()
KEY = "checkout-redesign"
EXP = f"/api/v1/experiments/{KEY}"

JUNIT_GREEN = (
    b'<testsuite name="unit" tests="2"><testcase name="a"/><testcase name="b"/></testsuite>'
)
JUNIT_RED = (
    b'<testsuite name="unit" tests="2"><testcase name="a"/>'
    b'<testcase name="b"><failure message="boom"/></testcase></testsuite>'
)

PROCESS = """\
apiVersion: sluicegate.dev/v1
kind: Process
metadata:
  name: default
entry: sandbox
stages:
  - name: sandbox
  - name: staging
    needs: [sandbox]
    gates:
      - id: tests
        type: evidence
        enforcement: hard-mandatory
        config:
          require: [junit]
          risk_evidence: false
          thresholds:
            junit.failures: {max: 0}
      - id: sign-off
        type: approval
        enforcement: hard-mandatory
        config:
          rules:
            - {domain: security, min: 1}
          risk_signoffs: false
      - id: policies
        type: policy
        enforcement: soft-mandatory
  - name: canary
    needs: [staging]
"""


def apply(h: Harness, text: str = PROCESS, name: str = "default", who: str = "admin") -> Any:
    body = {"source": text, "filename": "process.yaml"}
    return h.call(who, "PUT", f"/api/v1/processes/{name}", json=body)


def propose_and_reach_sandbox(h: Harness) -> None:
    r = h.call(
        "alice",
        "POST",
        "/api/v1/experiments",
        content=EXAMPLE_PROPOSAL.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    for domain in ("product", "operations"):
        assert (
            h.call("carol", "POST", f"{EXP}/approvals", json={"domain": domain}).status_code == 201
        )
    for state in ("approved", "sandbox"):
        r = h.call("alice", "POST", f"{EXP}/transitions", json={"to": state})
        assert r.status_code == 200, r.text


def evidence(h: Harness, kind: str, data: bytes, filename: str = "report.xml") -> Any:
    h.clock.advance(seconds=1)  # the latest upload of a kind counts
    return h.call(
        "alice",
        "POST",
        f"{EXP}/evidence",
        params={"kind": kind, "filename": filename},
        content=data,
        headers={"content-type": "application/octet-stream"},
    )


def check(h: Harness, who: str = "alice", stage: str = "staging", **body: Any) -> dict[str, Any]:
    r = h.call(who, "POST", f"{EXP}/gates/{stage}/check", json=body or None)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def gate(decision: dict[str, Any], gate_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in decision["checks"] if c["gate"] == gate_id)
    return found


@pytest.fixture
def policies(harness: Harness, tmp_path: Path) -> Path:
    """A copy of the example bundle wired as the server's SLUICE_POLICY_DIR."""
    bundle = tmp_path / "policies"
    shutil.copytree(EXAMPLE_POLICIES, bundle)
    harness.container.gates.policy_dir = bundle
    return bundle


def test_apply_versions_by_content_hash_show_and_diff(harness: Harness) -> None:
    h = harness
    r = apply(h)
    assert r.status_code == 201, r.text
    assert (r.json()["version"], r.json()["created"]) == (1, True)
    before = h.counts()
    again = apply(h)
    assert again.status_code == 200
    assert (again.json()["version"], again.json()["created"]) == (1, False)
    assert h.counts() == before  # unchanged content: nothing written, not even an audit event
    changed = PROCESS.replace("enforcement: soft-mandatory", "enforcement: advisory")
    r2 = apply(h, changed)
    assert r2.status_code == 201
    assert r2.json()["version"] == 2
    assert r2.json()["content_hash"] != r.json()["content_hash"]
    v1 = h.call("erin", "GET", "/api/v1/processes/default", params={"version": 1}).json()
    assert v1["source"] == PROCESS
    assert h.call("erin", "GET", "/api/v1/processes/default").json()["version"] == 2
    d = h.call("erin", "GET", "/api/v1/processes/default/diff", params={"from": 1, "to": 2})
    assert d.json()["lines"][2:] == [
        '~ stages.staging.gates.policies.enforcement: "soft-mandatory" -> "advisory"'
    ]
    assert (
        h.call("alice", "PUT", "/api/v1/processes/default", json={"source": PROCESS}).status_code
        == 403
    )
    missing = h.call("erin", "GET", "/api/v1/processes/nope")
    assert missing.status_code == 404


def test_invalid_process_yaml_and_unknown_check_types_name_line_and_column(
    harness: Harness,
) -> None:
    h = harness
    before = h.counts()
    bad_yaml = apply(h, PROCESS.replace("  - name: canary\n", "  - name: [canary\n"))
    assert bad_yaml.status_code == 422
    assert bad_yaml.json()["code"] == "invalid-process"
    assert "YAML syntax error" in bad_yaml.json()["detail"]
    assert "process.yaml:" in bad_yaml.json()["errors"][0]["reason"]

    unknown = apply(h, PROCESS.replace("type: approval", "type: telepathy"))
    assert unknown.status_code == 422
    error = unknown.json()["errors"][0]
    assert error["field"] == "stages[1].gates[1].type"
    line = PROCESS.splitlines().index("        type: approval") + 1
    assert error["reason"].startswith(f"process.yaml:{line}:15: ")
    assert "unknown check type 'telepathy'" in error["reason"]

    bad_config = apply(h, PROCESS.replace("min: 1}", "min: 0}"))
    assert bad_config.status_code == 422
    assert "must be an integer >= 1" in bad_config.json()["errors"][0]["reason"]

    validated = h.call(
        "erin",
        "POST",
        "/api/v1/processes/validate",
        json={"source": PROCESS.replace("approval", "x")},
    )
    assert validated.status_code == 422
    assert h.counts() == before


def test_rego_that_does_not_compile_is_refused_precisely_and_nothing_applied(
    harness: Harness, tmp_path: Path
) -> None:
    h = harness
    bundle = tmp_path / "broken"
    bundle.mkdir()
    (bundle / "bad.rego").write_text(
        "package sluicegate.bad\n\nimport rego.v1\n\ndeny contains msg if {\n  msg = = 1\n}\n"
    )
    h.container.gates.policy_dir = bundle
    before = h.counts()
    r = apply(h)
    assert r.status_code == 422, r.text
    body = r.json()
    assert "does not compile" in body["detail"]
    assert body["errors"][0]["field"] == "policy:bad.rego"
    assert body["errors"][0]["reason"].startswith("bad.rego:6:")
    assert h.counts() == before


def test_gate_check_pending_denied_pass_and_governed_promotion(
    harness: Harness, policies: Path
) -> None:
    h = harness
    del policies
    propose_and_reach_sandbox(h)  # nothing applied yet: transitions are not governed
    assert apply(h).status_code == 201
    # Now the promotion into staging is governed and refused, with the stored decision's id.
    refused = h.call("alice", "POST", f"{EXP}/transitions", json={"to": "staging"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "gate-blocked"
    decision_id = refused.json()["detail"].rsplit("decision ", 1)[1]
    stored = h.call("erin", "GET", f"/api/v1/decisions/{decision_id}").json()
    assert stored["outcome"] == "denied"  # coverage policy denies; tests and sign-off pending
    assert gate(stored, "policies")["reasons"] == [
        "sluicegate.coverage: coverage evidence is required for staging"
    ]

    assert evidence(h, "coverage", COVERAGE, "coverage.xml").status_code == 201
    pending = check(h)
    assert pending["outcome"] == "pending"
    assert gate(pending, "policies")["status"] == "pass"
    assert gate(pending, "tests")["reasons"] == [
        "missing evidence: junit",
        "missing evidence for threshold junit.failures (junit)",
    ]
    assert gate(pending, "sign-off")["status"] == "pending"
    assert pending["policy_revision"] == stored["policy_revision"] != "unavailable"

    assert evidence(h, "junit", JUNIT_RED).status_code == 201
    denied = check(h)
    assert denied["outcome"] == "denied"
    assert gate(denied, "tests")["reasons"] == ["junit.failures is 1, expected <= 0"]

    assert evidence(h, "junit", JUNIT_GREEN).status_code == 201  # the latest artifact counts
    r = h.call("bob", "POST", f"{EXP}/approvals", json={"stage": "staging", "domain": "security"})
    assert r.status_code == 201, r.text
    passed = check(h, ci_run_id="gh-42")
    assert passed["outcome"] == "pass", passed
    assert passed["requested_by"] == {"id": "alice", "kind": "ci", "run_id": "gh-42"}

    moved = h.call("alice", "POST", f"{EXP}/transitions", json={"to": "staging"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["state"] == "staging"
    # canary has no gates in this process: an ungoverned step.
    assert h.call("alice", "POST", f"{EXP}/transitions", json={"to": "canary"}).status_code == 200
    events = h.call("bob", "GET", "/api/v1/audit", params={"entity_type": "gate-decision"}).json()
    assert len(events["items"]) == 5  # refused promotion, 3 checks, passing promotion
    assert audit_svc.verify(h.container.deps, h.container.verifier()).ok


def test_separation_of_duties_and_rejections_in_stage_approvals(
    harness: Harness, policies: Path
) -> None:
    h = harness
    del policies
    propose_and_reach_sandbox(h)
    assert apply(h, PROCESS.replace("domain: security", "domain: operations")).status_code == 201
    assert evidence(h, "coverage", COVERAGE).status_code == 201
    assert evidence(h, "junit", JUNIT_GREEN).status_code == 201
    before = h.counts()
    own = h.call("alice", "POST", f"{EXP}/approvals", json={"stage": "staging"})
    assert own.status_code == 403  # a contributor cannot approve at all
    assert (
        h.call(
            "dave", "POST", f"{EXP}/approvals", json={"stage": "staging", "domain": "security"}
        ).json()["code"]
        == "forbidden"
    )
    assert h.counts() == before

    r = h.call(
        "carol", "POST", f"{EXP}/approvals", json={"stage": "staging", "domain": "operations"}
    )
    assert r.status_code == 201, r.text
    again = h.call(
        "carol", "POST", f"{EXP}/approvals", json={"stage": "staging", "domain": "operations"}
    )
    assert again.status_code == 409
    # carol approved; when she also requests the promotion her approval does not count.
    as_requester = check(h, who="carol")
    sign_off = gate(as_requester, "sign-off")
    assert sign_off["status"] == "pending"
    assert any("separation of duties" in reason for reason in sign_off["reasons"])
    assert gate(check(h, who="alice"), "sign-off")["status"] == "pass"

    r = h.call(
        "bob",
        "POST",
        f"{EXP}/approvals",
        json={"stage": "staging", "decision": "reject", "comment": "not on my watch"},
    )
    assert r.status_code == 201, r.text
    rejected = check(h)
    assert rejected["outcome"] == "denied"
    assert gate(rejected, "sign-off")["reasons"][0] == "rejected by bob (reviewer): not on my watch"
    shown = h.call("erin", "GET", EXP).json()
    assert {a["stage"] for a in shown["approvals"]} == {None, "staging"}
    assert shown["missing_signoffs"] == []  # stage reviews do not change the intake sign-offs


def test_malformed_evidence_is_refused_with_the_parsers_reason_and_nothing_stored(
    harness: Harness,
) -> None:
    h = harness
    propose_and_reach_sandbox(h)
    before = h.counts()
    html = b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"
    r = evidence(h, "junit", html, "report.html")
    assert r.status_code == 422
    assert r.json()["code"] == "invalid-evidence"
    assert r.json()["errors"][0]["reason"] == "artifact is HTML, not XML (file 'report.html')"
    truncated = evidence(h, "junit", JUNIT_GREEN[:40])
    assert truncated.status_code == 422
    assert "malformed XML" in truncated.json()["detail"]
    unknown = evidence(h, "telepathy", b"{}")
    assert unknown.status_code == 422
    assert "unknown evidence kind" in unknown.json()["detail"]
    assert h.counts() == before

    ok = evidence(h, "junit", JUNIT_GREEN)
    assert ok.status_code == 201
    assert ok.json()["facts"]["tests"] == 2
    listed = h.call("erin", "GET", f"{EXP}/evidence").json()
    assert [e["kind"] for e in listed["items"]] == ["junit"]
    assert listed["facts"]["junit"]["passed"] == 2
    assert "report" not in json.dumps(listed["facts"])  # facts only, never the artifact


def test_override_lifecycle_and_bad_overrides(harness: Harness) -> None:
    h = harness
    propose_and_reach_sandbox(h)
    assert apply(h).status_code == 201
    assert evidence(h, "junit", JUNIT_GREEN).status_code == 201
    assert h.call("bob", "POST", f"{EXP}/approvals", json={"stage": "staging"}).status_code == 201
    no_bundle = check(h)
    assert no_bundle["outcome"] == "denied"  # no SLUICE_POLICY_DIR: the policy gate fails closed
    assert gate(no_bundle, "policies")["reasons"] == [
        "check error: PolicyUnavailable: no policy bundle configured (set SLUICE_POLICY_DIR)"
    ]

    soon = (h.clock.now() + timedelta(days=2)).isoformat()
    path = f"{EXP}/overrides"
    good = {
        "stage": "staging",
        "gate": "policies",
        "justification": "bundle rollout",
        "expires_at": soon,
    }
    before = h.counts()
    for body, field in [
        ({**good, "justification": "  "}, "justification"),
        ({k: v for k, v in good.items() if k != "expires_at"}, "expires_at"),
        ({**good, "expires_at": (h.clock.now() + timedelta(days=8)).isoformat()}, "expires_at"),
        ({**good, "expires_at": (h.clock.now() - timedelta(hours=1)).isoformat()}, "expires_at"),
        ({**good, "gate": "tests"}, "gate"),
    ]:
        r = h.call("bob", "POST", path, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == "invalid-override"
        assert field in {e["field"] for e in r.json()["errors"]}, r.json()
    assert h.call("bob", "POST", path, json={**good, "gate": "nope"}).status_code == 404
    assert h.call("alice", "POST", path, json=good).status_code == 403  # contributors cannot
    assert h.counts() == before

    created = h.call("bob", "POST", path, json=good)
    assert created.status_code == 201, created.text
    override_id = created.json()["id"]
    passed = check(h)
    assert passed["outcome"] == "pass"
    assert gate(passed, "policies")["overridden_by"] == "user:bob"
    assert [o["gate"] for o in passed["overrides_applied"]] == ["policies"]
    assert [o["id"] for o in h.call("erin", "GET", path).json()["items"]] == [override_id]

    h.clock.advance(days=2, seconds=1)  # expired overrides no longer apply
    expired = check(h)
    assert expired["outcome"] == "denied"
    assert any("expired" in reason for reason in gate(expired, "policies")["reasons"])
    h.clock.advance(days=-2, seconds=-1)

    revoke = f"/api/v1/overrides/{override_id}/revoke"
    assert h.call("bob", "POST", revoke, json={"reason": ""}).status_code == 422
    r = h.call("bob", "POST", revoke, json={"reason": "bundle fixed"})
    assert r.status_code == 200
    assert r.json()["revoked_by"] == "user:bob"
    assert h.call("bob", "POST", revoke, json={"reason": "again"}).status_code == 409
    assert check(h)["outcome"] == "denied"
    actions = [
        e["action"]
        for e in h.call("bob", "GET", "/api/v1/audit", params={"entity_type": "override"}).json()[
            "items"
        ]
    ]
    assert actions == ["override.create", "override.revoke"]


def test_decisions_are_stored_replayed_and_rendered_for_ci(
    harness: Harness, policies: Path
) -> None:
    h = harness
    propose_and_reach_sandbox(h)
    assert apply(h).status_code == 201
    assert evidence(h, "coverage", COVERAGE).status_code == 201
    first = check(h)
    explained = h.call("erin", "GET", f"/api/v1/decisions/{first['id']}", params={"replay": True})
    assert explained.status_code == 200
    replay = explained.json()["replay"]
    assert replay == {
        "outcome": first["outcome"],
        "input_hash": first["input_hash"],
        "matches": True,
        "differences": [],
    }
    # The bundle changes (staging now needs 90 % coverage): new checks deny, and the old
    # decision still replays identically with the bundle revision it recorded.
    config = json.loads((policies / "data.json").read_text())
    config["config"]["coverage_min"]["staging"] = 0.9
    (policies / "data.json").write_text(json.dumps(config))
    later = check(h)
    assert later["policy_revision"] != first["policy_revision"]
    assert gate(later, "policies")["status"] == "fail"
    again = h.call("erin", "GET", f"/api/v1/decisions/{first['id']}", params={"replay": True})
    assert again.json()["replay"]["matches"] is True
    assert again.json()["checks"] == first["checks"]

    junit = h.call("erin", "GET", f"/api/v1/decisions/{later['id']}", params={"format": "junit"})
    root = ET.fromstring(junit.content)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"tests", "sign-off", "policies", "decision"}
    assert cases["policies"].find("failure") is not None
    assert cases["decision"].find("failure") is not None
    sarif = h.call("erin", "GET", f"/api/v1/decisions/{later['id']}", params={"format": "sarif"})
    log = sarif.json()
    assert log["version"] == "2.1.0"
    result = log["runs"][0]["results"][0]
    assert result["ruleId"] == "policies"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == PROCESS.splitlines().index("      - id: policies") + 1
    assert h.call("erin", "GET", "/api/v1/decisions/nope").status_code == 404


def test_migrating_an_experiment_pins_another_process_version(harness: Harness) -> None:
    h = harness
    propose_and_reach_sandbox(h)
    assert apply(h).status_code == 201
    other = PROCESS.replace("name: default", "name: relaxed").replace(
        "enforcement: soft-mandatory", "enforcement: advisory"
    )
    assert apply(h, other, "relaxed").status_code == 201
    path = f"{EXP}/process"
    assert (
        h.call("admin", "POST", path, json={"process": "relaxed", "reason": " "}).status_code == 422
    )
    unknown = h.call("admin", "POST", path, json={"process": "nowhere", "reason": "pilot"})
    assert unknown.status_code == 409, unknown.text  # the experiment exists; the process not yet
    assert "has not been applied" in unknown.json()["detail"]
    r = h.call("admin", "POST", path, json={"process": "relaxed", "reason": "payments pilot"})
    assert r.status_code == 200, r.text
    assert (r.json()["process"], r.json()["version"]) == ("relaxed", 1)
    decision = check(h)
    assert (decision["process"], decision["process_version"]) == ("relaxed", 1)
    events = h.call("bob", "GET", "/api/v1/audit", params={"entity_id": KEY}).json()["items"]
    assert "experiment.process-migrate" in [e["action"] for e in events]


def test_review_board_and_environment_settings_feed_the_gate_context(harness: Harness) -> None:
    h = harness
    propose_and_reach_sandbox(h)
    board_process = PROCESS.replace(
        """      - id: policies
        type: policy
        enforcement: soft-mandatory
""",
        """      - id: board
        type: review-board
        config:
          required_for: [medium]
""",
    )
    assert apply(h, board_process).status_code == 201
    assert evidence(h, "junit", JUNIT_GREEN).status_code == 201
    path = "/api/v1/gate-settings/review-board"
    before = h.counts()
    bad = h.call(
        "admin",
        "PUT",
        path,
        json={"value": {"name": "cab", "members": ["bob"], "seats": 1, "quorum": 2}},
    )
    assert bad.status_code == 422
    assert "quorum" in bad.json()["detail"]
    bad_env = h.call(
        "admin",
        "PUT",
        "/api/v1/gate-settings/environments",
        json={"value": {"staging": {"timezone": "Mars/Olympus"}}},
    )
    assert bad_env.status_code == 422
    assert h.call("bob", "PUT", path, json={"value": None}).status_code == 403
    assert h.counts() == before
    assert gate(check(h), "board")["reasons"] == ["no review board is configured"]

    board = {"name": "cab", "members": ["bob", "carol", "dave"], "seats": 3, "quorum": 2}
    assert h.call("admin", "PUT", path, json={"value": board}).status_code == 200
    env = {"staging": {"timezone": "Europe/Berlin", "compliant": True}}
    assert (
        h.call(
            "admin", "PUT", "/api/v1/gate-settings/environments", json={"value": env}
        ).status_code
        == 200
    )
    for who, domain in (("bob", "security"), ("dave", "architecture")):
        r = h.call(who, "POST", f"{EXP}/approvals", json={"stage": "staging", "domain": domain})
        assert r.status_code == 201, r.text
    decision = check(h)
    assert gate(decision, "board")["status"] == "pass"
    assert gate(decision, "board")["reasons"][0].startswith("quorum 2 reached by bob, dave")
    stored = h.call("erin", "GET", f"/api/v1/decisions/{decision['id']}", params={"replay": True})
    assert stored.json()["replay"]["matches"] is True


def test_nothing_is_governed_until_a_process_is_applied(harness: Harness) -> None:
    h = harness
    propose_and_reach_sandbox(h)
    before = h.counts()
    r = h.call("alice", "POST", f"{EXP}/gates/staging/check", json={})
    assert r.status_code == 409  # the experiment exists; its process is not applied yet
    assert r.json()["code"] == "state-conflict"
    assert "has not been applied" in r.json()["detail"]
    assert "sluice process apply --default" in r.json()["hint"]
    assert h.counts() == before
    # Ungoverned: the promotion moves without a gate decision.
    assert h.call("alice", "POST", f"{EXP}/transitions", json={"to": "staging"}).status_code == 200


def test_the_default_process_staging_decision_replays_as_itself(
    harness: Harness, policies: Path
) -> None:
    """Issue 12 §1.2: two thresholds (failures before errors) replayed as "differs in checks"."""
    h = harness
    default = ROOT / "src" / "sluicegate" / "resources" / "processes" / "default.yaml"
    propose_and_reach_sandbox(h)
    assert apply(h, default.read_text()).status_code == 201
    assert evidence(h, "junit", JUNIT_GREEN).status_code == 201
    assert evidence(h, "coverage", COVERAGE).status_code == 201
    decided = check(h)
    tests = gate(decided, "tests")
    assert [r["key"] for r in tests["data"]["thresholds"]["results"]] == [
        "junit.errors",
        "junit.failures",
    ]
    explained = h.call("erin", "GET", f"/api/v1/decisions/{decided['id']}", params={"replay": True})
    assert explained.status_code == 200
    assert explained.json()["replay"]["differences"] == []
    assert explained.json()["replay"]["matches"] is True
