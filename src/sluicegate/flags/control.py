"""Compilers for data access, control flow, logic and comparison operators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .coercion import (
    greater,
    greater_equal,
    less,
    less_equal,
    loose_equals,
    to_number,
    truthy,
)
from .compiler import OPERATORS, Compiler, lookup
from .nodes import Evaluator, Node

__all__ = ["as_condition"]

Path = tuple[str | int, ...]


def as_condition(node: Node) -> Evaluator:
    """A callable whose Python truthiness is the node's JsonLogic truthiness."""
    if node.plain_truth:
        return node.fn
    fn = node.fn
    return lambda data: truthy(fn(data))


def _var(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    nodes = c.args(args, path, root)
    key = nodes[0] if nodes else Node.constant(None)
    default = nodes[1] if len(nodes) > 1 else None
    if key.is_const:
        return c.var_node(key.const, default, root)
    return c.var_dynamic(key, default, root)


def _missing_keys(data: Any, keys: Any) -> list[Any]:
    out = []
    for key in keys:
        value = lookup(data, key)
        if value is None or value == "":
            out.append(key)
    return out


def _missing(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    fns = tuple(node.fn for node in c.args(args, path, root))
    whole = c.data_fn(root)

    def missing_fn(data: Any) -> list[Any]:
        values = [fn(data) for fn in fns]
        keys = values[0] if values and isinstance(values[0], list) else values
        return _missing_keys(whole(data), keys)

    return Node(missing_fn)


def _missing_some(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    nodes = c.args(args, path, root)
    need_fn = nodes[0].fn if nodes else Node.constant(0).fn
    keys_fn = nodes[1].fn if len(nodes) > 1 else Node.constant(None).fn
    extra = tuple(node.fn for node in nodes[2:])
    whole = c.data_fn(root)

    def missing_some_fn(data: Any) -> list[Any]:
        need, keys = need_fn(data), keys_fn(data)
        for fn in extra:
            fn(data)
        if not isinstance(keys, list):
            return []
        missing = _missing_keys(whole(data), keys)
        return [] if len(keys) - len(missing) >= to_number(need) else missing

    return Node(missing_some_fn)


def _if(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    nodes = c.args(args, path, root)
    if not nodes:
        return Node.constant(None)
    if len(nodes) == 1:
        return nodes[0]
    if len(nodes) == 3:
        return _if3(*nodes)
    pairs = tuple((as_condition(nodes[i]), nodes[i + 1].fn) for i in range(0, len(nodes) - 1, 2))
    otherwise = nodes[-1].fn if len(nodes) % 2 else None

    def if_fn(data: Any) -> Any:
        for cond, then in pairs:
            if cond(data):
                return then(data)
        return None if otherwise is None else otherwise(data)

    return Node(if_fn)


def _if3(cond_node: Node, then: Node, other: Node) -> Node:
    if cond_node.is_const:
        return then if truthy(cond_node.const) else other
    cond = as_condition(cond_node)
    boolean = then.boolean and other.boolean
    if then.is_const and other.is_const and cond_node.root_key is not None:
        yes, no, key = then.const, other.const, cond_node.root_key
        return Node(lambda data: yes if truthy(data.get(key)) else no, boolean=boolean)
    if then.is_const and other.is_const:
        yes, no = then.const, other.const
        node = Node(lambda data: yes if cond(data) else no, boolean=boolean)
        node.branches = (cond, yes, no)
        return node
    then_fn, other_fn = then.fn, other.fn
    return Node(lambda data: then_fn(data) if cond(data) else other_fn(data), boolean=boolean)


def _and(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    fns = tuple(node.fn for node in c.args(args, path, root))

    def and_fn(data: Any) -> Any:
        current = None
        for fn in fns:
            current = fn(data)
            if not truthy(current):
                return current
        return current

    return Node(and_fn)


def _or(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    fns = tuple(node.fn for node in c.args(args, path, root))

    def or_fn(data: Any) -> Any:
        current = None
        for fn in fns:
            current = fn(data)
            if truthy(current):
                return current
        return current

    return Node(or_fn)


def _not(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    nodes = c.args(args, path, root)
    if not nodes:
        return Node.constant(True)
    fn = as_condition(nodes[0])
    return _with_extras(Node(lambda data: not fn(data), boolean=True), nodes[1:])


def _not_not(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    nodes = c.args(args, path, root)
    if not nodes:
        return Node.constant(False)
    if nodes[0].boolean:
        return _with_extras(nodes[0], nodes[1:])
    fn = nodes[0].fn
    return _with_extras(Node(lambda data: truthy(fn(data)), boolean=True), nodes[1:])


def _with_extras(node: Node, extras: list[Node]) -> Node:
    """Evaluate ignored trailing arguments too (they may fail), as eager JsonLogic does."""
    dynamic = tuple(extra.fn for extra in extras if not extra.is_const)
    if not dynamic:
        return node
    fn = node.fn

    def extras_fn(data: Any) -> Any:
        result = fn(data)
        for extra in dynamic:
            extra(data)
        return result

    return Node(extras_fn, boolean=node.boolean)


def _padded(nodes: list[Node], count: int) -> list[Node]:
    return nodes[:count] + [Node.constant(None)] * (count - len(nodes))


def _equality(compare: Callable[[Any, Any], bool], negate: bool) -> Any:
    def compile_equality(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
        nodes = c.args(args, path, root)
        a, b = _padded(nodes, 2)
        if compare is loose_equals and b.is_const and not a.is_const:
            node = _loose_equals_const(a.fn, b.const, negate)
        else:
            fa, fb = a.fn, b.fn
            if negate:
                node = Node(lambda data: not compare(fa(data), fb(data)), boolean=True)
            else:
                node = Node(lambda data: compare(fa(data), fb(data)), boolean=True)
        return _with_extras(node, nodes[2:])

    return compile_equality


def _loose_equals_const(fa: Evaluator, expected: Any, negate: bool) -> Node:
    fast_type = type(expected) if type(expected) in (str, int, float) else None
    numeric = fast_type in (int, float)

    def eq_fn(data: Any) -> bool:
        value = fa(data)
        kind = type(value)
        if kind is fast_type or (numeric and (kind is int or kind is float)):
            return (value == expected) is not negate
        return loose_equals(value, expected) is not negate

    return Node(eq_fn, boolean=True)


def _strict_equals(a: Any, b: Any) -> bool:
    return bool(a == b)


def _ordering(compare: Callable[[Any, Any], bool]) -> Any:
    def compile_ordering(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
        nodes = c.args(args, path, root)
        a, b, third = _padded(nodes, 3)
        fa, fb = a.fn, b.fn
        if third.is_const and third.const is None:
            node = Node(lambda data: compare(fa(data), fb(data)), boolean=True)
            return _with_extras(node, nodes[3:])
        fc = third.fn

        def between_fn(data: Any) -> bool:
            low, mid, high = fa(data), fb(data), fc(data)
            if high is None:
                return compare(low, mid)
            return compare(low, mid) and compare(mid, high)

        return _with_extras(Node(between_fn, boolean=True), nodes[3:])

    return compile_ordering


OPERATORS.update(
    {
        "var": _var,
        "missing": _missing,
        "missing_some": _missing_some,
        "if": _if,
        "?:": _if,
        "and": _and,
        "or": _or,
        "!": _not,
        "!!": _not_not,
        "==": _equality(loose_equals, negate=False),
        "!=": _equality(loose_equals, negate=True),
        "===": _equality(_strict_equals, negate=False),
        "!==": _equality(_strict_equals, negate=True),
        "<": _ordering(less),
        "<=": _ordering(less_equal),
        ">": _ordering(greater),
        ">=": _ordering(greater_equal),
    }
)
