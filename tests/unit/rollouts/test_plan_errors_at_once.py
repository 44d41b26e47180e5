"""A bad plan is refused with every problem at once, as docs/rollouts.md promises (issue 12):
a step that does not parse no longer hides the whole-plan rules over the other steps."""

from __future__ import annotations

import pytest

from sluicegate.domain.errors import InvalidInput
from sluicegate.domain.rollouts.validation import parse_plan


def test_a_bad_step_and_a_whole_plan_rule_are_reported_together() -> None:
    plan = {
        "target": {"kind": "deployment", "service": "checkout"},
        "steps": [
            {"weight": 50},
            {"analysis": {"intervals": 0}},  # bad in itself
            {"weight": 10},  # the weight goes down: a rule over the list
            {"ring": "beta"},  # rings are for flag targets: a rule over the list
        ],
    }
    with pytest.raises(InvalidInput) as caught:
        parse_plan(plan)
    fields = {e.field for e in caught.value.errors}
    assert "steps[1].intervals" in fields or "steps[1].analysis.intervals" in fields, fields
    assert "steps[3].ring" in fields, fields
    assert any(f.startswith("steps[2]") for f in fields), fields
