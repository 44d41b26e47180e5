"""The rollout state machine: statuses, allowed transitions and the manual controls.

::

    pending --start--> running --pause--> paused --resume--> running
    running --(last step done)--> succeeded
    running | paused --(analysis failed, abort)--> rolling-back --> rolled-back | aborted

``rolling-back`` is the crash-safe middle: the controller has decided to roll back (the reason and
the verdict are stored) and applies the rollback idempotently until it is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from sluicegate.domain.errors import InvalidTransition

__all__ = ["ACTIVE", "FINAL", "TRANSITIONS", "Status", "check"]


class Status(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    ROLLING_BACK = "rolling-back"
    SUCCEEDED = "succeeded"
    ROLLED_BACK = "rolled-back"
    ABORTED = "aborted"


FINAL = frozenset({Status.SUCCEEDED, Status.ROLLED_BACK, Status.ABORTED})
#: Statuses the controller works on each tick.
ACTIVE = frozenset({Status.RUNNING, Status.ROLLING_BACK})

TRANSITIONS: Mapping[Status, tuple[Status, ...]] = {
    Status.PENDING: (Status.RUNNING, Status.ABORTED),
    Status.RUNNING: (Status.PAUSED, Status.SUCCEEDED, Status.ROLLING_BACK),
    Status.PAUSED: (Status.RUNNING, Status.ROLLING_BACK),
    Status.ROLLING_BACK: (Status.ROLLED_BACK, Status.ABORTED),
    Status.SUCCEEDED: (),
    Status.ROLLED_BACK: (),
    Status.ABORTED: (),
}


def check(current: Status, target: Status) -> None:
    """Raise :class:`InvalidTransition` naming the allowed targets unless current -> target."""
    allowed = TRANSITIONS[current]
    if target not in allowed:
        raise InvalidTransition(
            f"{_article(current.value)} {current.value} rollout cannot become {target.value}",
            allowed=[s.value for s in allowed],
        )


def _article(word: str) -> str:
    """``an`` before a vowel sound (an aborted rollout), else ``a`` (a running rollout)."""
    return "an" if word[:1].lower() in "aeiou" else "a"
