"""Checks evidence facts against thresholds from a process definition.

Thresholds map a dotted key to operators, e.g.
``{"coverage.line_rate": {"min": 0.8}, "sarif.high": {"max": 0},
"chaos.status": {"eq": "completed"}, "k6.p99_ms": {"max": 300}}``.
The first key segment is a facts namespace (``junit``, ``coverage``, ``sarif``, ``k6``,
``jmeter``, ``chaos``, ``links``, ``cost_benefit``); the rest walks that facts' ``to_dict()``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sluicegate.domain.canonical import normalize
from sluicegate.domain.errors import InvalidInput
from sluicegate.domain.gates.evidence.dispatcher import EvidenceFacts
from sluicegate.domain.gates.evidence.link import LinkFacts

__all__ = [
    "OPERATORS",
    "ThresholdReport",
    "ThresholdResult",
    "ThresholdSpecError",
    "evaluate_thresholds",
    "facts_document",
    "show",
]

OPERATORS = ("min", "max", "gt", "lt", "eq", "ne", "in", "not_in")
_MISSING = object()


class ThresholdSpecError(InvalidInput, ValueError):
    """The threshold definition itself is invalid."""

    code = "invalid-threshold"


@dataclass(frozen=True, slots=True)
class ThresholdResult:
    key: str
    passed: bool
    actual: Any
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "passed": self.passed,
            "actual": self.actual,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class ThresholdReport:
    results: tuple[ThresholdResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(reason for r in self.results if not r.passed for reason in r.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "results": [r.to_dict() for r in self.results]}


def facts_document(facts: Iterable[EvidenceFacts]) -> dict[str, Any]:
    """Key each facts' ``to_dict()`` by its namespace; links are summarised under ``links``."""
    doc: dict[str, Any] = {}
    links: list[LinkFacts] = []
    for fact in facts:
        if isinstance(fact, LinkFacts):
            links.append(fact)
            continue
        if fact.namespace in doc:
            raise ValueError(f"more than one {fact.namespace!r} evidence artifact")
        doc[fact.namespace] = fact.to_dict()
    if links:
        doc["links"] = {
            "count": len(links),
            "types": sorted({link.link_type for link in links}),
            "urls": [link.url for link in links],
        }
    return doc


def _lookup(doc: Mapping[str, Any], key: str) -> Any:
    node: Any = doc
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _validate(key: str, spec: Any) -> Mapping[str, Any]:
    if not isinstance(spec, Mapping) or not spec:
        raise ThresholdSpecError(f"threshold {key!r} must be a non-empty mapping of operators")
    for op, bound in spec.items():
        if op not in OPERATORS:
            raise ThresholdSpecError(f"threshold {key!r}: unknown operator {op!r}")
        if op in ("min", "max", "gt", "lt") and not _is_number(bound):
            raise ThresholdSpecError(f"threshold {key!r}: {op} needs a number, got {bound!r}")
        if op in ("in", "not_in") and not isinstance(bound, list | tuple):
            raise ThresholdSpecError(f"threshold {key!r}: {op} needs a list")
    return spec


def show(value: Any) -> str:
    """A value as reasons print it: ``repr``, with integral floats as integers.

    A decision is replayed from its stored JSON, which writes ``300.0`` as ``300`` (canonical
    JSON); printing both the same way keeps a reason equal to its replay.
    """
    try:
        return repr(normalize(value))
    except ValueError:  # NaN or infinity: no JSON form, so nothing to keep equal
        return repr(value)


def _check(key: str, op: str, bound: Any, actual: Any) -> str | None:
    """Reason for a failed comparison, or None when it holds."""
    if op in ("min", "max", "gt", "lt"):
        if not _is_number(actual):
            return f"{key} is {show(actual)}, not a number comparable with {op} {show(bound)}"
        ok = {
            "min": actual >= bound,
            "max": actual <= bound,
            "gt": actual > bound,
            "lt": actual < bound,
        }[op]
        symbol = {"min": ">=", "max": "<=", "gt": ">", "lt": "<"}[op]
        return None if ok else f"{key} is {show(actual)}, expected {symbol} {show(bound)}"
    if op == "eq":
        return None if actual == bound else f"{key} is {show(actual)}, expected {show(bound)}"
    if op == "ne":
        return None if actual != bound else f"{key} must not be {show(bound)}"
    if op == "in":
        expected = f"expected one of {show(bound)}"
        return None if actual in bound else f"{key} is {show(actual)}, {expected}"
    return None if actual not in bound else f"{key} is {show(actual)}, which is not allowed"


def evaluate_thresholds(
    facts: Mapping[str, Any] | Iterable[EvidenceFacts],
    thresholds: Mapping[str, Any],
) -> ThresholdReport:
    """Check every threshold; a missing or unreported value fails its threshold.

    Results come in key order and each threshold's reasons in :data:`OPERATORS` order, never in
    the order the mapping was written: a mapping has no order, the stored process document sorts
    its keys, and the same content must give the same report when a decision is replayed.
    """
    doc = facts if isinstance(facts, Mapping) else facts_document(facts)
    specs = {key: _validate(key, spec) for key, spec in sorted(thresholds.items())}
    results: list[ThresholdResult] = []
    for key, spec in specs.items():
        actual = _lookup(doc, key)
        if actual is _MISSING:
            results.append(ThresholdResult(key, False, None, (f"no evidence provides {key}",)))
            continue
        if actual is None:
            results.append(ThresholdResult(key, False, None, (f"{key} was not reported",)))
            continue
        reasons = tuple(
            r
            for op in OPERATORS
            if op in spec and (r := _check(key, op, spec[op], actual)) is not None
        )
        results.append(ThresholdResult(key, not reasons, actual, reasons))
    return ThresholdReport(tuple(results))
