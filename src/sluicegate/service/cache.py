"""A per-process cache of authenticated tokens, so that a hot read does not hit the database.

Every request presents a token, and looking it up (a unit of work and one or two queries) cost
more than the rest of an OFREP evaluation or an authenticated read (issue 11 section 6). Entries
live ``ttl`` seconds. Any committed write in this process clears the cache, so a revocation, a
new role or a flag change made through this process applies to the very next request; one made
through another process (another worker or replica) applies within ``ttl``. A generation counter
keeps a lookup that raced a write from storing what it read before that write.

Only what the lookup read is cached: expiry is checked against the clock on every hit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["TtlCache", "VersionedCache"]

V = TypeVar("V")


class TtlCache(Generic[V]):
    """Values by key for ``ttl`` seconds, at most ``max_entries`` of them (oldest dropped first)."""

    def __init__(
        self,
        ttl: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._items: dict[Hashable, tuple[float, V]] = {}
        self._generation = 0

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def generation(self) -> int:
        """Read before a lookup, and hand it to :meth:`put` after."""
        return self._generation

    def get(self, key: Hashable) -> V | None:
        if not self.enabled:
            return None
        found = self._items.get(key)
        if found is None:
            return None
        stored_at, value = found
        if self._clock() - stored_at >= self.ttl:
            with self._lock:
                self._items.pop(key, None)
            return None
        return value

    def put(self, key: Hashable, value: V, generation: int) -> None:
        """Store ``value`` unless the cache was cleared since ``generation`` was read."""
        if not self.enabled:
            return
        with self._lock:
            if generation != self._generation:
                return
            if key not in self._items and len(self._items) >= self._max:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (self._clock(), value)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class VersionedCache(Generic[V]):
    """Values computed from data at a version: a value is served only while the data's version
    is still the one it was computed at. At most ``max_entries`` keys (least recently used
    dropped first).

    The delivery metrics keep their linked facts here (docs/delivery-metrics.md, "Speed"):
    linking a window's events is the expensive step, the store's delivery version is one
    indexed read, and any delivery write (in any process) moves it.
    """

    def __init__(self, max_entries: int = 4) -> None:
        self._max = max(1, max_entries)
        self._lock = threading.Lock()
        self._items: dict[Hashable, tuple[int, V]] = {}

    def get(self, key: Hashable, version: int) -> V | None:
        with self._lock:
            found = self._items.pop(key, None)
            if found is None:
                return None
            self._items[key] = found  # most recently used last
        return found[1] if found[0] == version else None

    def put(self, key: Hashable, version: int, value: V) -> None:
        with self._lock:
            current = self._items.get(key)
            if current is not None and current[0] > version:
                return  # a newer value is there already
            self._items.pop(key, None)
            while len(self._items) >= self._max:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (version, value)

    def __len__(self) -> int:
        return len(self._items)
