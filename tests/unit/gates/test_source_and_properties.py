"""The marked YAML reader, durations, and properties of the rotation and the input hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.gates.support import context

from sluicegate.domain.gates import ProcessDefinitionError, ReviewBoard, parse_duration, rotation
from sluicegate.domain.gates.durations import format_duration
from sluicegate.domain.gates.source import parse_yaml


def test_marks_timestamps_and_merge_keys() -> None:
    doc = parse_yaml(
        "base: &b {x: 1}\nwhen: 2026-12-20\nitems:\n  - <<: *b\n    y: [a, b]\n", "f.yaml"
    )
    assert doc.value == {
        "base": {"x": 1},
        "when": "2026-12-20",
        "items": [{"x": 1, "y": ["a", "b"]}],
    }
    assert str(doc.locate(("items", 0, "y", 1))) == "f.yaml:5:12"
    assert str(doc.locate(("items", 0, "y"), key=True)) == "f.yaml:5:5"
    assert str(doc.locate(("items", 0, "nothing", "deeper"))) == "f.yaml:4:5"


def test_non_scalar_keys_and_binary_values_are_rejected() -> None:
    with pytest.raises(ProcessDefinitionError) as info:
        parse_yaml("? [a, b]\n: 1\nblob: !!binary aGVsbG8=\n", "f.yaml")
    reasons = [(i.reason, i.line) for i in info.value.issues]
    assert reasons == [("keys must be scalars", 1), ("binary values are not allowed", 3)]


def test_issue_rendering() -> None:
    with pytest.raises(ProcessDefinitionError) as info:
        parse_yaml("a: [1, 2\n", "broken.yaml")
    issue = info.value.issues[0]
    assert str(issue).startswith("broken.yaml:")
    assert issue.to_dict()["source"] == "broken.yaml"
    assert info.value.errors[0].reason == str(issue)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", timedelta(seconds=90)), ("12h", timedelta(hours=12)), ("1d12h", timedelta(hours=36))],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("text", ["", "7", "7 days", "0d", "-1h", 7])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match=r"duration|longer than zero"):
        parse_duration(text)


boards = st.builds(
    lambda members, seats, quorum, days: ReviewBoard(
        "b", tuple(members), min(seats, len(members)), min(quorum, seats, len(members)), days
    ),
    st.lists(st.sampled_from("abcdefghij"), min_size=1, max_size=10, unique=True),
    st.integers(1, 10),
    st.integers(1, 10),
    st.integers(1, 30),
)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(boards, instants)
def test_rotation_is_a_function_of_the_period(board: ReviewBoard, now: datetime) -> None:
    period = rotation(board, now)
    assert period.starts_at <= now < period.ends_at
    assert len(set(period.members)) == board.seats
    assert set(period.members) <= set(board.members)
    assert rotation(board, period.starts_at) == period
    assert rotation(board, period.ends_at - timedelta(microseconds=1)) == period
    assert rotation(board, period.ends_at).period == period.period + 1


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_input_document_is_canonical(a: int, b: int) -> None:
    from sluicegate.domain.canonical import canonical_json

    first = context(now=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=a))
    second = context(now=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=b))
    same_text = canonical_json(first.to_dict()) == canonical_json(second.to_dict())
    assert same_text == (a == b)


def test_now_is_normalised_to_utc_so_one_instant_has_one_hash() -> None:
    from zoneinfo import ZoneInfo

    from sluicegate.domain.canonical import canonical_json

    utc = context(now=datetime(2026, 11, 17, 9, 45, tzinfo=UTC))
    berlin = context(now=datetime(2026, 11, 17, 10, 45, tzinfo=ZoneInfo("Europe/Berlin")))
    assert berlin.now.tzinfo is UTC
    assert canonical_json(utc.to_dict()) == canonical_json(berlin.to_dict())
