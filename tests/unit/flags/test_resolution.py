"""Reasons, error codes, typed resolution and context validation of CompiledFlagSet.evaluate."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import FrozenInstanceError
from typing import Any

import pytest

from sluicegate.flags import ErrorCode, Reason, Resolution, compile_flag_set

COLOURS = {"red": "#f00", "green": "#0f0"}


def _set(**flags: dict[str, Any]) -> Any:
    return compile_flag_set(
        {"flags": flags, "metadata": {"flagSetId": "shop", "scope": "set", "shared": 1}}
    )


def _flag(**fields: Any) -> dict[str, Any]:
    return {"state": "ENABLED", "variants": dict(COLOURS), "defaultVariant": "red", **fields}


def test_static_flag_resolves_its_default_variant() -> None:
    result = _set(f=_flag(metadata={"shared": 2})).evaluate("f", {})
    assert result == Resolution(
        "#f00",
        "red",
        Reason.STATIC,
        flag_metadata={"flagSetId": "shop", "scope": "set", "shared": 2},
    )


def test_static_flag_returns_the_same_precomputed_object() -> None:
    flag_set = _set(f=_flag())
    assert flag_set.evaluate("f", {}) is flag_set.evaluate("f", {"x": 1})


def test_targeting_match() -> None:
    flag_set = _set(f=_flag(targeting={"if": [{"==": [{"var": "tier"}, "gold"]}, "green"]}))
    assert flag_set.evaluate("f", {"tier": "gold"}).reason is Reason.TARGETING_MATCH
    assert flag_set.evaluate("f", {"tier": "gold"}).value == "#0f0"
    miss = flag_set.evaluate("f", {"tier": "tin"})
    assert (miss.value, miss.variant, miss.reason) == ("#f00", "red", Reason.DEFAULT)


def test_null_default_variant_means_caller_default() -> None:
    flag_set = _set(
        s=_flag(defaultVariant=None),
        t=_flag(defaultVariant=None, targeting={"if": [{"var": "go"}, "green", None]}),
    )
    cases: tuple[tuple[str, dict[str, Any]], ...] = (("s", {}), ("t", {}))
    for key, ctx in cases:
        result = flag_set.evaluate(key, ctx)
        assert (result.value, result.variant, result.reason) == (None, None, Reason.DEFAULT)
        assert result.error_code is None
    assert flag_set.evaluate("t", {"go": True}).variant == "green"


def test_disabled_flag() -> None:
    result = _set(f=_flag(state="DISABLED")).evaluate("f", {})
    assert (result.value, result.variant, result.reason) == (None, None, Reason.DISABLED)
    assert result.flag_metadata["flagSetId"] == "shop"


def test_boolean_targeting_results_map_to_true_false_variants() -> None:
    flag_set = _set(
        b={
            "state": "ENABLED",
            "variants": {"true": "on", "false": "off"},
            "defaultVariant": "false",
            "targeting": {"ends_with": [{"var": "email"}, "@acme.io"]},
        }
    )
    assert flag_set.evaluate("b", {"email": "a@acme.io"}).value == "on"
    assert flag_set.evaluate("b", {"email": "a@b.io"}).value == "off"
    # a non-string email makes ends_with return null: default variant, reason DEFAULT
    assert flag_set.evaluate("b", {"email": 3}).reason is Reason.DEFAULT


def test_numeric_targeting_results_are_stringified() -> None:
    flag_set = _set(
        n={"state": "ENABLED", "variants": {"1": 10, "2": 20}, "targeting": {"var": "n"}}
    )
    assert flag_set.evaluate("n", {"n": 2}).value == 20


def test_flag_not_found() -> None:
    result = _set(f=_flag()).evaluate("nope", {})
    assert (result.reason, result.error_code) == (Reason.ERROR, ErrorCode.FLAG_NOT_FOUND)
    assert result.value is None


def test_dynamic_unknown_variant_is_a_general_error() -> None:
    result = _set(f=_flag(targeting={"var": "colour"})).evaluate("f", {"colour": "blue"})
    assert (result.reason, result.error_code) == (Reason.ERROR, ErrorCode.GENERAL)
    assert "blue" in (result.error_message or "")


def test_runtime_failure_is_a_general_error() -> None:
    flag_set = _set(f=_flag(targeting={"if": [{"/": [1, {"var": "d"}]}, "green", "red"]}))
    result = flag_set.evaluate("f", {"d": 0})
    assert result.error_code is ErrorCode.GENERAL
    assert flag_set.evaluate("f", {"d": 2}).variant == "green"


@pytest.mark.parametrize(
    ("variants", "expected", "ok", "value"),
    [
        ({"a": True}, bool, True, True),
        ({"a": True}, str, False, None),
        ({"a": 3}, int, True, 3),
        ({"a": 3}, float, True, 3.0),
        ({"a": 3.5}, int, False, None),
        ({"a": True}, int, False, None),
        ({"a": "x"}, str, True, "x"),
        ({"a": {"k": 1}}, dict, True, {"k": 1}),
        ({"a": {"k": 1}}, object, True, {"k": 1}),
        ({"a": "x"}, dict, False, None),
    ],
)
def test_type_mismatch(variants: dict[str, Any], expected: type, ok: bool, value: Any) -> None:
    flag_set = _set(f={"state": "ENABLED", "variants": variants, "defaultVariant": "a"})
    result = flag_set.evaluate("f", {}, expected)
    if ok:
        assert result.value == value
        assert type(result.value) is type(value)
        assert result.reason is Reason.STATIC
    else:
        assert (result.reason, result.error_code) == (Reason.ERROR, ErrorCode.TYPE_MISMATCH)


def test_type_is_not_checked_when_the_caller_default_applies() -> None:
    flag_set = _set(f=_flag(defaultVariant=None), g=_flag(state="DISABLED"))
    assert flag_set.evaluate("f", {}, bool).reason is Reason.DEFAULT
    assert flag_set.evaluate("g", {}, bool).reason is Reason.DISABLED


@pytest.mark.parametrize("context", [None, [("a", 1)], "targetingKey"])
def test_malformed_context_is_invalid_context(context: Any) -> None:
    result = _set(f=_flag()).evaluate("f", context)
    assert (result.reason, result.error_code) == (Reason.ERROR, ErrorCode.INVALID_CONTEXT)


@pytest.mark.parametrize("targeting_key", [42, True, ["x"]])
def test_a_non_string_targeting_key_is_no_bucketing_value(targeting_key: Any) -> None:
    """As flagd: the shorthand fractional has nothing to hash and returns null (the default);
    before issue #11 this was an INVALID_CONTEXT error."""
    split = _flag(targeting={"fractional": [["green", 50], ["blue", 50]]})
    result = _set(f=split).evaluate("f", {"targetingKey": targeting_key})
    assert (result.reason, result.error_code, result.variant) == (Reason.DEFAULT, None, "red")


def test_non_string_context_keys_are_invalid_context() -> None:
    result = _set(f=_flag()).evaluate("f", OrderedDict([(1, "x")]))
    assert result.error_code is ErrorCode.INVALID_CONTEXT


def test_any_mapping_is_accepted_as_context() -> None:
    flag_set = _set(f=_flag(targeting={"if": [{"var": "go"}, "green", "red"]}))
    assert flag_set.evaluate("f", OrderedDict(go=True)).variant == "green"


def test_targeting_key_missing_is_opt_in() -> None:
    definition = {"flags": {"f": _flag(targeting={"fractional": [["red", 1], ["green", 1]]})}}
    lenient = compile_flag_set(definition)
    assert lenient.evaluate("f", {}).reason is Reason.DEFAULT
    strict = compile_flag_set(definition, require_targeting_key=True)
    missing = strict.evaluate("f", {})
    assert (missing.reason, missing.error_code) == (Reason.ERROR, ErrorCode.TARGETING_KEY_MISSING)
    assert strict.evaluate("f", {"targetingKey": "u1"}).reason is Reason.TARGETING_MATCH


def test_resolution_is_frozen_and_slotted() -> None:
    result = _set(f=_flag()).evaluate("f", {})
    with pytest.raises(FrozenInstanceError):
        result.value = 1
    assert not hasattr(result, "__dict__")


def test_evaluate_all_and_set_properties() -> None:
    flag_set = _set(f=_flag(), g=_flag(state="DISABLED"))
    results = flag_set.evaluate_all({})
    assert set(results) == {"f", "g"} == set(flag_set.flag_keys)
    assert results["g"].reason is Reason.DISABLED
    assert flag_set.metadata["flagSetId"] == "shop"
    assert len(flag_set.revision) == 64


def test_revision_is_stable_and_content_sensitive() -> None:
    a = compile_flag_set('{"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}}}}')
    b = compile_flag_set({"flags": {"f": {"variants": {"a": 1}, "state": "ENABLED"}}})
    c = compile_flag_set({"flags": {"f": {"variants": {"a": 2}, "state": "ENABLED"}}})
    assert a.revision == b.revision != c.revision
    a_def: dict[str, Any] = {"flags": {}}
    assert compile_flag_set(a_def, bucketing="legacy").revision != compile_flag_set(a_def).revision
