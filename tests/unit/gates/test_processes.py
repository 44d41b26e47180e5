"""The shipped default process, the example files, templates, versions, diff and the selector."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sluicegate.domain.errors import InvalidInput
from sluicegate.domain.gates import (
    Enforcement,
    Process,
    ProcessSelector,
    ProcessVersion,
    content_hash,
    default_registry,
    diff,
    load_process,
    load_template,
    next_version,
    process_from_dict,
    process_schema,
)

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = ROOT / "src/sluicegate/resources/processes/default.yaml"
PAYMENTS = ROOT / "examples/processes/payments.yaml"
PLATFORM = ROOT / "examples/processes/templates/platform-gates.yaml"


def _default() -> Process:
    return load_process(DEFAULT.read_text(), "default.yaml")


def _payments() -> Process:
    template = load_template(PLATFORM.read_text(), "platform-gates.yaml")
    return load_process(PAYMENTS.read_text(), "payments.yaml", templates=[template])


def test_default_process_is_the_documented_path() -> None:
    process = _default()
    assert process.entry == "sandbox"
    path = ["sandbox"]
    while nxt := process.next_stages(path[-1]):
        assert len(nxt) == 1
        path.append(nxt[0])
    assert path == ["sandbox", "staging", "canary", "rollout", "general-availability"]


def test_payments_example_uses_every_check_type_and_template_parameters() -> None:
    process = _payments()
    used = {gate.type for stage in process.stages for gate in stage.gates}
    assert used == set(default_registry().types)
    staging = process.stage("staging")
    evidence = staging.gate("evidence")
    assert evidence.config["thresholds"]["coverage.line_rate"] == {"min": 0.85}
    assert evidence.description == "Tests green and coverage >= 0.85"
    approval = process.stage("production").gate("owner-approval")
    assert approval.config["rules"] == [{"role": "service-owner", "min": 2}]
    assert approval.config["expires_after"] == "3d"
    assert approval.config["rejection_blocks"] is True
    board = process.stage("production").gate("review-board")
    assert board.config["required_for"] == ["medium", "high", "critical"]
    # the team's gate of the same id replaced the template's
    assert "k6.p99_ms" in process.stage("production").gate("evidence").config["thresholds"]
    assert process.stage("production").gate("freeze").enforcement is Enforcement.SOFT_MANDATORY
    assert process.extends == {
        "template": "platform-gates",
        "with": {
            "min_coverage": 0.85,
            "approvals_needed": 2,
            "approval_ttl": "3d",
            "board_levels": ["medium", "high", "critical"],
            "timezone": "Europe/Berlin",
        },
    }
    location = process.stage("production").gate("review-board").location
    assert location is not None
    assert location.source == "platform-gates.yaml"


def test_the_published_schema_is_json_and_matches_the_validator() -> None:
    path = ROOT / "src/sluicegate/resources/process.schema.json"
    published = json.loads(path.read_text())
    assert published == process_schema()
    assert published["$schema"].startswith("https://json-schema.org/")


def test_resolved_document_round_trips_with_the_same_hash() -> None:
    for process in (_default(), _payments()):
        again = process_from_dict(process.to_dict())
        assert again == process
        assert content_hash(again) == content_hash(process)


def test_versions_increase_only_when_content_changes() -> None:
    process = _default()
    first = next_version(None, process)
    assert (first.version, first.label) == (1, "default@v1")
    assert next_version(first, _default()) is first
    changed = process_from_dict(
        {**process.to_dict(), "metadata": {"name": "default", "description": "new words"}}
    )
    second = next_version(first, changed)
    assert second.version == 2
    assert second.content_hash != first.content_hash
    with pytest.raises(ValueError, match="cannot version"):
        next_version(first, _payments())


def test_diff_names_stage_gate_and_field_changes() -> None:
    before = _default()
    doc = before.to_dict()
    canary = doc["stages"][2]
    canary["gates"][0]["config"]["thresholds"]["coverage.line_rate"] = {"min": 0.9}
    canary["gates"][1]["enforcement"] = "soft-mandatory"
    del canary["gates"][2]
    doc["stages"][3]["gates"].append({"id": "extra", "type": "policy", "enforcement": "advisory"})
    after = process_from_dict(doc)
    result = diff(ProcessVersion.of(before, 1), ProcessVersion.of(after, 2))
    assert result.lines()[:2] == ["--- default@v1", "+++ default@v2"]
    ops = {(c.op, c.path) for c in result.changes}
    assert ops == {
        ("changed", "stages.canary.gates.evidence.config.thresholds.coverage.line_rate.min"),
        ("changed", "stages.canary.gates.sign-off.enforcement"),
        ("removed", "stages.canary.gates.review-board"),
        ("added", "stages.rollout.gates.extra"),
    }
    assert '~ stages.canary.gates.sign-off.enforcement: "hard-mandatory" -> "soft-mandatory"' in (
        result.lines()
    )
    assert diff(before, _default()).empty


def test_diff_of_added_and_removed_stages() -> None:
    before = _default()
    doc = before.to_dict()
    doc["stages"].append(
        {
            "name": "retire",
            "environment": "production",
            "needs": ["general-availability"],
            "gates": [],
        }
    )
    after = process_from_dict(doc)
    assert [str(c).split(":")[0] for c in diff(before, after).changes] == ["+ stages.retire"]
    assert [str(c).split(":")[0] for c in diff(after, before).changes] == ["- stages.retire"]


def test_selector_first_match_wins_then_default() -> None:
    selector = ProcessSelector.from_dict(
        {
            "rules": [
                {"process": "payments", "teams": ["team-payments"]},
                {"process": "high-risk", "risk_levels": ["high", "critical"]},
                {"process": "infra", "kinds": ["infrastructure"], "risk_levels": ["low"]},
            ],
            "default": "default",
        }
    )
    assert selector.select("feature", "team-payments", "critical").process == "payments"
    chosen = selector.select("infrastructure", "team-core", "high")
    assert (chosen.process, chosen.explanation) == ("high-risk", "rule 2")
    assert selector.select("infrastructure", "team-core", "low").process == "infra"
    fallback = selector.select("feature", "team-core", "medium")
    assert (fallback.process, fallback.rule, fallback.explanation) == (
        "default",
        None,
        "default process",
    )


def test_selector_validation() -> None:
    with pytest.raises(InvalidInput) as info:
        ProcessSelector.from_dict({"rules": [{"process": "x", "colour": ["red"]}, {"kinds": "a"}]})
    fields = [e.field for e in info.value.errors]
    assert fields == ["default", "rules[0].colour", "rules[1]"]
