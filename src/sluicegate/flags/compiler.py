"""Compile JsonLogic (with flagd's extensions) into a tree of closures.

Operator names are dispatched once, here, at compile time; evaluating a compiled rule only calls
closures. Rules see the evaluation context as their data; ``$flagd.flagKey`` is folded to a
constant and ``$flagd.timestamp`` is read from the clock only by the nodes that use it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from .errors import Finding, FlagDefinitionError, InvalidRule, pointer
from .nodes import Evaluator, Node

__all__ = ["OPERATORS", "Compiler", "OperatorCompiler", "full_data", "lookup"]

OperatorCompiler = Callable[["Compiler", list[Any], tuple[str | int, ...], bool], Node]

# Filled by the operator modules (``control``, ``operators``, ``fractional``) on import.
OPERATORS: dict[str, OperatorCompiler] = {}

# Operators whose value depends only on their arguments: folded when every argument is constant.
PURE = frozenset(
    {
        "==", "===", "!=", "!==", "!", "!!", "<", "<=", ">", ">=", "+", "-", "*", "/", "%",
        "min", "max", "cat", "substr", "merge", "in", "sem_ver", "starts_with", "ends_with",
    }
)  # fmt: skip


def lookup(data: Any, key: Any, default: Any = None) -> Any:  # noqa: PLR0911, PLR0912 - mirrors JsonLogic var step by step
    """JsonLogic ``var`` over arbitrary data (dotted paths, list indexes, ``length``)."""
    if key is None or key == "":
        return data
    if isinstance(key, int | float) and not isinstance(key, bool):
        if isinstance(data, list | str):
            index = int(key)
            if index != key or index < 0 or index >= len(data):
                return default
            return data[index]
        if not isinstance(data, dict):
            return default
        data = data.get(key)
        if data is None:
            return default
    from .coercion import to_string

    for prop in to_string(key).split("."):
        if isinstance(data, list | str):
            if prop == "length":
                return len(data)
            try:
                index = int(prop, 10)
            except ValueError:
                return default
            if prop != str(index) or index < 0 or index >= len(data):
                return default
            data = data[index]
        elif isinstance(data, dict):
            data = data.get(prop)
        else:
            return default
    return default if data is None else data


def full_data(context: Mapping[str, Any], flag_key: str) -> dict[str, Any]:
    """The whole data object a rule sees, as flagd builds it (only for dynamic lookups)."""
    data = dict(context)
    data["$flagd"] = {"flagKey": flag_key, "timestamp": int(time.time())}
    data["targetingKey"] = context.get("targetingKey")
    return data


class Compiler:
    """Compiles one flag's targeting rule; ``$ref`` rules are inlined with cycle detection.

    A problem flagd tolerates is compiled into the behaviour flagd gives it at evaluation and
    recorded in ``findings`` with its JSON pointer.
    """

    def __init__(
        self,
        flag_key: str,
        evaluators: Mapping[str, Any],
        bucketing: str,
        *,
        require_targeting_key: bool = False,
        findings: list[Finding] | None = None,
    ) -> None:
        self.findings: list[Finding] = [] if findings is None else findings
        self.flag_key = flag_key
        self.evaluators = evaluators
        self.bucketing = bucketing
        self.require_targeting_key = require_targeting_key
        self.uses_shorthand_fractional = False
        self._ref_stack: list[str] = []
        self._scalar_args: set[tuple[str | int, ...]] = set()

    def fail(self, path: tuple[str | int, ...], reason: str) -> FlagDefinitionError:
        return FlagDefinitionError(pointer(*path), reason)

    def problem(self, path: tuple[str | int, ...], reason: str, effect: str) -> None:
        """Record a problem that flagd tolerates (the rule still compiles)."""
        found = Finding(pointer(*path), reason, effect)
        if found not in self.findings:
            self.findings.append(found)

    def invalid(self, path: tuple[str | int, ...], reason: str, args: Node | None = None) -> Node:
        """A rule flagd cannot parse: evaluating it gives ``PARSE_ERROR``, as in flagd.

        ``args``: an unknown operator's arguments, evaluated first as JsonLogic does, so an
        argument that fails (``%`` of nulls) fails the same way before the operator is looked up.
        """
        self.problem(path, reason, "PARSE_ERROR when evaluated")
        message = f"{pointer(*path)}: {reason}"
        arg_fn = None if args is None or args.is_const else args.fn

        def invalid_fn(data: Any) -> Any:
            if arg_fn is not None:
                arg_fn(data)
            raise InvalidRule(message)

        return Node(invalid_fn)

    def compile(self, node: Any, path: tuple[str | int, ...], root: bool = True) -> Node:  # noqa: PLR0911 - one return per JSON shape
        if isinstance(node, list):
            items = [self.compile(item, (*path, i), root) for i, item in enumerate(node)]
            if all(item.is_const for item in items):
                return Node.constant([item.const for item in items])
            fns = tuple(item.fn for item in items)

            def list_fn(data: Any) -> list[Any]:
                return [fn(data) for fn in fns]

            return Node(list_fn)
        if isinstance(node, dict):
            if not node:
                return Node.constant({})
            if len(node) != 1:
                self.problem(
                    path,
                    "a rule object must have exactly one operator key",
                    "read as a literal object (GENERAL if returned as a variant)",
                )
                return Node.constant(dict(node))
            op, args = next(iter(node.items()))
            if op == "$ref":
                return self._compile_ref(args, (*path, op), root)
            compiler = OPERATORS.get(op)
            if compiler is None:
                operands = self.compile(
                    args if isinstance(args, list) else [args], (*path, op), root
                )
                return self.invalid((*path, op), f"unknown operator {op!r}", operands)
            arg_list = args if isinstance(args, list) else [args]
            arg_path = (*path, op)
            if not isinstance(args, list):
                self._scalar_args.add(arg_path)
            compiled = compiler(self, arg_list, arg_path, root)
            if op in PURE and not compiled.is_const:
                compiled = self._fold(compiled, arg_list)
            return compiled
        if isinstance(node, str | int | float | bool) or node is None:
            return Node.constant(node)
        raise self.fail(path, f"unsupported value of type {type(node).__name__}")

    def args(self, args: list[Any], path: tuple[str | int, ...], root: bool) -> list[Node]:
        return [self.compile(arg, self.child(path, i), root) for i, arg in enumerate(args)]

    def child(self, path: tuple[str | int, ...], index: int) -> tuple[str | int, ...]:
        """The pointer of an operator argument (a lone non-array argument has no index)."""
        if index == 0 and path in self._scalar_args:
            return path
        return (*path, index)

    def _fold(self, compiled: Node, args: list[Any]) -> Node:
        if not all(_is_literal(arg) for arg in args):
            return compiled
        try:
            value = compiled.fn(None)
        except Exception:  # a folding failure stays an evaluation-time error
            return compiled
        return Node.constant(value)

    def _compile_ref(self, name: Any, path: tuple[str | int, ...], root: bool) -> Node:
        if not isinstance(name, str) or name not in self.evaluators:
            return self.invalid(path, f"$ref to unknown evaluator {name!r}")
        if name in self._ref_stack:
            chain = " -> ".join([*self._ref_stack, name])
            return self.invalid(path, f"cyclic $ref: {chain}")
        self._ref_stack.append(name)
        try:
            return self.compile(self.evaluators[name], ("$evaluators", name), root)
        finally:
            self._ref_stack.pop()

    def var_node(self, key: Any, default: Node | None, root: bool) -> Node:
        """A ``var`` lookup with a constant key, specialised for the common shapes."""
        dflt = None if default is None else default.const
        if default is not None and not default.is_const:
            return self._var_dynamic(Node.constant(key), default, root)
        if isinstance(key, str) and key:
            props = key.split(".")
            if root and props[0] == "$flagd":
                return self._flagd_var(props, dflt)
            if root and len(props) == 1:
                return _root_get(key, dflt)
            if root and len(props) == 2 and "length" not in props:
                return _root_get2(props[0], props[1], key, dflt)
        if root and (key is None or key == ""):
            flag_key = self.flag_key
            return Node(lambda data: full_data(data, flag_key))
        return Node(lambda data: lookup(data, key, dflt))

    def var_dynamic(self, key: Node, default: Node | None, root: bool) -> Node:
        return self._var_dynamic(key, default or Node.constant(None), root)

    def _var_dynamic(self, key: Node, default: Node, root: bool) -> Node:
        key_fn, default_fn, flag_key = key.fn, default.fn, self.flag_key
        if root:
            return Node(
                lambda data: lookup(full_data(data, flag_key), key_fn(data), default_fn(data))
            )
        return Node(lambda data: lookup(data, key_fn(data), default_fn(data)))

    def _flagd_var(self, props: list[str], default: Any) -> Node:
        rest = props[1:]
        if rest == ["flagKey"]:
            return Node.constant(self.flag_key)
        if rest == ["timestamp"]:
            return Node(lambda _data: int(time.time()))
        flag_key = self.flag_key

        def flagd_fn(_data: Any) -> Any:
            value = {"flagKey": flag_key, "timestamp": int(time.time())}
            return lookup(value, ".".join(rest), default) if rest else value

        return Node(flagd_fn)

    def data_fn(self, root: bool) -> Evaluator:
        """The whole data for operators that look keys up dynamically (``missing``)."""
        if not root:
            return _identity
        flag_key = self.flag_key
        return lambda data: full_data(data, flag_key)


def _identity(data: Any) -> Any:
    return data


def _is_literal(node: Any) -> bool:
    if isinstance(node, dict):
        return not node
    if isinstance(node, list):
        return all(_is_literal(item) for item in node)
    return True


def _root_get(key: str, default: Any) -> Node:
    if default is None:
        return Node(lambda data: data.get(key), root_key=key)

    def get_fn(data: Any) -> Any:
        value = data.get(key)
        return default if value is None else value

    return Node(get_fn)


def _root_get2(first: str, second: str, key: str, default: Any) -> Node:
    def get2_fn(data: Any) -> Any:
        inner = data.get(first)
        if type(inner) is dict:
            value = inner.get(second)
            return default if value is None else value
        return lookup(data, key, default)

    return Node(get2_fn)
