"""The flag routes' app state: their settings, the compiled-set cache, the per-token rate limiter
and the revision hub that wakes the sync streams. One per app (``runtime_for``), shared by the
set, OFREP and sync routes.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from sluicegate.api.ratelimit import RateLimiter
from sluicegate.bootstrap import Container, Settings
from sluicegate.domain.errors import NotFound
from sluicegate.flags import CompiledFlagSet, compile_flag_set
from sluicegate.service import flags as svc
from sluicegate.service.context import Deps
from sluicegate.service.flags.ports import FlagHead

__all__ = [
    "CompiledCache",
    "FlagRuntime",
    "FlagSettings",
    "Key",
    "RateLimiter",
    "RevisionHub",
    "bearer",
    "etag_matches",
    "runtime_for",
]


Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class FlagSettings:
    """Tunables of the flag endpoints (``SLUICE_OFREP_*``, ``SLUICE_SSE_*``: bootstrap.Settings)."""

    ofrep_rate: float = 100.0
    ofrep_burst: float = 200.0
    sse_keepalive: float = 15.0
    sse_poll: float = 5.0
    sse_max_seconds: float = 300.0
    schedule_interval: float = 30.0
    cache_size: int = 256

    @classmethod
    def from_settings(cls, settings: Settings) -> FlagSettings:
        return cls(
            ofrep_rate=settings.ofrep_rate,
            ofrep_burst=settings.ofrep_burst,
            sse_keepalive=settings.sse_keepalive_seconds,
            sse_poll=settings.sse_poll_seconds,
            sse_max_seconds=settings.sse_max_seconds,
            schedule_interval=settings.flag_schedule_interval_seconds,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FlagSettings:
        """From ``SLUICE_*`` variables; a bad value raises ``InvalidSettings`` naming it."""
        return cls.from_settings(Settings.from_env(env))


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
    """The app's flag runtime, created on first use from the container's settings."""
    found: FlagRuntime | None = getattr(app.state, "flag_runtime", None)
    if found is None:
        container: Container | None = getattr(app.state, "container", None)
        settings = FlagSettings.from_settings(container.settings) if container else FlagSettings()
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
