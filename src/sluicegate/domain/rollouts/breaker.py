"""Circuit breakers: closed, open, half-open (docs/rollouts.md, "Circuit breakers").

Two scopes share one rule set:

* ``service:<name>`` opens when a rollout touching the service fails its analysis (one failure
  is enough by default); while it is open every other rollout touching the service holds before
  its next step. After ``cooldown`` it is half-open: exactly one rollout (the *probe*) may go on;
  its next passed analysis closes the breaker, a failure opens it again.
* ``rollout:<id>`` counts consecutive errors of the controller on one rollout (the target or the
  metric source failing); after ``threshold`` of them the rollout holds for ``cooldown``, then one
  probe tick runs, and its success closes the breaker.

Pure values: every method returns a new breaker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

__all__ = ["Breaker", "BreakerState"]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass(frozen=True, slots=True)
class Breaker:
    key: str
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    threshold: int = 1
    cooldown_seconds: float = 300.0
    opened_at: datetime | None = None
    probe: str | None = None  # the rollout allowed through while half-open
    reason: str | None = None

    def current(self, now: datetime) -> Breaker:
        """The breaker as of ``now``: an open breaker past its cooldown is half-open."""
        if (
            self.state is BreakerState.OPEN
            and self.opened_at is not None
            and now >= self.opened_at + timedelta(seconds=self.cooldown_seconds)
        ):
            return replace(self, state=BreakerState.HALF_OPEN, probe=None)
        return self

    def admit(self, rollout_id: str, now: datetime) -> tuple[Breaker, bool]:
        """May ``rollout_id`` go on? Half-open admits the first asker as the one probe."""
        b = self.current(now)
        if b.state is BreakerState.CLOSED:
            return b, True
        if b.state is BreakerState.OPEN:
            return b, False
        if b.probe is None:
            return replace(b, probe=rollout_id), True
        return b, b.probe == rollout_id

    def failure(self, now: datetime, reason: str) -> Breaker:
        b = self.current(now)
        failures = b.failures + 1
        if b.state is BreakerState.HALF_OPEN or failures >= b.threshold:
            return replace(
                b,
                state=BreakerState.OPEN,
                failures=failures,
                opened_at=now,
                probe=None,
                reason=reason,
            )
        return replace(b, failures=failures, reason=reason)

    def success(self, rollout_id: str, now: datetime) -> Breaker:
        """A success closes a half-open breaker only when it comes from its probe."""
        b = self.current(now)
        if b.state is BreakerState.CLOSED:
            return replace(b, failures=0) if b.failures else b
        if b.state is BreakerState.HALF_OPEN and b.probe == rollout_id:
            return replace(
                b, state=BreakerState.CLOSED, failures=0, opened_at=None, probe=None, reason=None
            )
        return b

    def to_dict(self, now: datetime | None = None) -> dict[str, Any]:
        b = self.current(now) if now is not None else self
        return {
            "key": b.key,
            "state": b.state.value,
            "failures": b.failures,
            "threshold": b.threshold,
            "cooldown_seconds": b.cooldown_seconds,
            "opened_at": b.opened_at.isoformat() if b.opened_at else None,
            "probe": b.probe,
            "reason": b.reason,
        }
