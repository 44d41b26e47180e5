"""The experiment lifecycle: states, allowed transitions and the exits.

The main path is proposed -> approved -> sandbox -> staging -> canary -> rollout ->
general-availability. The exits are rejected, rolled-back, retired and expired; they are final.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from sluicegate.domain.errors import (
    ApprovalRequired,
    FieldError,
    InvalidInput,
    InvalidTransition,
    StageNotReached,
)

__all__ = [
    "ACTIVE_STATES",
    "DEFAULT_ENVIRONMENT_STAGES",
    "FINAL_STATES",
    "NEEDS_REASON",
    "TRANSITIONS",
    "State",
    "Transition",
    "allowed_from",
    "check",
    "check_admits",
    "decide",
    "entry_stage",
]


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

_ON_PATH = frozenset(_PATH)
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


#: The stage at which each environment first admits an experiment when no process says: the
#: built-in default process's stages (sandbox, staging, and canary for production).
DEFAULT_ENVIRONMENT_STAGES: Mapping[str, State] = {
    "sandbox": State.SANDBOX,
    "staging": State.STAGING,
    "production": State.CANARY,
}


def entry_stage(environment: str, stages: Sequence[tuple[str, str]] | None = None) -> State:
    """The first stage on the main path that deploys to ``environment``.

    ``stages`` are the governing process's (stage name, environment) pairs; without a process the
    default mapping applies. An environment that no stage names is treated as production (the
    strictest entry, canary): a typo or a new environment never opens an earlier door.
    """
    if stages is None:
        return DEFAULT_ENVIRONMENT_STAGES.get(environment, State.CANARY)
    names = {State(name) for name, env in stages if env == environment and name in _ON_PATH}
    for state in _PATH:
        if state in names:
            return state
    return State.CANARY


def check_admits(key: str, state: State, environment: str, stage: State) -> None:
    """Raise :class:`StageNotReached` unless ``key`` in ``state`` may change ``environment``.

    The rule: a rollout (or anything else that changes what an environment serves) needs the
    experiment in the stage that deploys to that environment, or further along the main path.
    """
    if state in _ON_PATH and _PATH.index(state) >= _PATH.index(stage):
        return
    raise StageNotReached(
        f"{key!r} is {state.value}; changing {environment} needs it in {stage.value} or later "
        "(rule: a rollout follows the experiment's lifecycle)",
        hint=(
            f"Move {key!r} through its stages first (`sluice experiment show {key}` lists the "
            "next states)."
            if state not in FINAL_STATES
            else f"{key!r} has ended; propose a new experiment."
        ),
    )


#: Exits that must say why (a rejection, a rollback, a retirement).
NEEDS_REASON = frozenset({State.REJECTED, State.ROLLED_BACK, State.RETIRED})


@dataclass(frozen=True, slots=True)
class Transition:
    """A decided move of one experiment: what the one writer applies and the ledger records."""

    key: str
    before: State
    after: State
    reason: str | None


def decide(
    key: str,
    current: State,
    target: State,
    *,
    reason: str | None,
    risk_level: str,
    missing_signoffs: Sequence[str] = (),
) -> Transition:
    """Decide ``key``'s move from ``current`` to ``target``, or raise why it may not happen.

    The rules every writer shares: the move must be allowed from ``current`` (the exits listed by
    :data:`TRANSITIONS`), approval needs every required sign-off, and the exits in
    :data:`NEEDS_REASON` need a reason.
    """
    check(current, target)
    if target is State.APPROVED and missing_signoffs:
        raise ApprovalRequired(
            f"{key!r} (risk {risk_level}) still needs sign-off from: "
            + ", ".join(missing_signoffs),
            missing=missing_signoffs,
        )
    if target in NEEDS_REASON and not reason:
        raise InvalidInput(
            f"moving to {target.value} needs a reason",
            errors=[FieldError("reason", "required for this transition")],
        )
    return Transition(key, current, target, reason)
