"""Just-in-time access, the pure rules: what may be requested, who approves, when a grant counts.

A request asks for a role on one experiment at one stage (the experiment's current state) for a
bounded time. Approval needs the reviewer role for contributor or reviewer elevation and the admin
role for admin elevation, and never the requester. An approved request is a grant (same id) that
counts only while it is active, unexpired, and the experiment is still at the granted stage.

States::

    pending -> denied
            -> active -> expired   (its time ran out; the periodic job records it)
                      -> revoked   (manually, or the experiment left the stage or rolled back)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sluicegate.domain.access.identity import Principal, Role
from sluicegate.domain.errors import FieldError, InvalidInput, InvalidTransition
from sluicegate.domain.experiments.lifecycle import ACTIVE_STATES, State
from sluicegate.domain.gates.durations import (
    format_duration,
    parse_duration,
    seconds_to_timedelta,
)

__all__ = [
    "ELEVATABLE_ROLES",
    "JIT_STATES",
    "JIT_TRANSITIONS",
    "GrantView",
    "JitState",
    "approver_role",
    "check_jit",
    "check_role",
    "check_stage",
    "elevate",
    "format_duration",
    "is_effective",
    "parse_request_duration",
]


class JitState(StrEnum):
    """Where a just-in-time request is: waiting, refused, granted, or ended."""

    PENDING = "pending"
    DENIED = "denied"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


JIT_STATES = tuple(s.value for s in JitState)

#: A request is decided once; a grant ends once, by time or by revocation.
JIT_TRANSITIONS: Mapping[JitState, tuple[JitState, ...]] = {
    JitState.PENDING: (JitState.ACTIVE, JitState.DENIED),
    JitState.ACTIVE: (JitState.EXPIRED, JitState.REVOKED),
    JitState.DENIED: (),
    JitState.EXPIRED: (),
    JitState.REVOKED: (),
}


def check_jit(current: JitState, target: JitState) -> None:
    """Raise :class:`InvalidTransition` naming the allowed targets unless current -> target."""
    allowed = JIT_TRANSITIONS[current]
    if target not in allowed:
        raise InvalidTransition(
            f"a {current.value} just-in-time request cannot become {target.value}",
            allowed=[s.value for s in allowed],
        )


ELEVATABLE_ROLES = (Role.CONTRIBUTOR, Role.REVIEWER, Role.ADMIN)


def approver_role(requested: Role) -> Role:
    """Reviewers approve contributor and reviewer elevation; only admins approve admin."""
    return Role.ADMIN if requested is Role.ADMIN else Role.REVIEWER


def parse_request_duration(value: object, maximum: timedelta) -> timedelta:
    """A duration such as ``30m``, ``2h`` or ``1h30m`` (or whole seconds), at most ``maximum``."""
    if isinstance(value, bool):
        value = str(value)
    try:
        if isinstance(value, int):
            if value <= 0:
                raise ValueError(f"{value} must be longer than zero")
            duration = seconds_to_timedelta(value)
        else:
            duration = parse_duration(value)
    except ValueError as exc:
        raise InvalidInput(
            "the requested duration is not valid", errors=[FieldError("duration", str(exc))]
        ) from None
    if duration > maximum:
        raise InvalidInput(
            f"the requested duration {format_duration(duration)} exceeds the maximum "
            f"of {format_duration(maximum)}",
            errors=[
                FieldError(
                    "duration",
                    f"{format_duration(duration)} is longer than the allowed maximum "
                    f"{format_duration(maximum)}",
                )
            ],
            hint="Ask for a shorter grant; request again if the work takes longer.",
        )
    return duration


def check_role(current: Role, requested: str) -> Role:
    try:
        role = Role(requested)
    except ValueError:
        role = None
    if role not in ELEVATABLE_ROLES:
        allowed = ", ".join(r.value for r in ELEVATABLE_ROLES)
        raise InvalidInput(
            "the requested role cannot be granted",
            errors=[FieldError("role", f"{requested!r} is not one of {allowed}")],
        )
    assert role is not None
    if current.at_least(role):
        raise InvalidInput(
            f"you already act as {current.value}, which includes {role.value}",
            errors=[FieldError("role", f"not an elevation over your role {current.value}")],
        )
    return role


def check_stage(stage: str, current_state: str) -> State:
    """The stage must be an active state and the experiment's current one."""
    try:
        state = State(stage)
    except ValueError:
        state = None
    if state is None or state not in ACTIVE_STATES:
        allowed = ", ".join(s.value for s in State if s in ACTIVE_STATES)
        raise InvalidInput(
            "the requested stage is not an active experiment stage",
            errors=[FieldError("stage", f"{stage!r} is not one of {allowed}")],
        )
    if state.value != current_state:
        raise InvalidInput(
            f"the experiment is at {current_state}, not {stage}",
            errors=[
                FieldError(
                    "stage", f"grants are for the experiment's current stage ({current_state})"
                )
            ],
        )
    return state


@dataclass(frozen=True, slots=True)
class GrantView:
    """What :func:`is_effective` needs of a stored grant."""

    id: str
    state: str
    role: Role
    experiment_key: str
    stage: str
    expires_at: datetime | None


def is_effective(grant: GrantView, key: str, stage: str, now: datetime) -> bool:
    return (
        grant.state == "active"
        and grant.experiment_key == key
        and grant.stage == stage
        and grant.expires_at is not None
        and now < grant.expires_at
    )


def elevate(
    principal: Principal,
    grants: Iterable[GrantView],
    *,
    key: str,
    stage: str,
    owner_team: str,
    now: datetime,
) -> tuple[Principal, GrantView | None]:
    """The principal acting with the highest effective grant, and that grant (None: unchanged).

    A grant raises the role and, for the experiment it names, counts as membership of the owner
    team; it never lowers anything and never reaches another experiment.
    """
    best: GrantView | None = None
    for grant in grants:
        if is_effective(grant, key, stage, now) and (
            best is None or grant.role.rank > best.role.rank
        ):
            best = grant
    if best is None:
        return principal, None
    role = best.role if best.role.rank > principal.role.rank else principal.role
    teams = principal.teams | {owner_team}
    if role == principal.role and teams == principal.teams:
        return principal, None
    return replace(principal, role=role, teams=teams), best
