"""Compiler for flagd's ``fractional`` operator (pseudo-random, sticky traffic splits)."""

from __future__ import annotations

from typing import Any

from .bucketing import MAX_WEIGHT_SUM, Bucketing, Distribution, parse_weights
from .compiler import OPERATORS, Compiler
from .nodes import Evaluator, Node

__all__: list[str] = []

Path = tuple[str | int, ...]


class _Invalid:
    """Literal buckets that flagd rejects at evaluation: the operator returns null."""


_INVALID = _Invalid()
_NULL_EFFECT = "fractional returns null: the flag's default variant"


def _static_buckets(
    c: Compiler, buckets: list[Any], path: Path, offset: int
) -> tuple[list[Any], list[int]] | _Invalid | None:
    """Check literal buckets; ``None`` when some bucket is computed at evaluation time."""
    variants: list[Any] = []
    weights: list[int] = []
    dynamic = invalid = False
    for i, bucket in enumerate(buckets):
        at = c.child(path, offset + i)
        if isinstance(bucket, dict):
            dynamic = True
            continue
        if not isinstance(bucket, list):
            c.problem(at, "a fractional bucket must be an array [variant, weight]", _NULL_EFFECT)
            invalid = True
            continue
        if not bucket or len(bucket) > 2:
            c.problem(at, "a fractional bucket must have one or two elements", _NULL_EFFECT)
            invalid = True
            continue
        variant = bucket[0]
        if isinstance(variant, dict | list):
            dynamic = True
        weight: Any = bucket[1] if len(bucket) == 2 else 1
        if isinstance(weight, dict | list):
            dynamic = True
            continue
        if isinstance(weight, bool) or not isinstance(weight, int):
            c.problem((*at, 1), "a fractional weight must be an integer", _NULL_EFFECT)
            invalid = True
            continue
        if weight < 0:
            c.problem((*at, 1), "a negative fractional weight", "clamped to 0, as flagd does")
            weight = 0
        variants.append(variant)
        weights.append(weight)
    if invalid:
        return _INVALID
    if dynamic:
        return None
    total = sum(weights)
    if total == 0:
        c.problem(path, "fractional weights must not all be zero", _NULL_EFFECT)
        return _INVALID
    if c.bucketing is not Bucketing.LEGACY and total > MAX_WEIGHT_SUM:
        c.problem(path, f"fractional weights sum to {total}, above {MAX_WEIGHT_SUM}", _NULL_EFFECT)
        return _INVALID
    return variants, weights


def _fractional(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:  # noqa: PLR0911 - one return per specialised form
    if not root:
        c.problem(
            path,
            "fractional is not supported inside map/filter/reduce/all/some/none",
            "GENERAL when evaluated",
        )

        def nested_fn(_data: Any) -> Any:
            raise TypeError("fractional inside map/filter/reduce/all/some/none")

        return Node(nested_fn)
    if not args:
        return Node.constant(None)
    algorithm = Bucketing(c.bucketing)
    shorthand = isinstance(args[0], list)
    buckets = args if shorthand else args[1:]
    static = _static_buckets(c, buckets, path, 0 if shorthand else 1)
    nodes = c.args(args, path, root)
    if shorthand:
        c.uses_shorthand_fractional = True
    if isinstance(static, _Invalid):
        return _evaluate_then_null(nodes)
    if shorthand:
        if static is not None:
            dist = Distribution(algorithm, c.flag_key, *static)
            return Node(dist.targeting_key_picker())
    elif static is not None:
        seed = nodes[0]
        if seed.is_const and (seed.const is None or isinstance(seed.const, list)):
            return _generic(c, algorithm, nodes)
        dist = Distribution(algorithm, c.flag_key, *static)
        return _seeded(algorithm, dist, seed.fn, _generic(c, algorithm, nodes).fn)
    return _generic(c, algorithm, nodes)


def _evaluate_then_null(nodes: list[Node]) -> Node:
    """Arguments are still evaluated (they may fail) before flagd's fractional returns null."""
    fns = tuple(node.fn for node in nodes if not node.is_const)

    def null_fn(data: Any) -> None:
        for fn in fns:
            fn(data)

    return Node(null_fn)


def _seeded(algorithm: Bucketing, dist: Distribution, seed_fn: Evaluator, slow: Evaluator) -> Node:
    by_value, by_key = dist.by_value, dist.by_targeting_key
    if algorithm is Bucketing.CBOR:

        def seeded_cbor(data: Any) -> Any:
            value = seed_fn(data)
            if isinstance(value, list | tuple):
                return slow(data)
            return by_value(value)

        return Node(seeded_cbor)

    def seeded_string(data: Any) -> Any:
        value = seed_fn(data)
        if type(value) is str:
            return by_value(value)
        if value is None:
            return by_key(data.get("targetingKey"))
        return slow(data)

    return Node(seeded_string)


def _generic(c: Compiler, algorithm: Bucketing, nodes: list[Node]) -> Node:
    """Fully dynamic form: every argument is evaluated, then validated, as flagd does."""
    fns = tuple(node.fn for node in nodes)
    flag_key = c.flag_key

    def fractional_fn(data: Any) -> Any:
        values = [fn(data) for fn in fns]
        first = values[0]
        shorthand = isinstance(first, list | tuple)
        if algorithm is not Bucketing.CBOR and first is None:
            values = values[1:]
            shorthand = True
        elif algorithm is not Bucketing.CBOR and not isinstance(first, str):
            shorthand = True
        buckets = values if shorthand else values[1:]
        parsed = parse_weights(buckets, algorithm)
        if parsed is None:
            return None
        dist = Distribution(algorithm, flag_key, *parsed)
        if shorthand:
            return dist.by_targeting_key(data.get("targetingKey"))
        if algorithm is Bucketing.CBOR and first is None:
            return None
        return dist.by_value(first)

    return Node(fractional_fn)


OPERATORS["fractional"] = _fractional
