"""JUnit XML and SARIF 2.1.0 renderings of decisions, and the real Rego bundle behind the port."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from tests.unit.gates.support import FakePolicy, approval, context

from sluicegate.domain.gates import (
    Decision,
    EnvironmentInfo,
    Outcome,
    PolicyVerdict,
    ProcessVersion,
    evaluate_gate,
    load_process,
    render_junit,
    render_sarif,
)

Ids = Callable[[], str]
ROOT = Path(__file__).resolve().parents[3]

PROCESS = """\
apiVersion: sluicegate.dev/v1
kind: Process
metadata: {name: demo}
stages:
  - name: staging
  - name: production
    needs: [staging]
    gates:
      - id: tests
        type: evidence
        config: {require: [junit], risk_evidence: false}
      - id: coverage
        type: evidence
        enforcement: advisory
        config: {thresholds: {coverage.line_rate: {min: 0.95}}, risk_evidence: false}
      - id: policies
        type: policy
      - id: board
        type: review-board
      - id: owners
        type: approval
        config: {rules: [{role: service-owner, min: 1}], risk_signoffs: false}
"""


def _decision(ids: Ids, **changes: Any) -> Decision:
    version = ProcessVersion.of(load_process(PROCESS, "demo.yaml"))
    ctx = context(stage="production", **changes)
    return evaluate_gate(version, "production", ctx, id_factory=ids)


def test_junit_parses_back_with_one_testcase_per_check(ids: Ids) -> None:
    policy = FakePolicy(
        deny=(("sluicegate.pii", "PII <outside> & compliant envs"),),
        warn=(("sluicegate.freeze", "Friday"),),
    )
    decision = _decision(ids, policy=policy)
    assert decision.outcome is Outcome.DENIED
    root = ET.fromstring(render_junit(decision))
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "tests",
        "coverage",
        "policies",
        "board",
        "owners",
        "decision",
    ]
    by_name = {c.get("name"): c for c in cases}
    assert by_name["tests"].find("failure") is None
    assert by_name["tests"].find("skipped") is None
    coverage_failure = by_name["coverage"].find("failure")
    assert coverage_failure is not None
    assert coverage_failure.get("type") == "advisory"
    policy_failure = by_name["policies"].find("failure")
    assert policy_failure is not None
    assert policy_failure.get("message") == "sluicegate.pii: PII <outside> & compliant envs"
    assert "warning: sluicegate.freeze: Friday" in (policy_failure.text or "")
    skipped = by_name["board"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "risk level low does not require the review board"
    pending = by_name["owners"].find("skipped")
    assert pending is not None
    assert (pending.get("message") or "").startswith("pending: needs role service-owner")
    final = by_name["decision"].find("failure")
    assert final is not None
    assert final.get("message") == "denied by policies; owners"
    assert root.get("tests") == "6"
    assert root.get("failures") == "3"
    assert root.get("skipped") == "2"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["decision_id"] == decision.id
    assert props["input_hash"] == decision.input_hash
    assert props["policy_revision"] == "rev-1"


def test_junit_of_a_pending_decision_skips_the_decision_case(ids: Ids) -> None:
    decision = _decision(ids, policy=FakePolicy())
    assert decision.outcome is Outcome.PENDING
    root = ET.fromstring(render_junit(decision))
    final = next(c for c in root.iter("testcase") if c.get("name") == "decision")
    skipped = final.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "pending on owners"
    assert root.get("failures") == "1"  # the advisory coverage failure only


def test_sarif_has_one_result_per_failing_or_warning_check(ids: Ids) -> None:
    policy = FakePolicy(warn=(("sluicegate.freeze", "Friday"),))
    decision = _decision(ids, policy=policy, approvals=(approval("alice", "service-owner"),))
    assert decision.outcome is Outcome.PASS
    log = json.loads(json.dumps(render_sarif(decision)))
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "sluicegate"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == [c.gate for c in decision.checks]
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("coverage", "warning"),
        ("policies", "warning"),
    ]
    for result in results:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["message"]["text"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] > 0
        assert region["startColumn"] > 0
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "demo.yaml"
    assert results[1]["message"]["text"] == "sluicegate.freeze: Friday"
    assert run["invocations"][0]["properties"]["decisionId"] == decision.id


def test_sarif_blocking_failures_are_errors(ids: Ids) -> None:
    decision = _decision(ids, policy=FakePolicy(deny=(("sluicegate.sarif", "2 high findings"),)))
    results = render_sarif(decision)["runs"][0]["results"]
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels == {"coverage": "warning", "policies": "error"}


class _RegoEvaluator:
    """What the service layer will wire: the real engine and one loaded bundle."""

    def __init__(self) -> None:
        from sluicegate.adapters.policy import RegoPolicyEngine

        self.engine = RegoPolicyEngine()
        self.bundle = self.engine.load_bundle(ROOT / "examples/policies")

    @property
    def revision(self) -> str:
        return self.bundle.revision

    def __call__(self, input_doc: Mapping[str, Any]) -> PolicyVerdict:
        decision = self.engine.evaluate(self.bundle, input_doc)
        return PolicyVerdict(
            decision.revision,
            tuple((m.package, m.msg) for m in decision.deny),
            tuple((m.package, m.msg) for m in decision.warn),
        )


def test_example_rego_bundle_reads_the_policy_input(ids: Ids) -> None:
    pytest.importorskip("regopy")
    evaluator = _RegoEvaluator()
    production = EnvironmentInfo("production", "Europe/Berlin", compliant=True)
    decision = _decision(ids, policy=evaluator, environment=production)
    record = next(c for c in decision.checks if c.gate == "policies")
    assert record.reasons == (
        "sluicegate.approvals: production needs 2 distinct approvers, got 0",
        "sluicegate.approvals: production needs an approval from the service owner",
    )
    assert decision.policy_revision == evaluator.revision
    approvals = (approval("alice", "service-owner"), approval("bob", "engineer"))
    decision = _decision(ids, policy=evaluator, environment=production, approvals=approvals)
    record = next(c for c in decision.checks if c.gate == "policies")
    assert record.status.value == "pass"
