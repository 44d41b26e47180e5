"""Compiled JsonLogic nodes: a callable of the evaluation data plus what is known statically."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Evaluator", "Node"]

Evaluator = Callable[[Any], Any]


class Node:
    """One compiled JsonLogic node.

    ``fn(data)`` computes the node's value. ``is_const`` marks values known at compile time
    (``const``). ``boolean`` marks nodes that always return a real ``bool``; ``plain_truth``
    marks nodes whose values (bool or null) have the same truthiness in Python and JsonLogic, so
    that conditions can skip the JsonLogic truthiness call. ``root_key`` names the context key
    of a plain top-level ``var`` so that parents can inline the lookup; ``branches`` describes an
    ``if`` with constant results so that a flag can map its condition straight to resolutions.
    """

    __slots__ = ("boolean", "branches", "const", "fn", "is_const", "plain_truth", "root_key")

    def __init__(
        self,
        fn: Evaluator,
        *,
        is_const: bool = False,
        const: Any = None,
        boolean: bool = False,
        plain_truth: bool = False,
        root_key: str | None = None,
    ) -> None:
        self.fn = fn
        self.is_const = is_const
        self.const = const
        self.boolean = boolean
        self.plain_truth = plain_truth or boolean
        self.root_key = root_key
        # (condition, then, else) of an ``if`` whose results are constants, for the resolver
        self.branches: tuple[Evaluator, Any, Any] | None = None

    @classmethod
    def constant(cls, value: Any) -> Node:
        def fn(_data: Any) -> Any:
            return value

        return cls(fn, is_const=True, const=value, boolean=type(value) is bool)
