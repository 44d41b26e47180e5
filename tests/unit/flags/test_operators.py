"""Every JsonLogic/flagd operator, checked against expected values and the reference library."""

from __future__ import annotations

import math
from typing import Any

import pytest
from json_logic import jsonLogic
from openfeature.contrib.tools.flagd.core.targeting.targeting import OPERATORS as REFERENCE_OPS

from sluicegate.flags.bucketing import Bucketing
from sluicegate.flags.compiler import Compiler
from sluicegate.flags.errors import InvalidRule

DATA: dict[str, Any] = {
    "a": 1,
    "b": "two",
    "user": {"name": "ann", "tags": ["x", "y"]},
    "items": [1, 2, 3, 4],
    "empty": "",
    "version": "1.4.2",
    "email": "bob@example.com",
    "targetingKey": "user-1",
}

CASES: list[tuple[str, Any, Any]] = [
    ("var", {"var": "a"}, 1),
    ("var dotted", {"var": "user.name"}, "ann"),
    ("var list index", {"var": "user.tags.1"}, "y"),
    ("var length", {"var": "user.tags.length"}, 2),
    ("var default", {"var": ["nope", 7]}, 7),
    ("var dynamic key", {"var": {"cat": ["us", "er.name"]}}, "ann"),
    ("var whole data has targetingKey", {"var": ""}, None),  # compared with reference below
    ("missing", {"missing": ["a", "nope", "empty"]}, ["nope", "empty"]),
    ("missing sees $flagd", {"missing": ["$flagd.flagKey", "targetingKey", "x"]}, ["x"]),
    ("missing from merge", {"missing": {"merge": [["a"], ["zz"]]}}, ["zz"]),
    ("missing_some ok", {"missing_some": [1, ["a", "nope"]]}, []),
    ("missing_some short", {"missing_some": [2, ["a", "nope"]]}, ["nope"]),
    ("if", {"if": [{"var": "a"}, "yes", "no"]}, "yes"),
    ("if chain", {"if": [False, 1, {"==": [1, 1]}, 2, 3]}, 2),
    ("if no else", {"if": [False, 1]}, None),
    ("?:", {"?:": [0, "yes", "no"]}, "no"),
    ("==", {"==": [1, "1"]}, True),
    ("== null vs string", {"==": [None, "x"]}, False),
    ("== null vs zero (reference coerces null to 0)", {"==": [None, 0]}, True),
    ("===", {"===": [1, "1"]}, False),
    ("!=", {"!=": [{"var": "b"}, "two"]}, False),
    ("!==", {"!==": [1, 2]}, True),
    ("!", {"!": [[]]}, True),
    ("!!", {"!!": ["0"]}, True),
    ("or", {"or": [0, "", "x"]}, "x"),
    ("and", {"and": [1, "", "x"]}, ""),
    (">", {">": [{"var": "a"}, 0]}, True),
    (">=", {">=": ["b", "a"]}, True),
    ("<", {"<": [1, "2"]}, True),
    ("< between", {"<": [1, {"var": "a"}, 3]}, False),
    ("<= between", {"<=": [1, {"var": "a"}, 3]}, True),
    ("max", {"max": [1, "3", 2]}, 3.0),
    ("min", {"min": [1, -2]}, -2),
    ("+", {"+": [1, "2", 3.5]}, 6.5),
    ("- unary", {"-": [4]}, -4),
    ("-", {"-": [10, 4]}, 6),
    ("*", {"*": [2, "3"]}, 6.0),
    ("/", {"/": [9, 2]}, 4.5),
    ("%", {"%": [9, 4]}, 1),
    ("map", {"map": [{"var": "items"}, {"*": [{"var": ""}, 2]}]}, [2, 4, 6, 8]),
    ("filter", {"filter": [{"var": "items"}, {">": [{"var": ""}, 2]}]}, [3, 4]),
    (
        "reduce",
        {"reduce": [{"var": "items"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]},
        10,
    ),
    ("all", {"all": [{"var": "items"}, {">": [{"var": ""}, 0]}]}, True),
    ("all empty", {"all": [[], True]}, False),
    ("none", {"none": [{"var": "items"}, {">": [{"var": ""}, 9]}]}, True),
    ("some", {"some": [{"var": "items"}, {"==": [{"var": ""}, 3]}]}, True),
    ("merge", {"merge": [[1], 2, [3, [4]]]}, [1, 2, 3, [4]]),
    ("in list", {"in": [{"var": "b"}, ["one", "two"]]}, True),
    ("in string", {"in": ["xam", {"var": "email"}]}, True),
    ("cat", {"cat": ["a", 1, 2.5, None, True]}, "a12.5nullTrue"),
    ("substr", {"substr": ["sluicegate", 2, 3]}, "uic"),
    ("substr negative", {"substr": ["sluicegate", -4]}, "gate"),
    ("substr negative length", {"substr": ["sluicegate", 1, -2]}, "luicega"),
    ("starts_with", {"starts_with": [{"var": "email"}, "bob"]}, True),
    ("ends_with", {"ends_with": [{"var": "email"}, ".org"]}, False),
    ("ends_with non-string", {"ends_with": [{"var": "a"}, "1"]}, None),
    ("sem_ver >=", {"sem_ver": [{"var": "version"}, ">=", "1.4.0"]}, True),
    ("sem_ver ^", {"sem_ver": [{"var": "version"}, "^", "1.0.0"]}, True),
    ("sem_ver ~", {"sem_ver": [{"var": "version"}, "~", "1.5"]}, False),
    ("sem_ver invalid input", {"sem_ver": [{"var": "b"}, "=", "1.0.0"]}, None),
    ("sem_ver dynamic op", {"sem_ver": ["v2.0.0", {"cat": ["!", "="]}, "2.0.1"]}, True),
    ("flagKey", {"var": "$flagd.flagKey"}, "my-flag"),
    ("flagd object", {"var": "$flagd.flagKey.length"}, 7),
    ("var numeric index", {"var": 1}, None),
    ("if single", {"if": "only"}, "only"),
    ("cat two", {"cat": [{"var": "b"}, 2]}, "two2"),
    ("targetingKey", {"var": "targetingKey"}, "user-1"),
]


def _ours(rule: Any, data: dict[str, Any]) -> Any:
    return Compiler("my-flag", {}, Bucketing.CBOR).compile(rule, ()).fn(data)


def _reference(rule: Any, data: dict[str, Any]) -> Any:
    full = dict(data)
    full["$flagd"] = {"flagKey": "my-flag", "timestamp": 0}
    return jsonLogic(rule, full, REFERENCE_OPS)


@pytest.mark.parametrize(("rule", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_operator_matches_expected_and_reference(rule: Any, expected: Any) -> None:
    ours = _ours(rule, DATA)
    reference = _reference(rule, DATA)
    if isinstance(reference, dict):  # the whole-data var: compare without the clock
        assert ours["$flagd"]["flagKey"] == "my-flag"
        assert {k: v for k, v in ours.items() if k != "$flagd"} == {
            k: v for k, v in reference.items() if k != "$flagd"
        }
        return
    assert ours == reference
    if expected is not None or reference is None:
        assert ours == expected
        assert type(ours) is type(expected)


def test_timestamp_is_current_unix_seconds() -> None:
    import time

    before = int(time.time())
    value = _ours({"var": "$flagd.timestamp"}, {})
    assert isinstance(value, int)
    assert before <= value <= int(time.time())


def test_context_cannot_shadow_flagd_properties() -> None:
    assert _ours({"var": "$flagd.flagKey"}, {"$flagd": {"flagKey": "evil"}}) == "my-flag"


@pytest.mark.parametrize(
    ("rule", "error"),
    [({"/": [1, 0]}, ZeroDivisionError), ({"%": [{"var": "a"}, 0]}, ZeroDivisionError)],
)
def test_runtime_errors_propagate_from_compiled_rules(rule: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        _ours(rule, DATA)


def test_min_max_without_arguments_are_nan() -> None:
    assert math.isnan(_ours({"max": []}, DATA))
    assert math.isnan(_ours({"min": []}, DATA))


@pytest.mark.parametrize(
    ("rule", "pointer", "outcome"),
    [
        ({"log": ["x"]}, "/log", InvalidRule),
        ({"if": [True, {"nope": 1}]}, "/if/1/nope", InvalidRule),
        ({"if": [False, {"nope": 1}, "b"]}, "/if/1/nope", "b"),
        ({"a": 1, "b": 2}, "", {"a": 1, "b": 2}),
        ({"sem_ver": [{"var": "v"}, "=~", "1.0.0"]}, "/sem_ver/1", None),
        ({"sem_ver": [{"var": "v"}, "=", "one"]}, "/sem_ver/2", None),
        ({"map": [[1], {"fractional": [["a", 1]]}]}, "/map/1/fractional", TypeError),
    ],
)
def test_invalid_rules_compile_to_what_flagd_evaluates(
    rule: Any, pointer: str, outcome: Any
) -> None:
    """Unknown operators raise a parse error when reached (flagd's PARSE_ERROR); a literal bad
    ``sem_ver`` is null; the problem is a finding at its pointer."""
    compiler = Compiler("my-flag", {}, Bucketing.CBOR)
    node = compiler.compile(rule, ())
    assert [f.pointer for f in compiler.findings] == [pointer]
    if isinstance(outcome, type) and issubclass(outcome, Exception):
        with pytest.raises(outcome):
            node.fn(DATA)
    else:
        assert node.fn(DATA) == outcome


def test_constant_subtrees_are_folded() -> None:
    node = Compiler("f", {}, Bucketing.CBOR).compile({"cat": ["a", {"+": [1, 2]}]}, ())
    assert node.is_const is False or node.const == "a3"
    folded = Compiler("f", {}, Bucketing.CBOR).compile({"+": [1, 2]}, ())
    assert folded.is_const
    assert folded.const == 3
