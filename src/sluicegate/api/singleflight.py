"""One lookup at a time per key: concurrent requests that miss the same cache entry share it.

When a token's cache entry expires (``SLUICE_AUTH_CACHE_SECONDS``), every request in flight with
that token missed at once and each queued its own database lookup on the thread pool: under 20
connections that burst was the tail of the latency (p99 up to 200 ms against a p50 of 8 ms,
benchmarks/server.py). Here the first miss looks up and the others await its result, or its
error. Nothing is cached beyond the lookup itself: the answer is as fresh as the lookup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from fastapi import FastAPI

__all__ = ["single_flight"]

T = TypeVar("T")


async def single_flight(app: FastAPI, key: Hashable, lookup: Callable[[], Awaitable[T]]) -> T:
    """``await lookup()``, shared with any concurrent call for the same ``key`` on this app.

    The lookup runs as its own task, so a caller that goes away (a client disconnect cancels its
    request) does not cancel it for the others.
    """
    flights: dict[Hashable, asyncio.Future[Any]] | None = getattr(app.state, "flights", None)
    if flights is None:
        flights = app.state.flights = {}
    task = flights.get(key)
    if task is None:
        task = asyncio.ensure_future(lookup())
        flights[key] = task

        def landed(done: asyncio.Future[Any]) -> None:
            if flights.get(key) is done:
                del flights[key]
            if not done.cancelled():
                done.exception()  # retrieved, even when every caller went away

        task.add_done_callback(landed)
    result: T = await asyncio.shield(task)
    return result
