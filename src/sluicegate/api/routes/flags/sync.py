"""The SDK sync protocol (``sluicegate.sdk.protocol``) and the per-process flag runtime.

* ``GET /api/v1/sync/flag-sets/{flag_set}[?environment=E]``: the flagd document, with a quoted
  ``ETag`` and ``X-Sluicegate-Revision``; ``If-None-Match`` with the current ETag gives 304.
* ``GET /api/v1/sync/flag-sets/{flag_set}/events[?environment=E]``: ``text/event-stream`` with
  ``event: revision`` / ``data: {"revision": ..., "flag_set": ...}`` for every new revision
  (and the current one on connect) and ``: keepalive`` comments in between.

The stream wakes on an in-process notification when this replica writes a revision, and polls
the database every ``SLUICE_SSE_POLL`` seconds so that writes on other replicas arrive too. It ends
when the client disconnects, when the app shuts down, and after ``SLUICE_SSE_MAX_SECONDS`` (the
client reconnects), so that a graceful shutdown never waits on a stream for long.

:class:`FlagRuntime` holds what the flag endpoints share in one process: its settings, the
compiled-flag-set cache keyed by (flag set, environment, revision), the revision hub and the
OFREP rate limiter (token buckets per API token, per process).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from sluicegate.api.deps import ServiceDeps
from sluicegate.api.schemas.flags.sync import FlagdDocument
from sluicegate.api.schemas.problems import problem_responses
from sluicegate.domain.access.identity import Action
from sluicegate.domain.errors import NotFound
from sluicegate.flags import CompiledFlagSet, compile_flag_set
from sluicegate.service import flags as svc
from sluicegate.service.context import Deps
from sluicegate.service.flags.ports import FlagHead

__all__ = [
    "CompiledCache",
    "FlagRuntime",
    "FlagSettings",
    "RateLimiter",
    "RevisionHub",
    "bearer",
    "etag_matches",
    "revision_events",
    "router",
    "runtime_for",
]

router = APIRouter(tags=["flag sync"])

Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class FlagSettings:
    """Tunables of the flag endpoints, from ``SLUICE_*`` environment variables."""

    ofrep_rate: float = 100.0
    ofrep_burst: float = 200.0
    sse_keepalive: float = 15.0
    sse_poll: float = 5.0
    sse_max_seconds: float = 300.0
    schedule_interval: float = 30.0
    cache_size: int = 256

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FlagSettings:
        env = os.environ if env is None else env
        d = cls()
        return cls(
            ofrep_rate=float(env.get("SLUICE_OFREP_RATE", d.ofrep_rate)),
            ofrep_burst=float(env.get("SLUICE_OFREP_BURST", d.ofrep_burst)),
            sse_keepalive=float(env.get("SLUICE_SSE_KEEPALIVE", d.sse_keepalive)),
            sse_poll=float(env.get("SLUICE_SSE_POLL", d.sse_poll)),
            sse_max_seconds=float(env.get("SLUICE_SSE_MAX_SECONDS", d.sse_max_seconds)),
            schedule_interval=float(env.get("SLUICE_FLAG_SCHEDULE_INTERVAL", d.schedule_interval)),
        )


class CompiledCache:
    """Compiled flag sets keyed by (flag set, environment, revision): OFREP never recompiles
    a revision it has seen. Bounded (least recently used out); thread-safe."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, str, str], CompiledFlagSet] = OrderedDict()
        self._lock = threading.Lock()
        self.compilations = 0

    def get(self, head: FlagHead) -> CompiledFlagSet | None:
        key = (head.name, head.environment, head.revision)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def load(self, deps: Deps, head: FlagHead) -> CompiledFlagSet:
        """Compile the stored document (called on a miss, in a worker thread)."""
        current = svc.load_current(deps, head.name, head.environment)
        if current is None:
            raise NotFound(f"flag set {head.name!r} not found in {head.environment!r}")
        compiled = compile_flag_set(current.document)
        key = (current.name, current.environment, current.revision)
        with self._lock:
            self.compilations += 1
            self._items[key] = compiled
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return compiled

    async def compiled(self, deps: Deps, head: FlagHead) -> CompiledFlagSet:
        found = self.get(head)
        return found if found is not None else await run_in_threadpool(self.load, deps, head)


class RateLimiter:
    """Token buckets keyed by API token: ``rate`` per second, up to ``burst`` at once."""

    def __init__(self, rate: float, burst: float, max_keys: int = 10_000) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int | None:
        """Take one token; None when allowed, else the whole seconds until one is available."""
        if self.rate <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                if key not in self._buckets and len(self._buckets) >= self._max_keys:
                    self._buckets.pop(next(iter(self._buckets)))
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))


class RevisionHub:
    """In-process wake-ups for event streams; used on the event loop's thread only."""

    def __init__(self) -> None:
        self._waiters: dict[Key, set[asyncio.Event]] = {}
        self.closed = False

    def subscribe(self, key: Key) -> asyncio.Event:
        event = asyncio.Event()
        self._waiters.setdefault(key, set()).add(event)
        return event

    def unsubscribe(self, key: Key, event: asyncio.Event) -> None:
        waiting = self._waiters.get(key)
        if waiting is not None:
            waiting.discard(event)
            if not waiting:
                del self._waiters[key]

    def notify(self, key: Key) -> None:
        for event in self._waiters.get(key, ()):
            event.set()

    def close(self) -> None:
        """App shutdown: every stream ends at its next wake-up, which this triggers."""
        self.closed = True
        for waiting in self._waiters.values():
            for event in waiting:
                event.set()


@dataclass
class FlagRuntime:
    settings: FlagSettings
    cache: CompiledCache
    limiter: RateLimiter
    hub: RevisionHub = field(default_factory=RevisionHub)


def runtime_for(app: FastAPI) -> FlagRuntime:
    """The app's flag runtime, created on first use from the environment."""
    found: FlagRuntime | None = getattr(app.state, "flag_runtime", None)
    if found is None:
        settings = FlagSettings.from_env()
        limiter = RateLimiter(settings.ofrep_rate, settings.ofrep_burst)
        found = FlagRuntime(settings, CompiledCache(settings.cache_size), limiter)
        app.state.flag_runtime = found
    return found


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


async def _access(
    request: Request, deps: Deps, flag_set: str, environment: str | None
) -> svc.Access:
    access = await run_in_threadpool(
        svc.resolve_access, deps, bearer(request), flag_set, environment, Action.FLAG_READ
    )
    if access.head is None:
        raise NotFound(f"flag set {flag_set!r} not found in environment {access.environment!r}")
    return access


@router.get(
    "/sync/flag-sets/{flag_set}",
    summary="The flagd document of a flag set, with its revision as ETag (If-None-Match: 304)",
    responses={
        200: {"model": FlagdDocument, "description": "The document; ETag is its revision"},
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
        **problem_responses(401, 403, 404, 422),
    },
)
async def document(
    flag_set: str,
    request: Request,
    deps: ServiceDeps,
    environment: Annotated[str | None, Query(max_length=64)] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    access = await _access(request, deps, flag_set, environment)
    assert access.head is not None
    etag = f'"{access.head.revision}"'
    headers = {"ETag": etag, "X-Sluicegate-Revision": access.head.revision}
    headers["Cache-Control"] = "no-cache"
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    current = await run_in_threadpool(svc.load_current, deps, access.flag_set, access.environment)
    if current is None:
        raise NotFound(f"flag set {flag_set!r} not found")
    headers["ETag"] = f'"{current.revision}"'
    headers["X-Sluicegate-Revision"] = current.revision
    body = json.dumps(current.document, ensure_ascii=False).encode()
    return Response(body, media_type="application/json", headers=headers)


def _revision_event(flag_set: str, revision: str) -> bytes:
    data = json.dumps({"revision": revision, "flag_set": flag_set})
    return f"event: revision\ndata: {data}\n\n".encode()


async def revision_events(
    *,
    key: Key,
    hub: RevisionHub,
    settings: FlagSettings,
    load_revision: Callable[[], Awaitable[str | None]],
    is_disconnected: Callable[[], Awaitable[bool]],
) -> AsyncIterator[bytes]:
    """The event stream of one flag set: its revision now, then each new one, with keepalives."""
    event = hub.subscribe(key)
    try:
        last = await load_revision()
        if last is None:
            return
        yield _revision_event(key[0], last)
        started = last_sent = time.monotonic()
        while not hub.closed:
            now = time.monotonic()
            remaining = settings.sse_max_seconds - (now - started)
            if remaining <= 0:
                return
            wait = min(settings.sse_poll, settings.sse_keepalive - (now - last_sent), remaining)
            # A timeout is the poll tick (other replicas' writes), not an error.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=max(wait, 0.0))
            event.clear()
            if hub.closed or await is_disconnected():
                return
            current = await load_revision()
            if current is None:
                return
            if current != last:
                last = current
                last_sent = time.monotonic()
                yield _revision_event(key[0], current)
            elif time.monotonic() - last_sent >= settings.sse_keepalive:
                last_sent = time.monotonic()
                yield b": keepalive\n\n"
    finally:
        hub.unsubscribe(key, event)


@router.get(
    "/sync/flag-sets/{flag_set}/events",
    summary="Server-sent events: one `revision` event per new revision of the flag set",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "`event: revision` with data {revision, flag_set}, and keepalives",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **problem_responses(401, 403, 404, 422),
    },
)
async def events(
    flag_set: str,
    request: Request,
    deps: ServiceDeps,
    environment: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    access = await _access(request, deps, flag_set, environment)
    runtime = runtime_for(request.app)
    name, env = access.flag_set, access.environment

    async def load_revision() -> str | None:
        head = await run_in_threadpool(svc.current_head, deps, name, env)
        return None if head is None else head.revision

    stream = revision_events(
        key=(name, env),
        hub=runtime.hub,
        settings=runtime.settings,
        load_revision=load_revision,
        is_disconnected=request.is_disconnected,
    )
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
