"""The checkpoint coverage rules: by count and by time, naming the gap."""

from __future__ import annotations

from sluicegate.domain.audit.coverage import CoveragePolicy, Gap, check_coverage

POLICY = CoveragePolicy(every_events=10, every_seconds=60, grace_seconds=60)
T0 = "2026-11-21T12:00:00.000000Z"


def _ts(seconds: int) -> str:
    return f"2026-11-21T12:{seconds // 60:02d}:{seconds % 60:02d}.000000Z"


def test_a_log_with_checkpoints_at_every_multiple_is_covered() -> None:
    assert check_coverage(25, [10, 20], {}, POLICY) is None
    assert check_coverage(29, [10, 20], {}, POLICY) is None  # 9 in the tail: not yet due
    assert check_coverage(30, [10, 20, 30], {}, POLICY) is None
    assert check_coverage(0, [], {}, POLICY) is None
    assert check_coverage(9, [], {}, POLICY) is None


def test_missing_checkpoints_are_named() -> None:
    assert check_coverage(25, [], {}, POLICY) == (
        1,
        "checkpoints are missing: events 1..25 (25 events from the start) have none, and one is "
        "required at least every 10 events",
    )
    found = check_coverage(35, [10, 30], {}, POLICY)
    assert found is not None
    assert found[0] == 11
    assert "events 11..30 (20 events after the checkpoint at size 10)" in found[1]
    tail = check_coverage(30, [10, 20], {}, POLICY)  # event 30 should have had one
    assert tail is not None
    assert tail[0] == 21


def test_time_checkpoints_off_the_multiples_are_fine() -> None:
    assert check_coverage(32, [4, 10, 17, 20, 30], {}, POLICY) is None


def test_a_gap_longer_than_the_window_is_named() -> None:
    gaps = {0: Gap(_ts(0), _ts(100)), 5: Gap(_ts(110), _ts(300))}
    assert check_coverage(8, [5], gaps, POLICY) == (
        6,
        f"checkpoints are missing: events 6..8 span 190 s ({_ts(110)} to {_ts(300)}) without "
        "one, and one is required every 60 s while events arrive",
    )
    assert check_coverage(8, [5], {0: gaps[0]}, POLICY) is None


def test_rules_can_be_switched_off_and_a_bad_timestamp_is_a_failure() -> None:
    off = CoveragePolicy(every_events=0, every_seconds=0)
    assert check_coverage(1000, [], {0: Gap(_ts(0), _ts(3000))}, off) is None
    found = check_coverage(3, [], {0: Gap("yesterday", T0)}, POLICY)
    assert found is not None
    assert "not an ISO 8601" in found[1]
