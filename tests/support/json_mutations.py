"""Mutating recorded JSON payloads for property tests: drop a key or replace a value anywhere."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

from hypothesis import strategies as st

__all__ = ["mutate", "mutate_some", "paths"]


def paths(node: object, prefix: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    """Every key path inside ``node`` (object keys and list indexes), parents first."""
    items: list[tuple[object, object]] = []
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    for key, child in items:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def mutate(doc: Any, path: tuple[object, ...], replacement: object, drop: bool) -> None:
    """Drop the value at ``path`` in ``doc``, or replace it with a copy of ``replacement``."""
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if drop:
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(replacement)


def mutate_some(draw: st.DrawFn, doc: Any, replacements: Sequence[object]) -> Any:
    """``doc`` after one to three drawn mutations (in place)."""
    for _ in range(draw(st.integers(1, 3))):
        found = list(paths(doc))
        if not found:
            break
        path = draw(st.sampled_from(found))
        mutate(doc, path, draw(st.sampled_from(replacements)), draw(st.booleans()))
    return doc
