"""Reading export lines back: a structurally bad line names its line, sequence and field."""

from __future__ import annotations

import json

import pytest

from sluicegate.domain.audit.chain import GENESIS_HASH, link
from sluicegate.domain.audit.export import MalformedRecord, parse_line

EVENT = link(GENESIS_HASH, 1, "2026-11-21T12:00:00.000000Z", "user:a", "x", "t", "1", None, {})


def _line(**changes: object) -> str:
    doc = EVENT.to_export()
    for key, value in changes.items():
        if value is KeyError:
            doc.pop(key)
        else:
            doc[key] = value
    return json.dumps(doc)


def test_a_good_line_parses_to_the_stored_row() -> None:
    assert parse_line(_line(), 1).event == EVENT.row()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (_line(actor=KeyError), "line 4 (event 1): field 'actor' is missing"),
        (_line(seq="1"), "line 4: field 'seq' must be int"),
        (_line(seq=True), "line 4: field 'seq' must be int"),
        (_line(reason=3), "line 4 (event 1): field 'reason' must be str"),
        (_line(hash="xyz"), "line 4 (event 1): field 'hash' must be 64 lowercase hex digits"),
        (_line(actor_name="user:a"), "line 4 (event 1): unknown field 'actor_name'"),
        ("[1, 2]", "line 4: not a JSON object"),
        ('{"seq": 1,', "line 4: not JSON"),
        (
            '{"checkpoint": {"tree_size": 3}}',
            "line 4 (event 3): checkpoint field 'root' is missing",
        ),
        ('{"checkpoint": 7}', "line 4: field 'checkpoint' must be an object"),
        ('{"key": {"key_id": 1}}', "line 4: key field 'key_id' must be a string"),
    ],
)
def test_malformed_lines_name_line_sequence_and_field(line: str, message: str) -> None:
    with pytest.raises(MalformedRecord) as caught:
        parse_line(line, 4)
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_renamed_field_names_the_missing_one() -> None:
    doc = EVENT.to_export()
    doc["who"] = doc.pop("actor")
    with pytest.raises(MalformedRecord, match=r"\(event 1\): field 'actor' is missing") as caught:
        parse_line(json.dumps(doc), 2)
    assert caught.value.seq == 1
