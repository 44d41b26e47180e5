"""Property: parsing any mutation of a valid document either succeeds or raises SloSpecError
(an InvalidInput) naming fields; it never raises KeyError, TypeError, ValueError or the like."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.slo import openslo_slo, sloth_spec

from sluicegate.domain.slo import SloSpecError, parse_documents, rule_file
from sluicegate.errors import InvalidInput

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "{{.window}}",
            "x_bucket",
            "lte",
            "gt",
            "30d",
            "Occurrences",
            "openslo/v1",
            "prometheus/v1",
            "SLO",
            "SLI",
            "up[{{.window}}]",
            "0,0",
            "1M",
            "-",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), inner, max_size=3),
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> list[Any]:
    docs: list[Any] = [draw(st.sampled_from([openslo_slo, sloth_spec]))()]
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(docs)))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        parent: Any = docs
        for key in path[:-1] if path else ():
            parent = parent[key]
        if not path:
            continue
        last = path[-1]
        if action == "delete" and isinstance(parent, dict):
            del parent[last]
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][draw(st.text(max_size=8))] = draw(values)
        else:
            parent[last] = draw(values)
    if draw(st.booleans()):
        docs.append(copy.deepcopy(docs[0]))
    return docs


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_documents_parse_or_raise_only_invalid_input(docs: list[Any]) -> None:
    problem: SloSpecError | None = None
    try:
        slos = parse_documents(docs)
    except SloSpecError as exc:  # anything else fails the test
        problem = exc
    if problem is not None:
        assert isinstance(problem, InvalidInput)
        assert problem.errors
        assert all(isinstance(e.field, str) and e.reason for e in problem.errors)
        return
    rules = rule_file(slos)  # a valid input always has rules
    assert len(rules["groups"]) >= 2 * len(slos)


@settings(max_examples=300)
@given(values)
def test_arbitrary_values_parse_or_raise_only_invalid_input(value: Any) -> None:
    with contextlib.suppress(SloSpecError):
        parse_documents([value])
