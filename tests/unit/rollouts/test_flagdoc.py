"""Flag documents for flag-target rollouts: weights and rings as flagd targeting."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sluicegate.domain.errors import InvalidInput
from sluicegate.domain.rollouts import Desired, Target, TargetKind, apply_desired, restore_flag
from sluicegate.flags import compile_flag_set

BOOL = {"on": True, "off": False}
BASE = {
    "state": "ENABLED",
    "variants": BOOL,
    "defaultVariant": "off",
    "targeting": {"if": [{"==": [{"var": "plan"}, "pro"]}, "on", None]},
}
DOC = {
    "flags": {
        "f": copy.deepcopy(BASE),
        "g": {"state": "ENABLED", "variants": BOOL, "defaultVariant": "on"},
    }
}
TARGET = Target(TargetKind.FLAG, flag_set="shop", environment="staging", flag="f")


def _evaluate(doc: dict[str, Any], context: dict[str, Any]) -> object:
    flag_set = compile_flag_set(doc)
    return flag_set.evaluate("f", context).value


def test_weight_becomes_a_fractional_split_and_other_flags_stay() -> None:
    out = apply_desired(DOC, TARGET, Desired(25), BASE)
    assert out["flags"]["f"]["targeting"] == {"fractional": [["on", 25], ["off", 75]]}
    assert out["flags"]["g"] == DOC["flags"]["g"]
    assert DOC["flags"]["f"] == BASE  # the input is not changed
    assert apply_desired(out, TARGET, Desired(25), BASE) == out  # idempotent


def test_rings_get_the_new_variant_and_everyone_else_the_split() -> None:
    out = apply_desired(DOC, TARGET, Desired(0, ("internal",), ("staff",)), BASE)
    assert out["flags"]["f"]["targeting"] == {
        "if": [{"in": [{"var": "ring"}, ["staff"]]}, "on", "off"]
    }
    assert _evaluate(out, {"targetingKey": "u1", "ring": "staff"}) is True
    assert _evaluate(out, {"targetingKey": "u1", "ring": "public"}) is False


def test_zero_without_rings_is_the_flag_from_before_and_restore_puts_it_back() -> None:
    ramped = apply_desired(DOC, TARGET, Desired(50), BASE)
    assert apply_desired(ramped, TARGET, Desired(0), BASE)["flags"]["f"] == BASE
    assert restore_flag(ramped, TARGET, BASE) == DOC


def test_a_missing_flag_or_variant_is_refused() -> None:
    with pytest.raises(InvalidInput):
        apply_desired({"flags": {}}, TARGET, Desired(5))
    bad = Target(TargetKind.FLAG, flag_set="s", environment="e", flag="f", on_variant="green")
    with pytest.raises(InvalidInput):
        apply_desired(DOC, bad, Desired(5))
