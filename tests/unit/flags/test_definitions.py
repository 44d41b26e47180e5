"""Unloadable flag sets are rejected, and tolerated problems become findings, with JSON pointers."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sluicegate.flags import (
    ErrorCode,
    FlagDefinitionError,
    Reason,
    check_flag_set,
    compile_flag_set,
)

BASE: dict[str, Any] = {
    "flags": {
        "f": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {"if": [{"var": "beta"}, "on", "off"]},
        }
    }
}


def _with(path: list[str | int], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    node: Any = doc
    for token in path[:-1]:
        node = node[token]
    node[path[-1]] = value
    return doc


# Documents flagd cannot load either: compiling raises, naming every problem with its pointer.
FATAL: list[tuple[str, Any, str]] = [
    ("not json", "{flags", ""),
    ("not an object", "[]", ""),
    ("NaN literal", '{"flags": {}, "metadata": {"x": NaN}}', ""),
    ("flags not object", {"flags": []}, "/flags"),
    ("flag not object", _with(["flags", "f"], "x"), "/flags/f"),
    ("missing state", _with(["flags", "f"], {"variants": {"a": 1}}), "/flags/f"),
    ("bad state", _with(["flags", "f", "state"], "ON"), "/flags/f/state"),
    ("missing variants", _with(["flags", "f"], {"state": "ENABLED"}), "/flags/f"),
    ("empty variants", _with(["flags", "f", "variants"], {}), "/flags/f/variants"),
    ("null variant", _with(["flags", "f", "variants"], {"on": None}), "/flags/f/variants/on"),
    (
        "bool defaultVariant",
        _with(["flags", "f", "defaultVariant"], True),
        "/flags/f/defaultVariant",
    ),
    ("bad metadata value", _with(["flags", "f", "metadata"], {"a": None}), "/flags/f/metadata/a"),
    ("bad set metadata", {"flags": {}, "metadata": {"x": [1]}}, "/metadata/x"),
    ("numeric flagSetId", {"flags": {}, "metadata": {"flagSetId": 7}}, "/metadata/flagSetId"),
]


@pytest.mark.parametrize(
    ("definition", "pointer"), [c[1:] for c in FATAL], ids=[c[0] for c in FATAL]
)
def test_unloadable_definitions_are_rejected_with_a_pointer(definition: Any, pointer: str) -> None:
    with pytest.raises(FlagDefinitionError) as info:
        compile_flag_set(definition)
    assert info.value.pointer == pointer
    assert info.value.reason
    assert str(info.value).startswith(pointer or "/")
    assert [f.pointer for f in info.value.findings] == [pointer]
    assert all(f.fatal for f in info.value.findings)
    assert check_flag_set(definition) == info.value.findings


def test_every_unloadable_flag_is_named() -> None:
    doc = {
        "flags": {
            "a": {"state": "ON", "variants": {"x": 1}},
            "b": {"state": "ENABLED"},
            "c": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "x"},
        }
    }
    with pytest.raises(FlagDefinitionError) as info:
        compile_flag_set(doc)
    assert [f.pointer for f in info.value.findings] == ["/flags/a/state", "/flags/b"]


TK = {"targetingKey": "user-1", "id": "user-1"}
# Problems flagd loads anyway: the set compiles, the problem is a finding with its pointer, and
# evaluation gives what flagd gives: (context, reason, error code, value), or None to skip.
PROBLEMS: list[tuple[str, Any, str, Any]] = [
    ("unknown top-level", {"flag": {}}, "/flag", None),
    (
        "mixed variant types",
        _with(["flags", "f", "variants"], {"on": True, "off": "no"}),
        "/flags/f/variants/off",
        ({}, Reason.TARGETING_MATCH, None, "no"),
    ),
    (
        "unknown defaultVariant",
        _with(["flags", "f", "defaultVariant"], "maybe"),
        "/flags/f/defaultVariant",
        ({}, Reason.TARGETING_MATCH, None, False),
    ),
    (
        "unknown property",
        _with(["flags", "f", "colour"], 1),
        "/flags/f/colour",
        ({"beta": True}, Reason.TARGETING_MATCH, None, True),
    ),
    (
        "targeting not object",
        _with(["flags", "f", "targeting"], [1]),
        "/flags/f/targeting",
        ({}, Reason.ERROR, ErrorCode.PARSE_ERROR, None),
    ),
    (
        "unknown operator",
        _with(["flags", "f", "targeting"], {"if": [{"regex": ["a", "b"]}, "on"]}),
        "/flags/f/targeting/if/0/regex",
        ({}, Reason.ERROR, ErrorCode.PARSE_ERROR, None),
    ),
    (
        "unknown variant returned by if",
        _with(["flags", "f", "targeting"], {"if": [{"var": "x"}, "on", "maybe"]}),
        "/flags/f/targeting/if/2",
        ({}, Reason.ERROR, ErrorCode.GENERAL, None),
    ),
    (
        "unknown variant in an unreached branch",
        _with(["flags", "f", "targeting"], {"if": [{"var": "x"}, "on", "maybe"]}),
        "/flags/f/targeting/if/2",
        ({"x": 1}, Reason.TARGETING_MATCH, None, True),
    ),
    (
        "unknown variant in fractional",
        _with(["flags", "f", "targeting"], {"fractional": [["on", 1], ["nope", 1]]}),
        "/flags/f/targeting/fractional/1/0",
        None,
    ),
    (
        "negative weight is clamped",
        _with(["flags", "f", "targeting"], {"fractional": [{"var": "id"}, ["on", -1], ["off", 5]]}),
        "/flags/f/targeting/fractional/1/1",
        (TK, Reason.TARGETING_MATCH, None, False),
    ),
    (
        "float weight",
        _with(["flags", "f", "targeting"], {"fractional": [["on", 0.5], ["off", 5]]}),
        "/flags/f/targeting/fractional/0/1",
        (TK, Reason.DEFAULT, None, False),
    ),
    (
        "bool weight",
        _with(["flags", "f", "targeting"], {"fractional": [["on", True]]}),
        "/flags/f/targeting/fractional/0/1",
        (TK, Reason.DEFAULT, None, False),
    ),
    (
        "all-zero weights",
        _with(["flags", "f", "targeting"], {"fractional": [["on", 0], ["off", 0]]}),
        "/flags/f/targeting/fractional",
        (TK, Reason.DEFAULT, None, False),
    ),
    (
        "weights above MaxInt32",
        _with(["flags", "f", "targeting"], {"fractional": [["on", 2**31 - 1], ["off", 1]]}),
        "/flags/f/targeting/fractional",
        (TK, Reason.DEFAULT, None, False),
    ),
    (
        "bucket not an array",
        _with(["flags", "f", "targeting"], {"fractional": [{"var": "id"}, "on"]}),
        "/flags/f/targeting/fractional/1",
        (TK, Reason.DEFAULT, None, False),
    ),
    (
        "missing $ref",
        _with(["flags", "f", "targeting"], {"if": [{"$ref": "nope"}, "on"]}),
        "/flags/f/targeting/if/0/$ref",
        ({}, Reason.ERROR, ErrorCode.PARSE_ERROR, None),
    ),
    (
        "two operator keys",
        _with(["flags", "f", "targeting"], {"==": [1, 1], "!=": [1, 2]}),
        "/flags/f/targeting",
        ({}, Reason.ERROR, ErrorCode.GENERAL, None),
    ),
]


@pytest.mark.parametrize(
    ("definition", "pointer", "evaluation"),
    [c[1:] for c in PROBLEMS],
    ids=[c[0] for c in PROBLEMS],
)
def test_problems_flagd_tolerates_load_as_findings(
    definition: Any, pointer: str, evaluation: Any
) -> None:
    flag_set = compile_flag_set(definition)
    assert pointer in [f.pointer for f in flag_set.findings]
    assert not any(f.fatal for f in flag_set.findings)
    assert all(f.reason and f.effect for f in flag_set.findings)
    assert check_flag_set(definition) == flag_set.findings
    if evaluation is not None:
        context, reason, code, value = evaluation
        result = flag_set.evaluate("f", context)
        assert (result.reason, result.error_code, result.value) == (reason, code, value)


def test_a_valid_definition_has_no_findings() -> None:
    assert compile_flag_set(BASE).findings == ()
    assert check_flag_set(BASE) == ()


def test_pointer_tokens_are_escaped_and_an_unknown_default_is_general() -> None:
    doc = {"flags": {"a/b~c": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "y"}}}
    flag_set = compile_flag_set(doc)
    assert [f.pointer for f in flag_set.findings] == ["/flags/a~1b~0c/defaultVariant"]
    result = flag_set.evaluate("a/b~c", {})
    assert (result.reason, result.error_code) == (Reason.ERROR, ErrorCode.GENERAL)


def test_cyclic_ref_is_a_parse_error_when_reached() -> None:
    doc = _with(["flags", "f", "targeting"], {"if": [{"$ref": "a"}, "on", "off"]})
    doc["$evaluators"] = {"a": {"or": [{"$ref": "b"}, False]}, "b": {"!": {"$ref": "a"}}}
    flag_set = compile_flag_set(doc)
    (finding,) = flag_set.findings
    assert finding.pointer == "/$evaluators/b/!/$ref"
    assert "a -> b -> a" in finding.reason
    assert flag_set.evaluate("f", {}).error_code is ErrorCode.PARSE_ERROR


def test_unknown_variant_inside_a_ref_points_into_the_evaluator() -> None:
    doc = _with(["flags", "f", "targeting"], {"$ref": "pick"})
    doc["$evaluators"] = {"pick": {"if": [{"var": "x"}, "on", "bogus"]}}
    assert [f.pointer for f in compile_flag_set(doc).findings] == ["/$evaluators/pick/if/2"]


def test_refs_are_inlined_including_nested_refs() -> None:
    doc = _with(["flags", "f", "targeting"], {"if": [{"$ref": "staff"}, "on", "off"]})
    doc["$evaluators"] = {
        "staff": {"and": [{"$ref": "acme"}, {"!": {"var": "contractor"}}]},
        "acme": {"ends_with": [{"var": "email"}, "@acme.io"]},
    }
    flag_set = compile_flag_set(doc)
    assert flag_set.evaluate("f", {"email": "a@acme.io"}).value is True
    assert flag_set.evaluate("f", {"email": "a@acme.io", "contractor": True}).value is False


def test_flagd_properties_are_injected() -> None:
    doc = _with(
        ["flags", "f", "targeting"],
        {
            "if": [
                {
                    "and": [
                        {"==": [{"var": "$flagd.flagKey"}, "f"]},
                        {">": [{"var": "$flagd.timestamp"}, 1_700_000_000]},
                    ]
                },
                "on",
                "off",
            ]
        },
    )
    assert compile_flag_set(doc).evaluate("f", {}).variant == "on"


def test_empty_targeting_is_static_and_empty_default_variant_is_null() -> None:
    doc = _with(["flags", "f", "targeting"], {})
    assert compile_flag_set(doc).evaluate("f", {}).reason is Reason.STATIC
    doc = _with(["flags", "f", "defaultVariant"], "")
    doc["flags"]["f"].pop("targeting")
    result = compile_flag_set(doc).evaluate("f", {})
    assert (result.variant, result.reason) == (None, Reason.DEFAULT)


def test_unknown_bucketing_is_rejected() -> None:
    with pytest.raises(FlagDefinitionError):
        compile_flag_set(BASE, bucketing="random")
    doc = {"flags": {}, "metadata": {"sluicegate.bucketing": "nope"}}
    with pytest.raises(FlagDefinitionError) as info:
        compile_flag_set(doc)
    assert info.value.pointer == "/metadata/sluicegate.bucketing"
