"""Invalid flag sets are rejected with a JSON pointer; $ref and $flagd are resolved at compile."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sluicegate.flags import FlagDefinitionError, Reason, compile_flag_set

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


BAD: list[tuple[str, Any, str]] = [
    ("not json", "{flags", ""),
    ("not an object", "[]", ""),
    ("NaN literal", '{"flags": {}, "metadata": {"x": NaN}}', ""),
    ("unknown top-level", {"flag": {}}, "/flag"),
    ("flags not object", {"flags": []}, "/flags"),
    ("flag not object", _with(["flags", "f"], "x"), "/flags/f"),
    ("missing state", _with(["flags", "f"], {"variants": {"a": 1}}), "/flags/f"),
    ("bad state", _with(["flags", "f", "state"], "ON"), "/flags/f/state"),
    ("missing variants", _with(["flags", "f"], {"state": "ENABLED"}), "/flags/f"),
    ("empty variants", _with(["flags", "f", "variants"], {}), "/flags/f/variants"),
    (
        "mixed variant types",
        _with(["flags", "f", "variants"], {"on": True, "off": "no"}),
        "/flags/f/variants/off",
    ),
    ("null variant", _with(["flags", "f", "variants"], {"on": None}), "/flags/f/variants/on"),
    (
        "unknown defaultVariant",
        _with(["flags", "f", "defaultVariant"], "maybe"),
        "/flags/f/defaultVariant",
    ),
    (
        "bool defaultVariant",
        _with(["flags", "f", "defaultVariant"], True),
        "/flags/f/defaultVariant",
    ),
    ("unknown property", _with(["flags", "f", "colour"], 1), "/flags/f/colour"),
    ("targeting not object", _with(["flags", "f", "targeting"], [1]), "/flags/f/targeting"),
    ("bad metadata value", _with(["flags", "f", "metadata"], {"a": None}), "/flags/f/metadata/a"),
    ("bad set metadata", {"flags": {}, "metadata": {"x": [1]}}, "/metadata/x"),
    ("numeric flagSetId", {"flags": {}, "metadata": {"flagSetId": 7}}, "/metadata/flagSetId"),
    (
        "unknown operator",
        _with(["flags", "f", "targeting"], {"if": [{"regex": ["a", "b"]}, "on"]}),
        "/flags/f/targeting/if/0/regex",
    ),
    (
        "unknown variant returned by if",
        _with(["flags", "f", "targeting"], {"if": [{"var": "x"}, "on", "maybe"]}),
        "/flags/f/targeting/if/2",
    ),
    (
        "unknown variant in fractional",
        _with(["flags", "f", "targeting"], {"fractional": [["on", 1], ["nope", 1]]}),
        "/flags/f/targeting/fractional/1/0",
    ),
    (
        "negative weight",
        _with(["flags", "f", "targeting"], {"fractional": [{"var": "id"}, ["on", -1], ["off", 5]]}),
        "/flags/f/targeting/fractional/1/1",
    ),
    (
        "float weight",
        _with(["flags", "f", "targeting"], {"fractional": [["on", 0.5], ["off", 5]]}),
        "/flags/f/targeting/fractional/0/1",
    ),
    (
        "bool weight",
        _with(["flags", "f", "targeting"], {"fractional": [["on", True]]}),
        "/flags/f/targeting/fractional/0/1",
    ),
    (
        "all-zero weights",
        _with(["flags", "f", "targeting"], {"fractional": [["on", 0], ["off", 0]]}),
        "/flags/f/targeting/fractional",
    ),
    (
        "weights above MaxInt32",
        _with(["flags", "f", "targeting"], {"fractional": [["on", 2**31 - 1], ["off", 1]]}),
        "/flags/f/targeting/fractional",
    ),
    (
        "bucket not an array",
        _with(["flags", "f", "targeting"], {"fractional": [{"var": "id"}, "on"]}),
        "/flags/f/targeting/fractional/1",
    ),
    (
        "missing $ref",
        _with(["flags", "f", "targeting"], {"if": [{"$ref": "nope"}, "on"]}),
        "/flags/f/targeting/if/0/$ref",
    ),
]


@pytest.mark.parametrize(("definition", "pointer"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_invalid_definitions_are_rejected_with_a_pointer(definition: Any, pointer: str) -> None:
    with pytest.raises(FlagDefinitionError) as info:
        compile_flag_set(definition)
    assert info.value.pointer == pointer
    assert info.value.reason
    assert str(info.value).startswith(pointer or "/")


def test_pointer_tokens_are_escaped() -> None:
    doc = {"flags": {"a/b~c": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "y"}}}
    with pytest.raises(FlagDefinitionError) as info:
        compile_flag_set(doc)
    assert info.value.pointer == "/flags/a~1b~0c/defaultVariant"


def test_cyclic_ref_is_rejected() -> None:
    doc = _with(["flags", "f", "targeting"], {"if": [{"$ref": "a"}, "on", "off"]})
    doc["$evaluators"] = {"a": {"or": [{"$ref": "b"}, False]}, "b": {"!": {"$ref": "a"}}}
    with pytest.raises(FlagDefinitionError) as info:
        compile_flag_set(doc)
    assert info.value.pointer == "/$evaluators/b/!/$ref"
    assert "a -> b -> a" in info.value.reason


def test_refs_are_inlined_including_nested_refs() -> None:
    doc = _with(["flags", "f", "targeting"], {"if": [{"$ref": "staff"}, "on", "off"]})
    doc["$evaluators"] = {
        "staff": {"and": [{"$ref": "acme"}, {"!": {"var": "contractor"}}]},
        "acme": {"ends_with": [{"var": "email"}, "@acme.io"]},
    }
    flag_set = compile_flag_set(doc)
    assert flag_set.evaluate("f", {"email": "a@acme.io"}).value is True
    assert flag_set.evaluate("f", {"email": "a@acme.io", "contractor": True}).value is False


def test_unknown_variant_inside_a_ref_points_into_the_evaluator() -> None:
    doc = _with(["flags", "f", "targeting"], {"$ref": "pick"})
    doc["$evaluators"] = {"pick": {"if": [{"var": "x"}, "on", "bogus"]}}
    with pytest.raises(FlagDefinitionError) as info:
        compile_flag_set(doc)
    assert info.value.pointer == "/$evaluators/pick/if/2"


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
