"""Background synchronisation of one flag set: ETag polling with jitter and backoff, plus SSE push.

Two daemon threads per synchroniser: the *poll* thread owns every fetch and every listener call,
so state transitions are serialised without locks; the *stream* thread only listens to the
server's event stream and wakes the poll thread when a new revision is announced.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Literal, Protocol

import httpx

from sluicegate.sdk.protocol import (
    EVENT_STREAM_TYPE,
    REVISION_HEADER,
    EventStreamParser,
    SyncEndpoint,
    parse_revision_notice,
    revision_from_headers,
)

__all__ = ["FetchOutcome", "FlagSetSynchroniser", "SyncListener", "SyncOptions"]

logger = logging.getLogger(__name__)

FIRST_RETRY_FLOOR = 0.1  # seconds

# Clients orphaned in a forked child: their sockets belong to the parent's connections, so they
# are neither used nor closed (closing could end the parent's TLS session); holding them here
# keeps the garbage collector from closing them either.
_ORPHANED: list[httpx.Client] = []


def _user_agent() -> str:
    try:
        version = metadata.version("sluicegate")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"sluicegate-sdk-python/{version}"


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """Timing of the sync loop; every interval is in seconds."""

    poll_interval: float = 30.0
    jitter: float = 0.2
    retry_base: float = 1.0
    max_backoff: float = 300.0
    staleness: float = 120.0
    request_timeout: float = 10.0
    stream: bool = True
    stream_read_timeout: float = 90.0

    def __post_init__(self) -> None:
        if self.poll_interval <= 0 or self.retry_base <= 0 or self.max_backoff <= 0:
            raise ValueError("intervals must be positive")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    status: Literal["changed", "not_modified", "failed"]
    definition: Mapping[str, Any] | None = None
    etag: str | None = None
    revision: str | None = None
    error: str | None = None
    parse_error: bool = False


class SyncListener(Protocol):
    def on_document(self, outcome: FetchOutcome) -> bool:
        """Apply a new revision; False if it was rejected (the next poll fetches it again)."""

    def on_not_modified(self) -> None: ...

    def on_failure(self, outcome: FetchOutcome) -> None: ...

    def seconds_until_stale(self) -> float | None:
        """How long until the served flags turn stale, or None if that is not pending."""


class FlagSetSynchroniser:
    def __init__(
        self,
        endpoint: SyncEndpoint,
        token: str,
        options: SyncOptions,
        listener: SyncListener,
        *,
        etag: str | None = None,
        revision: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.options = options
        self.etag = etag
        self.revision = revision
        self._listener = listener
        self._rng = random.Random()  # noqa: S311 - jitter, not cryptography
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stream_response: httpx.Response | None = None
        headers = {"Authorization": f"Bearer {token}", "User-Agent": _user_agent()}
        timeout = httpx.Timeout(options.request_timeout)
        self._client = httpx.Client(headers=headers, timeout=timeout, transport=transport)
        self._stream_client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(options.request_timeout, read=options.stream_read_timeout),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"FlagSetSynchroniser({self.endpoint!r}, revision={self.revision!r})"

    # -- one conditional GET -------------------------------------------------------------------

    def fetch(self) -> FetchOutcome:
        """Fetch the flag set with ``If-None-Match``; never raises."""
        headers = {"Accept": "application/json"}
        if self.etag:
            headers["If-None-Match"] = self.etag
        try:
            response = self._client.get(self.endpoint.document_url, headers=headers)
        except httpx.HTTPError as exc:
            return FetchOutcome("failed", error=f"{type(exc).__name__}: {exc}")
        if response.status_code == 304:
            return FetchOutcome("not_modified", etag=self.etag, revision=self.revision)
        if response.status_code != 200:
            return FetchOutcome("failed", error=f"HTTP {response.status_code} from sync endpoint")
        etag = response.headers.get("ETag")
        revision = revision_from_headers(etag, response.headers.get(REVISION_HEADER))
        if revision is not None and revision == self.revision and etag == self.etag:
            return FetchOutcome("not_modified", etag=etag, revision=revision)
        try:
            definition = json.loads(response.content)
            if not isinstance(definition, dict):
                raise ValueError("flag set is not a JSON object")
        except ValueError as exc:
            return FetchOutcome(
                "failed",
                etag=etag,
                revision=revision,
                error=f"invalid JSON: {exc}",
                parse_error=True,
            )
        return FetchOutcome("changed", definition=definition, etag=etag, revision=revision)

    def sync_once(self) -> bool:
        """Fetch and hand the result to the listener; True if the server answered usefully."""
        outcome = self.fetch()
        if outcome.status == "not_modified":
            self._listener.on_not_modified()
            return True
        if outcome.status == "changed":
            if self._listener.on_document(outcome):
                self.etag = outcome.etag
                self.revision = outcome.revision
                return True
            return False
        self._listener.on_failure(outcome)
        return False

    # -- background threads --------------------------------------------------------------------

    def start(self, *, failures: int = 0) -> None:
        """Start polling (first poll after one interval, or a retry delay if ``failures``)."""
        targets: list[tuple[str, Callable[..., None], tuple[int, ...]]] = [
            ("poll", self._poll_loop, (failures,))
        ]
        if self.options.stream:
            targets.append(("stream", self._stream_loop, ()))
        for name, target, args in targets:
            thread = threading.Thread(
                target=target, args=args, name=f"sluicegate-sync-{name}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads) and not self._stop.is_set()

    def request_sync(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the threads, interrupting a blocked stream read, and close the clients."""
        self._stop.set()
        self._wake.set()
        self._interrupt_stream()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout)
        self._threads.clear()
        self._client.close()
        self._stream_client.close()

    def orphan(self) -> None:
        """Forget this synchroniser in a forked child, whose copies of its threads do not exist."""
        self._stop.set()
        self._threads.clear()
        _ORPHANED.extend((self._client, self._stream_client))

    def _delay(self, failures: int) -> float:
        opts = self.options
        if failures == 0:
            base = opts.poll_interval
        else:
            base = min(opts.max_backoff, opts.retry_base * 2 ** min(failures - 1, 30))
        return base * self._rng.uniform(1 - opts.jitter, 1 + opts.jitter)

    def _poll_loop(self, failures: int) -> None:
        first = True
        while not self._stop.is_set():
            delay = self._delay(failures)
            if first and failures:
                # Retrying a failed start: let the SDK dispatch its READY/ERROR for initialize()
                # before this thread can emit STALE or READY of its own.
                delay = max(delay, FIRST_RETRY_FLOOR)
            elif failures:
                until_stale = self._listener.seconds_until_stale()
                if until_stale is not None:
                    delay = min(delay, max(until_stale, 0.0) + 0.001)
            self._wake.wait(delay)
            first = False
            if self._stop.is_set():
                return
            self._wake.clear()
            try:
                failures = 0 if self.sync_once() else failures + 1
            except Exception:
                logger.exception("flag sync failed")
                failures += 1

    def _stream_loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                if not self._listen():
                    return
                failures = 0
            except httpx.HTTPError as exc:
                failures += 1
                logger.debug("flag event stream dropped: %s", type(exc).__name__)
            except Exception:
                failures += 1
                logger.exception("flag event stream failed")
            finally:
                self._stream_response = None
            if self._stop.wait(self._delay(max(failures, 1))):
                return

    def _listen(self) -> bool:
        """Hold one event stream open; False when the server has no stream endpoint."""
        headers = {"Accept": EVENT_STREAM_TYPE, "Cache-Control": "no-cache"}
        with self._stream_client.stream("GET", self.endpoint.events_url, headers=headers) as resp:
            if resp.status_code in (404, 405, 501):
                logger.info("no flag event stream (HTTP %s); polling only", resp.status_code)
                return False
            content_type = resp.headers.get("Content-Type", "")
            if resp.status_code != 200 or not content_type.startswith(EVENT_STREAM_TYPE):
                raise httpx.HTTPStatusError(
                    f"event stream answered HTTP {resp.status_code} ({content_type})",
                    request=resp.request,
                    response=resp,
                )
            self._stream_response = resp
            if self._stop.is_set():
                return True
            self._wake.set()  # catch up on anything announced while disconnected
            parser = EventStreamParser()
            for chunk in resp.iter_raw():
                for event in parser.feed(chunk):
                    notice = parse_revision_notice(event)
                    if notice is not None and notice.revision != self.revision:
                        self._wake.set()
                if self._stop.is_set():
                    break
        return True

    def _interrupt_stream(self) -> None:
        response = self._stream_response
        if response is None:
            return
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
