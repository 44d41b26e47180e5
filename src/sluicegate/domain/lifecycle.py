"""The experiment lifecycle: states, allowed transitions and the exits.

The main path is proposed -> approved -> sandbox -> staging -> canary -> rollout ->
general-availability. The exits are rejected, rolled-back, retired and expired; they are final.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from itertools import pairwise

from sluicegate.domain.errors import InvalidTransition

__all__ = ["ACTIVE_STATES", "FINAL_STATES", "TRANSITIONS", "State", "allowed_from", "check"]


class State(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    SANDBOX = "sandbox"
    STAGING = "staging"
    CANARY = "canary"
    ROLLOUT = "rollout"
    GENERAL_AVAILABILITY = "general-availability"
    REJECTED = "rejected"
    ROLLED_BACK = "rolled-back"
    RETIRED = "retired"
    EXPIRED = "expired"


_PATH = [
    State.PROPOSED,
    State.APPROVED,
    State.SANDBOX,
    State.STAGING,
    State.CANARY,
    State.ROLLOUT,
    State.GENERAL_AVAILABILITY,
]

FINAL_STATES = frozenset({State.REJECTED, State.ROLLED_BACK, State.RETIRED, State.EXPIRED})
ACTIVE_STATES = frozenset(s for s in State if s not in FINAL_STATES)


def _build() -> dict[State, tuple[State, ...]]:
    table: dict[State, tuple[State, ...]] = {
        State.PROPOSED: (State.APPROVED, State.REJECTED, State.EXPIRED),
        State.APPROVED: (State.SANDBOX, State.RETIRED, State.EXPIRED),
        State.GENERAL_AVAILABILITY: (State.RETIRED,),
    }
    for here, after in pairwise(_PATH[2:]):
        table[here] = (after, State.ROLLED_BACK, State.RETIRED, State.EXPIRED)
    for final in FINAL_STATES:
        table[final] = ()
    return table


#: Allowed transitions from each state, in the order they are suggested to users.
TRANSITIONS: Mapping[State, tuple[State, ...]] = _build()


def allowed_from(state: State) -> tuple[State, ...]:
    return TRANSITIONS[state]


def check(current: State, target: State) -> None:
    """Raise :class:`InvalidTransition`, naming the allowed targets, unless current -> target."""
    allowed = TRANSITIONS[current]
    if target not in allowed:
        raise InvalidTransition(
            f"cannot move from {current.value} to {target.value}",
            allowed=[s.value for s in allowed],
        )
