"""``sluice policy eval`` input validation through Typer's CliRunner (issue 12 §1 item 5).

An input that is not shaped like the policy input document (docs/policy-input.md) is refused,
naming the field, instead of being evaluated and "allowed".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.unit.gates.support import FakePolicy, approval, context
from typer.testing import CliRunner

from sluicegate.cli.gates.policy import app
from sluicegate.domain.gates import build_policy_input
from sluicegate.domain.gates.checks.policy import PolicyCheck
from sluicegate.domain.gates.policy_input import validate_policy_input

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "policies"


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def _full_input() -> dict[str, Any]:
    policy = FakePolicy()
    ctx = context(policy=policy, approvals=(approval("alice", comment="ok"), approval("x")))
    PolicyCheck().evaluate({}, ctx)
    return dict(policy.seen[0])


def test_policy_eval_refuses_a_wrongly_shaped_input(tmp_path: Path) -> None:
    wrong = {"stage": "staging", "evidence": [{"kind": "coverage", "line_rate": 0.1}]}
    path = tmp_path / "input.json"
    path.write_text(json.dumps(wrong))
    result = _run("eval", "--bundle", str(EXAMPLES), "--input", str(path))
    assert result.exit_code == 2, result.output
    assert "allowed" not in result.output
    assert "docs/policy-input.md" in result.output
    assert "evidence: expected object, got array" in result.output
    assert "stage: unknown property 'stage'" in result.output
    assert "target_stage: required field is missing" in result.output

    as_json = _run("eval", "--bundle", str(EXAMPLES), "--input", str(path), "--json")
    assert as_json.exit_code == 2
    body = json.loads(as_json.stdout)
    assert body["code"] == "invalid-policy-input"
    fields = {e["field"] for e in body["errors"]}
    assert {"evidence", "stage", "target_stage"} <= fields


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"experiment": {"key": 7}}, "experiment.key", "expected string, got integer"),
        ({"now": {"hour": 24}}, "now.hour", "must be <= 23"),
        ({"evidence": {"coverge": {}}}, "evidence.coverge", "property name"),
        ({"approvals": [{"by": "a", "role": "r"}]}, "approvals[0].at", "required field is missing"),
        ({"schema_version": 2}, "schema_version", "must be 1"),
    ],
)
def test_policy_eval_names_the_field(
    tmp_path: Path, change: dict[str, Any], field: str, reason: str
) -> None:
    doc = _full_input()
    for key, value in change.items():
        doc[key] = {**doc[key], **value} if isinstance(value, dict) else value
        if key == "evidence":
            doc[key] = value
    path = tmp_path / "input.json"
    path.write_text(json.dumps(doc))
    result = _run("eval", "--bundle", str(EXAMPLES), "--input", str(path), "--json")
    assert result.exit_code == 2, result.output
    errors = json.loads(result.stdout)["errors"]
    assert [e["field"] for e in errors] == [field]
    assert reason in errors[0]["reason"]


def test_policy_eval_accepts_the_document_the_gate_engine_builds(tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(_full_input()))
    result = _run("eval", "--bundle", str(EXAMPLES), "--input", str(path), "--json")
    assert result.exit_code in (0, 3), result.output
    assert "allowed" in json.loads(result.stdout)


def test_partial_inputs_need_the_flag(tmp_path: Path) -> None:
    doc = {"target_stage": "staging", "evidence": {}}
    path = tmp_path / "input.json"
    path.write_text(json.dumps(doc))
    strict = _run("eval", "--bundle", str(EXAMPLES), "--input", str(path))
    assert strict.exit_code == 2
    assert "experiment: required field is missing" in strict.output
    partial = _run("eval", "--bundle", str(EXAMPLES), "--input", str(path), "--partial")
    assert partial.exit_code == 3, partial.output  # the example bundle wants coverage evidence
    assert "coverage evidence is required for staging" in partial.output
    # --partial still checks the fields that are there
    path.write_text(json.dumps({"target_stage": 3}))
    typed = _run("eval", "--bundle", str(EXAMPLES), "--input", str(path), "--partial")
    assert typed.exit_code == 2
    assert "target_stage: expected string, got integer" in typed.output


def test_every_input_the_gate_engine_builds_matches_the_schema() -> None:
    reject = approval("x", decision="reject")
    for ctx in (
        context(),
        context(approvals=(approval("alice", domains=("security",), comment="ok"), reject)),
        context(evidence={}, risk={"level": "high", "score": 27.0}),
    ):
        assert validate_policy_input(build_policy_input(ctx)) == []
    schedule = {"status": "fail", "reasons": ["frozen"], "next_open": "2026-11-18T08:00:00+00:00"}
    assert validate_policy_input(build_policy_input(context(), schedule)) == []


def test_the_documented_example_matches_the_schema() -> None:
    text = (Path(__file__).resolve().parents[3] / "docs" / "policy-input.md").read_text()
    example = text.split("```json\n", 1)[1].split("```", 1)[0]
    assert validate_policy_input(json.loads(example)) == []
