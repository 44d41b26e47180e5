"""Per-key token buckets, and the 429 they answer (RFC 6585, with ``Retry-After``).

The OFREP routes limit each flag or API token; the delivery ingest routes limit each API token
and each webhook source (``SLUICE_INGEST_RATE``, ``SLUICE_INGEST_BURST``). The buckets live in
the process: with N workers a key may take up to N times the rate.
"""

from __future__ import annotations

import math
import threading
import time

from fastapi import FastAPI

from sluicegate.bootstrap import Container
from sluicegate.domain.errors import Unavailable

__all__ = ["RateLimited", "RateLimiter", "check_ingest", "ingest_limiter"]


class RateLimiter:
    """Token buckets keyed by API token: ``rate`` per second, up to ``burst`` at once."""

    def __init__(self, rate: float, burst: float, max_keys: int = 10_000) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, cost: float = 1.0) -> int | None:
        """Take ``cost`` tokens; None when allowed, else the whole seconds until they are there.

        A cost above the burst is charged as the whole burst (a large batch waits for a full
        bucket instead of never passing).
        """
        if self.rate <= 0:
            return None
        cost = min(max(cost, 0.0), self.burst)
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= cost:
                if key not in self._buckets and len(self._buckets) >= self._max_keys:
                    self._buckets.pop(next(iter(self._buckets)))
                self._buckets[key] = (tokens - cost, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((cost - tokens) / self.rate))


class RateLimited(Unavailable):
    """Too many requests from one token or source (429, ``Retry-After`` seconds).

    An Unavailable for this caller, for now: the CLI's exit code is Unavailable's.
    """

    code = "rate-limited"
    title = "Too Many Requests"
    default_hint = "Wait the Retry-After seconds and send again; the limit is per token or source."

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def ingest_limiter(app: FastAPI) -> RateLimiter:
    """The app's delivery-ingest limiter, made from its settings on first use."""
    found: RateLimiter | None = getattr(app.state, "ingest_limiter", None)
    if found is None:
        container: Container = app.state.container
        found = RateLimiter(container.settings.ingest_rate, container.settings.ingest_burst)
        app.state.ingest_limiter = found
    return found


def check_ingest(app: FastAPI, key: str, cost: float = 1.0) -> None:
    """Raise :class:`RateLimited` when ``key`` (a token id, ``source:<name>``) is over its rate."""
    retry = ingest_limiter(app).retry_after(key, cost)
    if retry is not None:
        raise RateLimited(f"delivery ingest rate limit reached for {key}", retry_after=retry)
