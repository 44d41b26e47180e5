"""Checkpoint coverage: a log must carry the checkpoints its length and age require.

The server signs a checkpoint at every multiple of ``every_events`` events and, while events
arrive, at least every ``every_seconds`` seconds (and at start-up and shutdown). Verification
therefore expects, between two consecutive checkpoints (and from the start of the log to the
first one, and from the last one to the end), no more than ``every_events`` events and no more
than ``window_seconds`` between the first event of the gap and the newest one. A log whose
checkpoints were deleted fails here and the gap is named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["CoveragePolicy", "Gap", "check_coverage"]


@dataclass(frozen=True, slots=True)
class CoveragePolicy:
    every_events: int = 1000  # 0: no rule by count
    every_seconds: float = 60.0  # 0: no rule by time
    # how far past every_seconds a gap may run before it counts as missing a checkpoint
    grace_seconds: float = 60.0

    @property
    def window_seconds(self) -> float:
        return self.every_seconds + self.grace_seconds


@dataclass(frozen=True, slots=True)
class Gap:
    """The first and the newest timestamp among the events of one gap between checkpoints."""

    first_ts: str
    max_ts: str


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def check_coverage(
    count: int,
    checkpoint_sizes: Sequence[int],
    gaps: Mapping[int, Gap],
    policy: CoveragePolicy,
) -> tuple[int, str] | None:
    """``(first event of the bad gap, problem)``, or None when every gap is covered.

    ``gaps`` is keyed by the checkpoint size the gap starts after (0 for the first gap).
    """
    starts = [0, *sorted(s for s in checkpoint_sizes if 0 < s < count)]
    ends = [*starts[1:], count]
    for start, end in zip(starts, ends, strict=True):
        length = end - start
        if length <= 0:
            continue
        closed = end != count or end in checkpoint_sizes
        every = policy.every_events
        if every > 0 and (length > every or (not closed and length >= every)):
            after = f"after the checkpoint at size {start}" if start else "from the start"
            return (
                start + 1,
                f"checkpoints are missing: events {start + 1}..{end} ({length} events {after}) "
                f"have none, and one is required at least every {every} events",
            )
        gap = gaps.get(start)
        if policy.every_seconds > 0 and gap is not None:
            try:
                span = (_parse(gap.max_ts) - _parse(gap.first_ts)).total_seconds()
            except ValueError:
                return (
                    start + 1,
                    f"events {start + 1}..{end}: a timestamp is not an ISO 8601 UTC time "
                    f"({gap.first_ts!r} .. {gap.max_ts!r})",
                )
            if span > policy.window_seconds:
                return (
                    start + 1,
                    f"checkpoints are missing: events {start + 1}..{end} span {span:.0f} s "
                    f"({gap.first_ts} to {gap.max_ts}) without one, and one is required every "
                    f"{policy.every_seconds:g} s while events arrive",
                )
    return None
