"""The SDK sync protocol (``sluicegate.sdk.protocol``).

* ``GET /api/v1/sync/flag-sets/{flag_set}[?environment=E]``: the flagd document, with a quoted
  ``ETag`` and ``X-Sluicegate-Revision``; ``If-None-Match`` with the current ETag gives 304.
* ``GET /api/v1/sync/flag-sets/{flag_set}/events[?environment=E]``: ``text/event-stream`` with
  ``event: revision`` / ``data: {"revision": ..., "flag_set": ...}`` for every new revision
  (and the current one on connect) and ``: keepalive`` comments in between.

The stream wakes on an in-process notification when this replica writes a revision, and polls
the database every ``SLUICE_SSE_POLL`` seconds so that writes on other replicas arrive too. It ends
when the client disconnects, when the app shuts down, and after ``SLUICE_SSE_MAX_SECONDS`` (the
client reconnects), so that a graceful shutdown never waits on a stream for long.

What the flag endpoints share in one process (settings, the compiled-set cache, the revision
hub, the OFREP rate limiter) is their app state, in :mod:`sluicegate.api.routes.flags.runtime`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from sluicegate.api.deps import ServiceDeps
from sluicegate.api.routes.flags.runtime import (
    FlagSettings,
    Key,
    RevisionHub,
    bearer,
    etag_matches,
    runtime_for,
)
from sluicegate.api.schemas.flags.sync import FlagdDocument
from sluicegate.api.schemas.problems import problem_responses
from sluicegate.domain.access.identity import Action
from sluicegate.domain.errors import NotFound
from sluicegate.service import flags as svc
from sluicegate.service.context import Deps

__all__ = [
    "document",
    "events",
    "revision_events",
    "router",
]


router = APIRouter(tags=["flag sync"])


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
