"""Plan validation: the default ramps, every refused field named at once, round trips."""

from __future__ import annotations

from typing import Any

import pytest

from sluicegate.domain.errors import InvalidInput
from sluicegate.domain.rollouts import (
    DEFAULT_RAMP,
    StepKind,
    TargetKind,
    desired_after,
    parse_plan,
)

DEPLOY = {"kind": "deployment", "service": "checkout"}
FLAG = {"kind": "flag", "flag_set": "shop", "environment": "staging", "flag": "new-checkout"}


def _fields(doc: Any) -> list[str]:
    with pytest.raises(InvalidInput) as info:
        parse_plan(doc)
    return [e.field for e in info.value.errors]


def test_default_ramp_is_one_five_twenty_five_fifty_hundred_each_followed_by_analysis() -> None:
    plan = parse_plan({"target": DEPLOY})
    weights = [s.weight for s in plan.steps if s.kind is StepKind.WEIGHT]
    assert tuple(weights) == DEFAULT_RAMP == (1, 5, 25, 50, 100)
    kinds = [s.kind for s in plan.steps]
    assert kinds == [StepKind.WEIGHT, StepKind.ANALYSIS] * 5
    assert plan.services == ("checkout",)


def test_blue_green_defaults_to_analysis_switch_analysis() -> None:
    plan = parse_plan({"target": {"kind": "blue-green", "service": "api"}})
    assert [s.kind for s in plan.steps] == [StepKind.ANALYSIS, StepKind.SWITCH, StepKind.ANALYSIS]
    assert plan.target.kind is TargetKind.BLUE_GREEN
    assert desired_after(plan, 0).weight == 0
    assert desired_after(plan, 1).weight == 100


def test_rings_accumulate_segments_and_keep_the_weight() -> None:
    plan = parse_plan(
        {
            "target": FLAG,
            "steps": [
                {"ring": {"name": "internal", "segments": ["staff"]}},
                {"pause": {"seconds": 60}},
                {"ring": {"name": "early", "segments": ["beta", "staff"], "weight": 5}},
                {"weight": 50, "gate": "rollout"},
                {"pause": {"until": "approved"}},
            ],
        }
    )
    assert desired_after(plan, -1).to_dict() == {"weight": 0, "rings": [], "segments": []}
    assert desired_after(plan, 1).segments == ("staff",)
    after = desired_after(plan, 3)
    assert (after.weight, after.rings, after.segments) == (
        50,
        ("internal", "early"),
        ("staff", "beta"),
    )
    assert plan.steps[3].gate == "rollout"
    assert plan.steps[4].until_approved


def test_a_plan_round_trips_through_its_dict() -> None:
    doc = {
        "target": FLAG,
        "services": ["checkout"],
        "steps": [
            {"ring": {"name": "internal", "segments": ["staff"], "weight": 1}},
            {"analysis": {"intervals": 4, "monitor": {"alpha": 0.05}}},
            {"weight": 100, "gate": "general-availability"},
        ],
    }
    plan = parse_plan(doc)
    assert parse_plan(plan.to_dict()) == plan


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (None, "target"),
        ([], "plan"),
        ({"target": {"kind": "tank"}}, "target.kind"),
        ({"target": {"kind": "flag", "environment": "x", "flag": "f"}}, "target.flag_set"),
        ({"target": {**FLAG, "flag": ""}}, "target.flag"),
        ({"target": {**FLAG, "off_variant": "on"}}, "target.off_variant"),
        ({"target": {"kind": "deployment"}}, "target.service"),
        ({"target": {**DEPLOY, "extra": 1}}, "target.extra"),
        ({"target": DEPLOY, "steps": "fast"}, "steps"),
        ({"target": DEPLOY, "steps": [{"weight": -1}]}, "steps[0].weight"),
        ({"target": DEPLOY, "steps": [{"weight": True}]}, "steps[0].weight"),
        ({"target": DEPLOY, "steps": [{"weight": 5, "pause": {"seconds": 1}}]}, "steps[0]"),
        ({"target": DEPLOY, "steps": [{"pause": {}}]}, "steps[0].pause"),
        ({"target": DEPLOY, "steps": [{"pause": {"until": "lunch"}}]}, "steps[0].pause.until"),
        ({"target": DEPLOY, "steps": [{"pause": {"seconds": 0}}]}, "steps[0].pause.seconds"),
        (
            {"target": DEPLOY, "steps": [{"analysis": {"intervals": 0}}]},
            "steps[0].analysis.intervals",
        ),
        (
            {"target": DEPLOY, "steps": [{"ring": {"name": "a", "segments": ["x"]}}]},
            "steps[0].ring",
        ),
        ({"target": FLAG, "steps": [{"ring": {"name": "a"}}]}, "steps[0].ring.segments"),
        ({"target": DEPLOY, "steps": [{"weight": 5, "gate": "Not A Slug"}]}, "steps[0].gate"),
        ({"target": DEPLOY, "steps": [{"pause": {"seconds": 5}}]}, "steps"),
        ({"target": DEPLOY, "steps": [{"weight": 50}, {"weight": 5}]}, "steps[1]"),
        ({"target": DEPLOY, "steps": [{"switch": True}]}, "steps[0].switch"),
        (
            {"target": {"kind": "blue-green", "service": "a"}, "steps": [{"weight": 5}]},
            "steps[0].weight",
        ),
        (
            {
                "target": {"kind": "blue-green", "service": "a"},
                "steps": [{"switch": True}, {"analysis": {}}],
            },
            "steps",
        ),
        ({"target": DEPLOY, "services": ["Bad Name"]}, "services[0]"),
        ({"target": DEPLOY, "surprise": 1}, "surprise"),
    ],
)
def test_invalid_plans_name_the_field(doc: Any, field: str) -> None:
    assert field in _fields(doc)


def test_every_problem_is_reported_at_once() -> None:
    fields = _fields(
        {"target": DEPLOY, "steps": [{"weight": 101}, {"pause": {"until": "x"}}, {"nope": 1}]}
    )
    assert {"steps[0].weight", "steps[1].pause.until", "steps[2]"} <= set(fields)
