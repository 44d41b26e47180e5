"""Review boards: a member pool, a rotation period and a quorum.

The rotation is a pure function of the time: periods are counted from Monday 1970-01-05 00:00
UTC, so with the default 7-day period each period is one ISO week (Monday to Monday, UTC). In
period ``i`` the ``seats`` members starting at position ``i * seats`` (cyclically, in the order
the pool is written) serve. Anyone can therefore compute "who serves this week".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["ROTATION_EPOCH", "BoardRotation", "ReviewBoard", "rotation", "serving"]

ROTATION_EPOCH = datetime(1970, 1, 5, tzinfo=UTC)  # a Monday: periods of 7 days are ISO weeks


@dataclass(frozen=True, slots=True)
class ReviewBoard:
    name: str
    members: tuple[str, ...]
    seats: int
    quorum: int
    period_days: int = 7

    def __post_init__(self) -> None:
        if not self.members or len(set(self.members)) != len(self.members):
            raise ValueError("a review board needs a pool of distinct members")
        if not 1 <= self.seats <= len(self.members):
            raise ValueError("seats must be between 1 and the size of the pool")
        if not 1 <= self.quorum <= self.seats:
            raise ValueError("quorum must be between 1 and the number of seats")
        if self.period_days < 1:
            raise ValueError("the rotation period must be at least one day")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "members": list(self.members),
            "seats": self.seats,
            "quorum": self.quorum,
            "period_days": self.period_days,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ReviewBoard:
        return cls(
            name=str(doc["name"]),
            members=tuple(doc["members"]),
            seats=int(doc["seats"]),
            quorum=int(doc["quorum"]),
            period_days=int(doc.get("period_days", 7)),
        )


@dataclass(frozen=True, slots=True)
class BoardRotation:
    board: str
    period: int
    starts_at: datetime
    ends_at: datetime
    members: tuple[str, ...]


def rotation(board: ReviewBoard, now: datetime) -> BoardRotation:
    """The period containing ``now`` and who serves in it."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    length = timedelta(days=board.period_days)
    period = (now - ROTATION_EPOCH) // length
    starts_at = ROTATION_EPOCH + period * length
    pool = board.members
    first = (period * board.seats) % len(pool)
    members = tuple(pool[(first + i) % len(pool)] for i in range(board.seats))
    return BoardRotation(board.name, period, starts_at, starts_at + length, members)


def serving(board: ReviewBoard, now: datetime) -> tuple[str, ...]:
    """The members serving on ``board`` at ``now``."""
    return rotation(board, now).members
