"""Compiler for flagd's ``fractional`` operator (pseudo-random, sticky traffic splits)."""

from __future__ import annotations

from typing import Any

from .bucketing import MAX_WEIGHT_SUM, Bucketing, Distribution, parse_weights
from .compiler import OPERATORS, Compiler
from .nodes import Evaluator, Node

__all__: list[str] = []

Path = tuple[str | int, ...]
_VARIANT_LITERALS = (str, bool, int, float)


def _static_buckets(
    c: Compiler, buckets: list[Any], path: Path, offset: int
) -> tuple[list[Any], list[int]] | None:
    """Validate literal buckets; ``None`` when some bucket is computed at evaluation time."""
    variants: list[Any] = []
    weights: list[int] = []
    dynamic = False
    for i, bucket in enumerate(buckets):
        at = c.child(path, offset + i)
        if isinstance(bucket, dict):
            dynamic = True
            continue
        if not isinstance(bucket, list):
            raise c.fail(at, "a fractional bucket must be an array [variant, weight]")
        if not bucket or len(bucket) > 2:
            raise c.fail(at, "a fractional bucket must have one or two elements")
        variant = bucket[0]
        if isinstance(variant, dict | list):
            dynamic = True
        elif variant is not None and not isinstance(variant, _VARIANT_LITERALS):
            raise c.fail((*at, 0), "a fractional variant must be a string, number, bool or null")
        weight: Any = bucket[1] if len(bucket) == 2 else 1
        if isinstance(weight, dict | list):
            dynamic = True
            continue
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise c.fail((*at, 1), "a fractional weight must be an integer")
        if weight < 0:
            raise c.fail((*at, 1), "a fractional weight must not be negative")
        variants.append(variant)
        weights.append(weight)
    if dynamic:
        return None
    total = sum(weights)
    if total == 0:
        raise c.fail(path, "fractional weights must not all be zero")
    if c.bucketing is not Bucketing.LEGACY and total > MAX_WEIGHT_SUM:
        raise c.fail(path, f"fractional weights sum to {total}, above {MAX_WEIGHT_SUM}")
    return variants, weights


def _fractional(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    if not root:
        raise c.fail(path, "fractional is not supported inside map/filter/reduce/all/some/none")
    if not args:
        return Node.constant(None)
    algorithm = Bucketing(c.bucketing)
    shorthand = isinstance(args[0], list)
    buckets = args if shorthand else args[1:]
    static = _static_buckets(c, buckets, path, 0 if shorthand else 1)
    nodes = c.args(args, path, root)
    if shorthand:
        c.uses_shorthand_fractional = True
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
