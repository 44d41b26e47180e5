"""Differential test: sluicegate.flags agrees with openfeature-flagd-core (the flagd reference).

Hypothesis generates flag sets (targeting rules over every supported operator, ``$ref``
evaluators, fractional splits with the default CBOR bucketing) and contexts; both engines must
return the same value, variant, reason and error code. The definitions include the problems flagd
tolerates (unknown variants, operators and ``$ref``s, invalid ``sem_ver`` literals, zero and
negative weights), which the engine loads as findings since issue #11.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openfeature.contrib.tools.flagd.core import FlagdCore
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import OpenFeatureError

from sluicegate.flags import compile_flag_set

VARIANTS = ["red", "green", "blue"]


def _as_rule(node: Any) -> dict[str, Any]:
    if isinstance(node, dict) and len(node) == 1:
        return node
    return {"if": [True, node, None]}


KEYS = ["a", "b", "email", "version", "tier", "n", "items", "user.name"]
SENTINEL = "__caller_default__"

texts = st.sampled_from(
    ["", "x", "abc", "abcdef", "red", "blue", "1.2.3", "v2.0", "1.0.0-alpha", "2", "bob@acme.io"]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 5),
    st.sampled_from([0.5, -1.5, 2.0, 1e3]),
    texts,
)
context_values = st.one_of(
    scalars,
    st.lists(st.one_of(st.integers(-2, 3), texts), max_size=3),
    st.fixed_dictionaries({"name": texts}),
)
var_nodes = st.one_of(
    st.builds(lambda k: {"var": k}, st.sampled_from(KEYS)),
    st.builds(lambda k, d: {"var": [k, d]}, st.sampled_from(KEYS), scalars),
    st.just({"var": "targetingKey"}),
    st.just({"var": "$flagd.flagKey"}),
    st.builds(lambda k: {"var": {"cat": ["", k]}}, st.sampled_from(KEYS)),
    st.builds(lambda k: {"var": [{"cat": [k]}, "dflt"]}, st.sampled_from(KEYS)),
)
# "===" and "2.0.0.0" are invalid: flagd (and the engine, since issue #11) evaluates them to null.
SEMVER_OPS = ["=", "!=", "<", "<=", ">", ">=", "^", "~", "==="]


def _values(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    two = st.lists(children, min_size=2, max_size=2)
    some = st.lists(children, min_size=0, max_size=3)
    ops = ["==", "!=", "===", "!==", "<", "<=", ">", ">=", "+", "-", "*", "%", "/", "cat"]
    return st.one_of(
        st.builds(lambda op, args: {op: args}, st.sampled_from(ops), two),
        st.builds(
            lambda op, args: {op: args},
            st.sampled_from(["<", "<=", ">", ">="]),
            st.lists(children, min_size=3, max_size=3),
        ),
        st.builds(lambda op, args: {op: args}, st.sampled_from(["and", "or", "min", "max"]), some),
        st.builds(lambda op, arg: {op: arg}, st.sampled_from(["!", "!!"]), children),
        st.builds(lambda a, b: {"in": [a, b]}, children, st.one_of(texts, st.lists(scalars))),
        st.builds(lambda args: {"substr": args}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda args: {"merge": args}, some),
        st.builds(lambda keys: {"missing": keys}, st.lists(st.sampled_from(KEYS), max_size=3)),
        st.builds(
            lambda n, keys: {"missing_some": [n, keys]},
            st.integers(0, 2),
            st.lists(st.sampled_from(KEYS), max_size=3),
        ),
        st.builds(
            lambda op, a, b: {op: [a, b]},
            st.sampled_from(["starts_with", "ends_with"]),
            children,
            texts,
        ),
        st.builds(
            lambda v, op, target: {"sem_ver": [v, op, target]},
            children,
            st.sampled_from(SEMVER_OPS),
            st.sampled_from(["1.2.3", "v2", "1.0.0-alpha", "2.0", "2.0.0.0"]),
        ),
        st.builds(lambda c, a, b: {"if": [c, a, b]}, children, children, children),
        st.builds(lambda c, a, b: {"?:": [c, a, b]}, children, children, children),
        st.builds(lambda args: {"if": args}, st.lists(children, min_size=0, max_size=5)),
        st.builds(lambda a: {"!": a}, children),
        st.builds(lambda a, b: {"in": [a, b]}, children, var_nodes),
        st.builds(
            lambda op, items, rule: {op: [items, rule]},
            st.sampled_from(["map", "filter", "all", "some", "none"]),
            st.one_of(st.just({"var": "items"}), st.lists(scalars, max_size=3)),
            st.sampled_from([{">": [{"var": ""}, 1]}, {"var": ""}, {"cat": [{"var": ""}, "!"]}]),
        ),
        st.builds(
            lambda items: {
                "reduce": [items, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]
            },
            st.one_of(st.just({"var": "items"}), st.lists(st.integers(-2, 3), max_size=3)),
        ),
        st.just({">": [{"var": "$flagd.timestamp"}, 1_000_000]}),
        st.builds(lambda a: {"nope": [a]}, children),  # unknown operator: PARSE_ERROR if reached
    )


values = st.recursive(st.one_of(scalars, var_nodes), _values, max_leaves=6)
# "purple" is not a variant: GENERAL when a rule returns it (issue #11: no longer refused).
variant_names = st.one_of(st.sampled_from([*VARIANTS, "purple"]), st.none())
# all-zero and negative weights: null and clamped to 0, as flagd does (issue #11)
weights = st.lists(st.integers(-5, 60), min_size=1, max_size=3)


def _fractional(seed: Any, names: list[Any], ws: list[int]) -> dict[str, Any]:
    buckets = [[n, w] for n, w in zip(names, ws, strict=False)]
    return {"fractional": buckets if seed is None else [seed, *buckets]}


fractionals = st.builds(
    _fractional,
    st.one_of(st.none(), var_nodes, st.builds(lambda v: {"cat": ["salt", v]}, var_nodes)),
    st.lists(variant_names, min_size=3, max_size=3),
    weights,
)
results = st.recursive(
    st.one_of(variant_names, fractionals, st.just({"$ref": "shared"}), st.just({"$ref": "gone"})),
    lambda inner: st.builds(lambda c, a, b: {"if": [c, a, b]}, values, inner, inner),
    max_leaves=4,
)
definitions = st.fixed_dictionaries(
    {
        "flags": st.fixed_dictionaries(
            {
                "colour": st.fixed_dictionaries(
                    {
                        "state": st.sampled_from(["ENABLED", "ENABLED", "ENABLED", "DISABLED"]),
                        "variants": st.just({v: v.upper() for v in VARIANTS}),
                        "defaultVariant": variant_names,
                        "targeting": st.one_of(st.just({}), results.map(_as_rule)),
                    }
                ),
                "switch": st.fixed_dictionaries(
                    {
                        "state": st.just("ENABLED"),
                        "variants": st.just({"true": True, "false": False}),
                        "defaultVariant": st.sampled_from(["false", None]),
                        "targeting": values.map(lambda v: {"!!": [v]}),
                    }
                ),
            }
        ),
        "$evaluators": st.fixed_dictionaries(
            {"shared": st.builds(lambda c: {"if": [c, "green", None]}, values)}
        ),
        "metadata": st.just({"flagSetId": "diff", "version": "1"}),
    }
)
contexts = st.dictionaries(st.sampled_from(["targetingKey", *KEYS]), context_values, max_size=6)


def _expected(flag: str, swap: bool) -> type:
    return str if (flag == "colour") != swap else bool


def _reference(core: FlagdCore, flag: str, ctx: dict[str, Any], swap: bool) -> tuple[Any, ...]:
    attributes = {k: v for k, v in ctx.items() if k != "targetingKey"}
    context = EvaluationContext(ctx.get("targetingKey"), attributes)
    wanted = _expected(flag, swap)
    resolve = core.resolve_string_value if wanted is str else core.resolve_boolean_value
    try:
        details = resolve(flag, SENTINEL, context)  # type: ignore[arg-type]
    except OpenFeatureError as exc:
        return ("ERROR", exc.error_code.value)
    except Exception:
        return ("ERROR", "GENERAL")
    value = None if details.value == SENTINEL else details.value
    reason: Any = details.reason  # a Reason member (typed as str | None by the SDK)
    return (value, details.variant, str(reason.value), None)


def _ours(flag_set: Any, flag: str, ctx: dict[str, Any], swap: bool) -> tuple[Any, ...]:
    result = flag_set.evaluate(flag, ctx, _expected(flag, swap))
    if result.error_code is not None:
        return ("ERROR", result.error_code.value)
    return (result.value, result.variant, result.reason.value, None)


@settings(
    max_examples=int(os.environ.get("FLAGS_DIFF_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    definition=definitions,
    ctxs=st.lists(contexts, min_size=1, max_size=4),
    swap=st.sampled_from([False, False, False, True]),
)
def test_engine_agrees_with_flagd_core(
    definition: dict[str, Any], ctxs: list[dict[str, Any]], swap: bool
) -> None:
    ours = compile_flag_set(definition)
    core = FlagdCore()
    core.set_flags(json.dumps(definition))
    for ctx in ctxs:
        if not isinstance(ctx.get("targetingKey"), str | None):
            ctx["targetingKey"] = str(ctx["targetingKey"])
        for flag in ("colour", "switch"):
            ours_result = _ours(ours, flag, ctx, swap)
            assert ours_result == _reference(core, flag, ctx, swap), (flag, ctx)


def test_an_unknown_operator_evaluates_its_arguments_first() -> None:
    """JsonLogic evaluates an operator's arguments before it looks the operator up, so a failing
    argument is a GENERAL error and only a clean one reaches the unknown operator's PARSE_ERROR
    (found by the property above)."""
    for args, expected in (
        ([{"%": [None, None]}], ("ERROR", "GENERAL")),
        ([{"var": "x"}], ("ERROR", "PARSE_ERROR")),
    ):
        definition: dict[str, Any] = {
            "flags": {
                "switch": {
                    "state": "ENABLED",
                    "variants": {"on": True, "off": False},
                    "defaultVariant": "off",
                    "targeting": {"if": [{"nope": args}, "on", "off"]},
                }
            }
        }
        core = FlagdCore()
        core.set_flags(json.dumps(definition))
        ours = compile_flag_set(definition)
        assert _reference(core, "switch", {}, False) == expected
        assert _ours(ours, "switch", {}, False) == expected
