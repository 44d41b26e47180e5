"""Circuit breakers: closed -> open -> half-open -> closed, one probe at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sluicegate.domain.rollouts import Breaker, BreakerState

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_one_failure_opens_a_service_breaker_and_it_holds_everyone() -> None:
    b = Breaker("service:checkout", cooldown_seconds=60).failure(T0, "rollout r1 failed")
    assert b.state is BreakerState.OPEN
    for rollout in ("r1", "r2"):
        _, ok = b.admit(rollout, T0 + timedelta(seconds=59))
        assert not ok


def test_after_the_cooldown_exactly_one_probe_goes_and_its_success_closes() -> None:
    b = Breaker("service:checkout", cooldown_seconds=60).failure(T0, "boom")
    later = T0 + timedelta(seconds=60)
    assert b.current(later).state is BreakerState.HALF_OPEN
    b, ok = b.admit("r2", later)
    assert ok
    assert b.probe == "r2"
    _, other = b.admit("r3", later)
    assert not other
    _, again = b.admit("r2", later)
    assert again
    # A success of another rollout does not close it; the probe's does.
    assert b.success("r3", later).state is BreakerState.HALF_OPEN
    closed = b.success("r2", later)
    assert closed.state is BreakerState.CLOSED
    assert (closed.failures, closed.probe, closed.opened_at) == (0, None, None)
    assert closed.admit("r3", later)[1]


def test_a_failed_probe_opens_the_breaker_again_from_now() -> None:
    b = Breaker("service:checkout", cooldown_seconds=60).failure(T0, "boom")
    later = T0 + timedelta(seconds=90)
    b, _ = b.admit("r2", later)
    reopened = b.failure(later, "probe failed")
    assert reopened.state is BreakerState.OPEN
    assert reopened.opened_at == later
    assert not reopened.admit("r2", later + timedelta(seconds=59))[1]
    assert reopened.admit("r2", later + timedelta(seconds=60))[1]


def test_rollout_breaker_counts_consecutive_errors_up_to_its_threshold() -> None:
    b = Breaker("rollout:r1", threshold=3, cooldown_seconds=30)
    b = b.failure(T0, "timeout").failure(T0, "timeout")
    assert b.state is BreakerState.CLOSED
    assert b.admit("r1", T0)[1]
    # A success in between resets the count.
    assert b.success("r1", T0).failures == 0
    b = b.failure(T0, "timeout")
    assert b.state is BreakerState.OPEN
    assert b.to_dict(T0)["state"] == "open"
    assert b.to_dict(T0 + timedelta(seconds=30))["state"] == "half-open"
