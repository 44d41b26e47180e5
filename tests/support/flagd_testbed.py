"""Run the flagd-testbed's evaluator Gherkin scenarios against a flag engine.

The official suite (open-feature/flagd-testbed, kept in ``../shared/conformance/``) is written as
Gherkin features for SDK providers. This module holds a small Gherkin reader (features,
backgrounds, scenario outlines with tagged ``Examples``, step tables) and the step definitions of
the evaluator scenarios, over any engine that can load a flagd document and evaluate one flag.

Which scenarios are evaluator scenarios, and which flag file each runs against, follows the
suite's README (``conformance/README.md``): ``evaluator/gherkin`` over
``evaluator/flags/testkit-flags.json``; ``gherkin/`` over ``allFlags.json`` (a deep merge of
``flags/*.json`` except ``selector-*``) unless a ``selector`` option names one file; provider,
connection, event, caching and sync-payload features are not evaluator scenarios. Examples tagged
``@fractional-v1``/``@fractional-v2`` use the older bucketing algorithms and are reported apart;
``@deprecated`` scenarios describe behaviour the suite itself has replaced.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import pytest

__all__ = [
    "TESTBED",
    "Engine",
    "Outcome",
    "Scenario",
    "flag_file",
    "require_testbed",
    "run_scenario",
    "scenarios",
]

TESTBED = (
    Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "flagd-testbed-v3.9.0"
)

# Features (under gherkin/) that test providers, connections, events or caches, not evaluation.
_NOT_EVALUATOR = frozenset(
    {
        "config.feature",
        "connection.feature",
        "contextEnrichment.feature",
        "events.feature",
        "rpc-caching.feature",
        "sync-payload.feature",
    }
)
OLDER_BUCKETING = {"@fractional-v1": "legacy", "@fractional-v2": "high-precision"}


def require_testbed() -> Path:
    """The testbed folder, else skip (or fail under ``SLUICE_REQUIRE_BINARIES=1``)."""
    if (TESTBED / "evaluator" / "gherkin").is_dir():
        return TESTBED
    message = f"flagd-testbed not found at {TESTBED} (the shared/conformance folder)"
    if os.environ.get("SLUICE_REQUIRE_BINARIES") == "1":
        pytest.fail(message + "; SLUICE_REQUIRE_BINARIES=1 forbids skipping", pytrace=False)
    pytest.skip(message)


@dataclass(frozen=True)
class Step:
    keyword: str
    text: str
    table: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Scenario:
    """One runnable scenario: an outline's example row is already substituted."""

    id: str
    feature: Path
    tags: frozenset[str]
    steps: tuple[Step, ...]

    @property
    def bucketing(self) -> str | None:
        for tag, algorithm in OLDER_BUCKETING.items():
            if tag in self.tags:
                return algorithm
        return None


@dataclass
class _Outline:
    name: str
    tags: set[str]
    steps: list[Step] = field(default_factory=list)
    examples: list[tuple[set[str], list[tuple[str, ...]]]] = field(default_factory=list)


def _cells(line: str) -> tuple[str, ...]:
    inner = line.strip()[1:-1]
    return tuple(cell.strip() for cell in re.split(r"(?<!\\)\|", inner))


def _parse(testbed: Path, path: Path) -> Iterator[Scenario]:
    feature_tags: set[str] = set()
    background: list[Step] = []
    outlines: list[_Outline] = []
    pending: set[str] = set()
    target: list[Step] | None = None
    table_owner: list[tuple[str, ...]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            pending |= {tag for tag in line.split() if tag.startswith("@")}
            continue
        keyword, _, rest = line.partition(":")
        if keyword == "Feature":
            feature_tags, pending = pending, set()
        elif keyword == "Background":
            target, table_owner = background, None
        elif keyword in ("Scenario", "Scenario Outline", "Scenario Template"):
            outline = _Outline(rest.strip(), feature_tags | pending)
            outlines.append(outline)
            pending, target, table_owner = set(), outline.steps, None
        elif keyword in ("Examples", "Scenarios"):
            rows: list[tuple[str, ...]] = []
            outlines[-1].examples.append((pending, rows))
            pending, target, table_owner = set(), None, rows
        elif line.startswith("|"):
            if table_owner is not None:
                table_owner.append(_cells(line))
            elif target:
                last = target[-1]
                target[-1] = Step(last.keyword, last.text, (*last.table, _cells(line)))
        else:
            word, _, text = line.partition(" ")
            if target is None:
                raise ValueError(f"{path}: step outside a scenario: {line!r}")
            target.append(Step(word, text))
    for outline in outlines:
        steps = [*background, *outline.steps]
        base = f"{path.relative_to(testbed)}:{outline.name}"
        if not outline.examples:
            yield Scenario(base, path, frozenset(outline.tags), tuple(steps))
            continue
        index = 0
        for tags, rows in outline.examples:
            header, *body = rows
            for row in body:
                values = dict(zip(header, row, strict=True))
                index += 1
                suffix = "".join(f" {tag}" for tag in sorted(tags))
                yield Scenario(
                    f"{base}[{index}{suffix}]",
                    path,
                    frozenset(outline.tags | tags),
                    tuple(_substitute(step, values) for step in steps),
                )


def _substitute(step: Step, values: Mapping[str, str]) -> Step:
    def fill(text: str) -> str:
        return re.sub(r"<([^<>]+)>", lambda m: values.get(m.group(1), m.group(0)), text)

    table = tuple(tuple(fill(cell) for cell in row) for row in step.table)
    return Step(step.keyword, fill(step.text), table)


def scenarios(testbed: Path) -> list[Scenario]:
    """Every evaluator scenario of the suite, in file order."""
    found: list[Scenario] = []
    for path in sorted((testbed / "evaluator" / "gherkin").glob("*.feature")):
        found.extend(_parse(testbed, path))
    for path in sorted((testbed / "gherkin").glob("*.feature")):
        if path.name not in _NOT_EVALUATOR:
            found.extend(_parse(testbed, path))
    return found


def _deep_merge(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = json.loads(json.dumps(value))


@cache
def flag_file(testbed: Path, name: str) -> str:
    """The text of a flag file as the suite names it (``flags/allFlags.json`` is generated)."""
    if name == "evaluator":
        return (testbed / "evaluator" / "flags" / "testkit-flags.json").read_text("utf-8")
    if name.endswith("allFlags.json"):
        merged: dict[str, Any] = {}
        for path in sorted((testbed / "flags").glob("*.json")):
            if not path.name.startswith("selector"):
                _deep_merge(merged, json.loads(path.read_text("utf-8")))
        return json.dumps(merged)
    return (testbed / "flags" / Path(name).name).read_text("utf-8")


@dataclass(frozen=True)
class Outcome:
    value: Any
    variant: str | None
    reason: str
    error_code: str | None
    metadata: Mapping[str, Any]


class Engine(Protocol):
    def __call__(
        self,
        document: str,
        bucketing: str | None,
        flag_key: str,
        flag_type: str,
        default: Any,
        context: dict[str, Any],
    ) -> Outcome: ...


def _typed(kind: str, text: str) -> Any:
    kind = kind.lower()
    if kind == "boolean":
        return text == "true"
    if kind == "integer":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "object":  # step tables write the JSON's quotes as \"
        return json.loads(text.replace('\\"', '"'))
    return text


_FLAG = re.compile(r'an? (\w+)-flag with key "([^"]*)" and a (?:default|fallback) value "(.*)"')
_KEY = re.compile(r'a context containing a key "([^"]*)", with type "(\w+)" and with value "(.*)"')
_TARGETING_KEY = re.compile(r'a context containing a targeting key with value "(.*)"')
_NESTED = re.compile(
    r'a context containing a nested property with outer key "([^"]*)" and inner key "([^"]*)", '
    r'with value "(.*)"'
)
_OPTION = re.compile(r'an option "([^"]*)" of type "[^"]*" with value "(.*)"')
_EXPECT = re.compile(r'the (resolved details value|reason|error-code|variant) should be "(.*)"')


@dataclass
class _State:
    document: str
    flag: tuple[str, str, Any] | None = None
    context: dict[str, Any] = field(default_factory=dict)
    outcome: Outcome | None = None


def _same_value(flag_type: str, got: Any, expected: str) -> bool:
    wanted = _typed(flag_type, expected) if flag_type.lower() != "string" else expected
    if isinstance(wanted, float) and isinstance(got, int | float) and not isinstance(got, bool):
        return math.isclose(got, wanted)
    return bool(got == wanted and type(got) is type(wanted))


def run_scenario(testbed: Path, scenario: Scenario, engine: Engine) -> None:
    """Run one scenario; an ``AssertionError`` names the step that did not hold."""
    evaluator_suite = scenario.feature.parent.parent.name == "evaluator"
    state = _State(flag_file(testbed, "evaluator" if evaluator_suite else "flags/allFlags.json"))
    checks: list[Callable[[Outcome], None]] = []
    for step in scenario.steps:
        text = step.text
        if text in ("an evaluator", "a stable flagd provider", "a metadata flagd provider"):
            continue
        if match := _OPTION.fullmatch(text):
            if match.group(1) == "selector":
                state.document = flag_file(testbed, match.group(2))
        elif match := _FLAG.fullmatch(text):
            flag_type, key, default = match.groups()
            state.flag = (key, flag_type, _typed(flag_type, default))
        elif match := _KEY.fullmatch(text):
            key, kind, value = match.groups()
            state.context[key] = _typed(kind, value)
        elif match := _TARGETING_KEY.fullmatch(text):
            state.context["targetingKey"] = match.group(1)
        elif match := _NESTED.fullmatch(text):
            outer, inner, value = match.groups()
            state.context.setdefault(outer, {})[inner] = value
        elif text == "the flag was evaluated with details":
            assert state.flag is not None, "no flag was given"
            key, flag_type, default = state.flag
            state.outcome = engine(
                state.document, scenario.bucketing, key, flag_type, default, dict(state.context)
            )
        elif match := _EXPECT.fullmatch(text):
            checks.append(_expectation(state, *match.groups()))
        elif text == "the resolved metadata should contain":
            checks.append(_metadata_check(step.table))
        elif text == "the resolved metadata is empty":
            checks.append(lambda o: _check(not o.metadata, f"metadata {dict(o.metadata)}"))
        else:
            raise ValueError(f"{scenario.id}: no step definition for {text!r}")
    assert state.outcome is not None, "the flag was never evaluated"
    for check in checks:
        check(state.outcome)


def _check(ok: bool, message: str) -> None:
    assert ok, message


def _expectation(state: _State, what: str, expected: str) -> Callable[[Outcome], None]:
    assert state.flag is not None
    flag_type = state.flag[1]

    def check(outcome: Outcome) -> None:
        if what == "resolved details value":
            _check(
                _same_value(flag_type, outcome.value, expected),
                f"value {outcome.value!r}, expected {expected!r} ({outcome})",
            )
        elif what == "reason":
            _check(outcome.reason == expected, f"reason {outcome.reason}, expected {expected}")
        elif what == "variant":
            _check(outcome.variant == expected, f"variant {outcome.variant}, expected {expected}")
        else:
            got = outcome.error_code or ""
            _check(got == expected, f"error code {got!r}, expected {expected!r} ({outcome})")

    return check


def _metadata_check(table: tuple[tuple[str, ...], ...]) -> Callable[[Outcome], None]:
    header, *rows = table
    wanted = [dict(zip(header, row, strict=True)) for row in rows]

    def check(outcome: Outcome) -> None:
        for row in wanted:
            got = outcome.metadata.get(row["key"])
            value = _typed(row["metadata_type"], row["value"])
            _check(got == value and type(got) is type(value), f"metadata {row}: got {got!r}")

    return check
