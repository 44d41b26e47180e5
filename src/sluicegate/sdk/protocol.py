"""The Sluicegate flag-set sync protocol, as spoken by the SDK (documented in docs/sdk.md).

Two endpoints per flag set, both authenticated with ``Authorization: Bearer <token>``:

* ``GET {url}/api/v1/sync/flag-sets/{flag_set}`` returns the flagd JSON document with an ``ETag``
  (the revision, quoted) and ``X-Sluicegate-Revision`` (the bare revision); a request carrying
  ``If-None-Match`` with the current ETag is answered ``304 Not Modified``.
* ``GET {url}/api/v1/sync/flag-sets/{flag_set}/events`` is a ``text/event-stream`` that sends
  ``event: revision`` with ``data: {"revision": "...", "flag_set": "..."}`` for every new revision,
  and ``: keepalive`` comments in between.

Both accept an optional ``environment`` query parameter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlencode

__all__ = [
    "EVENTS_PATH",
    "REVISION_EVENT",
    "REVISION_HEADER",
    "SYNC_PATH",
    "EventStreamParser",
    "RevisionNotice",
    "ServerSentEvent",
    "SyncEndpoint",
    "parse_revision_notice",
    "revision_from_headers",
]

SYNC_PATH = "/api/v1/sync/flag-sets/{flag_set}"
EVENTS_PATH = SYNC_PATH + "/events"
REVISION_HEADER = "X-Sluicegate-Revision"
REVISION_EVENT = "revision"
EVENT_STREAM_TYPE = "text/event-stream"


@dataclass(frozen=True, slots=True)
class SyncEndpoint:
    """Where one flag set is synchronised from; holds no credentials."""

    url: str
    flag_set: str
    environment: str | None = None

    def _build(self, template: str) -> str:
        path = template.format(flag_set=quote(self.flag_set, safe=""))
        query = f"?{urlencode({'environment': self.environment})}" if self.environment else ""
        return f"{self.url.rstrip('/')}{path}{query}"

    @property
    def document_url(self) -> str:
        return self._build(SYNC_PATH)

    @property
    def events_url(self) -> str:
        return self._build(EVENTS_PATH)


def revision_from_headers(etag: str | None, revision: str | None) -> str | None:
    """The revision named by a response: ``X-Sluicegate-Revision``, else the unquoted ETag."""
    if revision:
        return revision.strip()
    if not etag:
        return None
    tag = etag.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    return tag.strip('"') or None


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    event: str
    data: str
    id: str | None = None


@dataclass(frozen=True, slots=True)
class RevisionNotice:
    revision: str
    flag_set: str | None


def parse_revision_notice(event: ServerSentEvent) -> RevisionNotice | None:
    """The revision announced by a ``revision`` event, or None for anything else."""
    if event.event != REVISION_EVENT:
        return None
    try:
        payload = json.loads(event.data)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    revision = payload.get("revision")
    flag_set = payload.get("flag_set")
    if not isinstance(revision, str) or not revision:
        return None
    return RevisionNotice(revision, flag_set if isinstance(flag_set, str) else None)


class EventStreamParser:
    """Incremental ``text/event-stream`` parser (WHATWG HTML, section 9.2.6).

    Lines end at CR, LF or CRLF only (not at the other characters ``str.splitlines`` knows);
    comments (``:`` lines) are skipped; a blank line dispatches the buffered event.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._pending_cr = False
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, chunk: bytes) -> Iterator[ServerSentEvent]:
        if not chunk:
            return
        if self._pending_cr:
            self._pending_cr = False
            if chunk.startswith(b"\n"):
                chunk = chunk[1:]
        data = self._buffer + chunk
        start = 0
        size = len(data)
        while start < size:
            cut_lf = data.find(b"\n", start)
            cut_cr = data.find(b"\r", start)
            cuts = [c for c in (cut_lf, cut_cr) if c != -1]
            if not cuts:
                break
            cut = min(cuts)
            line = data[start:cut]
            start = cut + 1
            if data[cut : cut + 1] == b"\r":
                if start < size and data[start : start + 1] == b"\n":
                    start += 1
                elif start >= size:
                    self._pending_cr = True
            event = self._line(line.decode("utf-8", errors="replace"))
            if event is not None:
                yield event
        self._buffer = data[start:]

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
        elif field == "id" and "\0" not in value:
            self._id = value
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = ServerSentEvent(self._event or "message", "\n".join(self._data), self._id)
        self._event = ""
        self._data = []
        return event
