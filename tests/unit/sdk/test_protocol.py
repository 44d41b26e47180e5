"""The sync protocol pieces: endpoint URLs, revision headers and the event-stream parser."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluicegate.sdk.protocol import (
    EventStreamParser,
    RevisionNotice,
    ServerSentEvent,
    SyncEndpoint,
    parse_revision_notice,
    revision_from_headers,
)

STREAM = (
    b": keepalive\n\n"
    b'event: revision\ndata: {"revision": "r2", "flag_set": "checkout"}\n\n'
    b'event: revision\r\ndata: {"revision": "r3",\r\ndata: "flag_set": "checkout"}\r\n\r\n'
    b"id: 7\rdata: plain\r\r"
    b"data: caf\xc3\xa9 \xe2\x80\xa8 sep\n\n"
    b"event: ignored-without-data\n\n"
)
EXPECTED = [
    ServerSentEvent("revision", '{"revision": "r2", "flag_set": "checkout"}'),
    ServerSentEvent("revision", '{"revision": "r3",\n"flag_set": "checkout"}'),
    ServerSentEvent("message", "plain", "7"),
    ServerSentEvent("message", "caf\u00e9 \u2028 sep", "7"),
]


def _parse(chunks: list[bytes]) -> list[ServerSentEvent]:
    parser = EventStreamParser()
    return [event for chunk in chunks for event in parser.feed(chunk)]


def test_parser_handles_every_line_ending_comments_and_multiline_data() -> None:
    assert _parse([STREAM]) == EXPECTED


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_parser_result_does_not_depend_on_chunking(cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(STREAM)]
    chunks = [STREAM[a:b] for a, b in itertools.pairwise(points)]

    assert _parse(chunks) == EXPECTED


def test_incomplete_event_is_not_dispatched() -> None:
    assert _parse([b"event: revision\ndata: {}"]) == []


@pytest.mark.parametrize(
    ("event", "notice"),
    [
        (
            ServerSentEvent("revision", '{"revision": "r9", "flag_set": "a"}'),
            RevisionNotice("r9", "a"),
        ),
        (ServerSentEvent("revision", '{"revision": "r9"}'), RevisionNotice("r9", None)),
        (ServerSentEvent("message", '{"revision": "r9"}'), None),
        (ServerSentEvent("revision", "not json"), None),
        (ServerSentEvent("revision", '["r9"]'), None),
        (ServerSentEvent("revision", '{"revision": ""}'), None),
    ],
)
def test_revision_notices(event: ServerSentEvent, notice: RevisionNotice | None) -> None:
    assert parse_revision_notice(event) == notice


@pytest.mark.parametrize(
    ("etag", "header", "revision"),
    [
        ('"r1"', "r1", "r1"),
        ('"r1"', None, "r1"),
        ('W/"abc"', None, "abc"),
        (None, None, None),
        ('""', None, None),
        ('"x"', " r5 ", "r5"),
    ],
)
def test_revision_from_headers(etag: str | None, header: str | None, revision: str | None) -> None:
    assert revision_from_headers(etag, header) == revision


def test_endpoint_urls_quote_the_flag_set_and_carry_the_environment() -> None:
    endpoint = SyncEndpoint("https://sg.example/", "team/checkout", "prod")

    assert endpoint.document_url == (
        "https://sg.example/api/v1/sync/flag-sets/team%2Fcheckout?environment=prod"
    )
    assert endpoint.events_url == (
        "https://sg.example/api/v1/sync/flag-sets/team%2Fcheckout/events?environment=prod"
    )
    assert SyncEndpoint("http://h", "a").events_url == "http://h/api/v1/sync/flag-sets/a/events"


def test_empty_chunk_between_cr_and_lf_does_not_end_the_event() -> None:
    assert _parse([b"data: x\r", b"", b"\ndata: y\n", b"\n"]) == [
        ServerSentEvent("message", "x\ny")
    ]
