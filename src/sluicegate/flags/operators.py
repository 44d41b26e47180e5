"""Compilers for arithmetic, string, array and flagd's string/semver operators."""

from __future__ import annotations

import math
from typing import Any

from .coercion import NAN, to_number, to_string
from .compiler import OPERATORS, Compiler
from .control import as_condition
from .nodes import Evaluator, Node
from .versions import SEMVER_OPERATORS, parse_version

__all__: list[str] = []

Path = tuple[str | int, ...]
_NULL = "sem_ver returns null: the flag's default variant"


def _fns(c: Compiler, args: list[Any], path: Path, root: bool) -> tuple[Evaluator, ...]:
    return tuple(node.fn for node in c.args(args, path, root))


def _padded_fns(
    c: Compiler, args: list[Any], path: Path, root: bool, count: int
) -> tuple[Evaluator, ...]:
    fns = _fns(c, args, path, root)
    return fns + (Node.constant(None).fn,) * (count - len(fns))


def _add(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    fns = _fns(c, args, path, root)

    def add_fn(data: Any) -> float | int:
        total: float | int = 0
        for fn in fns:
            total += to_number(fn(data))
        return total

    return Node(add_fn)


def _mul(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    fns = _fns(c, args, path, root)

    def mul_fn(data: Any) -> float | int:
        product: float | int = 1
        for fn in fns:
            product *= to_number(fn(data))
        return product

    return Node(mul_fn)


def _sub(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    fns = _padded_fns(c, args, path, root, 2)
    fa, fb, extra = fns[0], fns[1], fns[2:]

    def sub_fn(data: Any) -> float | int:
        a, b = fa(data), fb(data)
        for fn in extra:
            fn(data)
        return -to_number(a) if b is None else to_number(a) - to_number(b)

    return Node(sub_fn)


def _binary(op: str) -> Any:
    def compile_binary(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
        fns = _padded_fns(c, args, path, root, 2)
        fa, fb, extra = fns[0], fns[1], fns[2:]

        def binary_fn(data: Any) -> float | int:
            a, b = to_number(fa(data)), to_number(fb(data))
            for fn in extra:
                fn(data)
            return a / b if op == "/" else a % b

        return Node(binary_fn)

    return compile_binary


def _extreme(pick: Any) -> Any:
    def compile_extreme(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
        fns = _fns(c, args, path, root)
        if not fns:
            return Node.constant(NAN)
        return Node(lambda data: pick(to_number(fn(data)) for fn in fns))

    return compile_extreme


def _cat(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    fns = _fns(c, args, path, root)
    if len(fns) == 2:
        fa, fb = fns
        return Node(lambda data: to_string(fa(data)) + to_string(fb(data)))
    return Node(lambda data: "".join(to_string(fn(data)) for fn in fns))


def _substr_bounds(length_of: int, index: Any, length: Any) -> tuple[int, int]:
    index = to_number(index)
    if math.isnan(index):
        start = 0
    elif index < 0:
        start = 0 if -index >= length_of else length_of - int(-index)
    else:
        start = min(int(index), length_of)
    if length is None:
        return start, length_of
    length = to_number(length)
    if math.isnan(length):
        return start, start
    count = int(length)
    if count < 0:
        return start, max(length_of + count, start)
    return start, start + count


def _substr(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    fns = _padded_fns(c, args, path, root, 3)
    fs, fi, fl, extra = fns[0], fns[1], fns[2], fns[3:]

    def substr_fn(data: Any) -> str:
        text, index, length = to_string(fs(data)), fi(data), fl(data)
        for fn in extra:
            fn(data)
        start, end = _substr_bounds(len(text), index, length)
        return text[start:end]

    return Node(substr_fn)


def _merge(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    fns = _fns(c, args, path, root)

    def merge_fn(data: Any) -> list[Any]:
        items: list[Any] = []
        for fn in fns:
            value = fn(data)
            if isinstance(value, list):
                items.extend(value)
            else:
                items.append(value)
        return items

    return Node(merge_fn)


def _in(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    nodes = c.args(args, path, root)
    needle, haystack = (nodes + [Node.constant(None)] * 2)[:2]
    extra = tuple(node.fn for node in nodes[2:])
    fn_needle = needle.fn
    if haystack.is_const and isinstance(haystack.const, list) and not extra:
        items = haystack.const
        try:
            members = frozenset(items)
        except TypeError:
            members = None
        if members is not None:

            def in_set_fn(data: Any) -> bool:
                value = fn_needle(data)
                try:
                    return value in members
                except TypeError:
                    return value in items

            return Node(in_set_fn, boolean=True)
    fn_haystack = haystack.fn

    def in_fn(data: Any) -> bool:
        value, container = fn_needle(data), fn_haystack(data)
        for fn in extra:
            fn(data)
        if isinstance(container, list):
            return value in container
        if isinstance(container, str):
            return to_string(value) in container
        return False

    return Node(in_fn, boolean=True)


def _items_op(kind: str) -> Any:
    """``map``/``filter``/``all``/``some``/``none``: the sub-rule runs with each item as data."""

    def compile_items(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
        items_fn = c.compile(args[0], c.child(path, 0), root).fn if args else None
        sub = c.compile(args[1], c.child(path, 1), root=False) if len(args) > 1 else None
        if items_fn is None or (sub is None and kind != "map"):
            return Node.constant({"map": [], "filter": [], "none": True}.get(kind, False))
        cond = as_condition(sub) if sub is not None else None
        sub_fn = sub.fn if sub is not None else Node.constant(None).fn

        def items_fn_(data: Any) -> Any:
            items = items_fn(data)
            if not isinstance(items, list):
                return {"map": [], "filter": [], "none": True}.get(kind, False)
            if kind == "map":
                return [sub_fn(item) for item in items]
            assert cond is not None
            if kind == "filter":
                return [item for item in items if cond(item)]
            if kind == "all":
                return bool(items) and all(cond(item) for item in items)
            if kind == "some":
                return any(cond(item) for item in items)
            return not any(cond(item) for item in items)

        return Node(items_fn_, boolean=kind in ("all", "some", "none"))

    return compile_items


def _reduce(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    if not args:
        return Node.constant(None)
    items_fn = c.compile(args[0], c.child(path, 0), root).fn
    sub_fn = c.compile(args[1], c.child(path, 1), root=False).fn if len(args) > 1 else None
    initial = args[2] if len(args) > 2 else None

    def reduce_fn(data: Any) -> Any:
        items = items_fn(data)
        if not isinstance(items, list):
            return initial
        scope: dict[str, Any] = {"accumulator": initial}
        for item in items:
            scope["current"] = item
            scope["accumulator"] = None if sub_fn is None else sub_fn(scope)
        return scope["accumulator"]

    return Node(reduce_fn)


def _affix(check: str) -> Any:
    """flagd's ``starts_with``/``ends_with``: exactly two string arguments, else null."""

    def compile_affix(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
        nodes = c.args(args, path, root)
        if len(nodes) != 2:
            return _evaluate_all_then(nodes, None)
        subject, affix = nodes
        method = str.startswith if check == "starts" else str.endswith
        if affix.is_const and isinstance(affix.const, str):
            return _affix_const(subject, method, affix.const)
        fs, fa = subject.fn, affix.fn

        def affix_fn(data: Any) -> bool | None:
            value, part = fs(data), fa(data)
            if not isinstance(part, str):
                return None
            return _str_call(value, method, part)

        return Node(affix_fn, plain_truth=True)

    return compile_affix


def _affix_const(subject: Node, method: Any, text: str) -> Node:
    key = subject.root_key
    if key is not None:

        def affix_key_fn(data: Any) -> bool | None:
            value = data.get(key)
            if type(value) is str:
                return method(value, text)  # type: ignore[no-any-return]
            return _str_call(value, method, text)

        return Node(affix_key_fn, plain_truth=True)
    fs = subject.fn
    return Node(lambda data: _str_call(fs(data), method, text), plain_truth=True)


def _str_call(value: Any, method: Any, part: str) -> bool | None:
    if not isinstance(value, str):
        return None
    return bool(method(value, part))


def _evaluate_all_then(nodes: list[Node], result: Any) -> Node:
    fns = tuple(node.fn for node in nodes if not node.is_const)

    def evaluate_fn(data: Any) -> Any:
        for fn in fns:
            fn(data)
        return result

    return Node(evaluate_fn)


def _sem_ver(c: Compiler, args: list[Any], path: Path, root: bool) -> Node:
    nodes = c.args(args, path, root)
    if len(nodes) != 3:
        return _evaluate_all_then(nodes, None)
    left, op, right = nodes
    if op.is_const and right.is_const:
        compare = SEMVER_OPERATORS.get(op.const) if isinstance(op.const, str) else None
        target = parse_version(right.const)
        if compare is None:
            c.problem(c.child(path, 1), f"unsupported sem_ver operator {op.const!r}", _NULL)
        if target is None:
            c.problem(c.child(path, 2), f"invalid semantic version {right.const!r}", _NULL)
        if compare is None or target is None:
            return _evaluate_all_then(nodes, None)
        fl = left.fn

        def sem_ver_fn(data: Any) -> bool | None:
            version = parse_version(fl(data))
            return None if version is None else compare(version, target)

        return Node(sem_ver_fn, plain_truth=True)
    fl, fo, fr = left.fn, op.fn, right.fn

    def sem_ver_dynamic(data: Any) -> bool | None:
        a, operator, b = fl(data), fo(data), fr(data)
        va, vb = parse_version(a), parse_version(b)
        compare = SEMVER_OPERATORS.get(operator) if isinstance(operator, str) else None
        if va is None or vb is None or compare is None:
            return None
        return compare(va, vb)

    return Node(sem_ver_dynamic, plain_truth=True)


OPERATORS.update(
    {
        "+": _add,
        "*": _mul,
        "-": _sub,
        "/": _binary("/"),
        "%": _binary("%"),
        "min": _extreme(min),
        "max": _extreme(max),
        "cat": _cat,
        "substr": _substr,
        "merge": _merge,
        "in": _in,
        "map": _items_op("map"),
        "filter": _items_op("filter"),
        "all": _items_op("all"),
        "some": _items_op("some"),
        "none": _items_op("none"),
        "reduce": _reduce,
        "starts_with": _affix("starts"),
        "ends_with": _affix("ends"),
        "sem_ver": _sem_ver,
    }
)
