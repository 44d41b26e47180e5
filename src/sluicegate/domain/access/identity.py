"""Users, teams, roles, reviewer domains and the authorisation matrix.

Roles are ordered: viewer < contributor < reviewer < admin; each role can do what the roles below it
can. Approving in a reviewer domain needs the reviewer (or admin) role *and* that domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sluicegate.domain.errors import FieldError, Forbidden, InvalidInput

__all__ = [
    "PERMISSIONS",
    "TOKEN_MAX_DAYS",
    "Action",
    "Principal",
    "ReviewDecision",
    "ReviewerDomain",
    "Role",
    "TokenPolicy",
    "authorize",
    "require_team",
    "role_allows",
]


class Role(StrEnum):
    VIEWER = "viewer"
    CONTRIBUTOR = "contributor"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANK = {Role.VIEWER: 0, Role.CONTRIBUTOR: 1, Role.REVIEWER: 2, Role.ADMIN: 3}


class ReviewerDomain(StrEnum):
    SECURITY = "security"
    COMPLIANCE = "compliance"
    OPERATIONS = "operations"
    PRODUCT = "product"
    ARCHITECTURE = "architecture"


class ReviewDecision(StrEnum):
    """What a sign-off or stage review says."""

    APPROVE = "approve"
    REJECT = "reject"


class Action(StrEnum):
    """Every action the API authorises. The role x action matrix is tested exhaustively."""

    TEAM_READ = "team:read"
    TEAM_WRITE = "team:write"
    USER_READ = "user:read"
    USER_WRITE = "user:write"
    TOKEN_CREATE_OWN = "token:create-own"  # noqa: S105 - an action name, not a secret
    TOKEN_OWN = "token:own"  # noqa: S105 - list and revoke one's own tokens
    TOKEN_MANAGE = "token:manage"  # noqa: S105 - an action name, not a secret
    EXPERIMENT_READ = "experiment:read"
    EXPERIMENT_PROPOSE = "experiment:propose"
    EXPERIMENT_UPDATE = "experiment:update"
    EXPERIMENT_TRANSITION = "experiment:transition"
    EXPERIMENT_APPROVE = "experiment:approve"
    EXPERIMENT_REJECT = "experiment:reject"
    AUDIT_READ = "audit:read"
    AUDIT_CHECKPOINT = "audit:checkpoint"
    RISK_MATRIX_READ = "risk-matrix:read"
    RISK_MATRIX_WRITE = "risk-matrix:write"
    SETTINGS_WRITE = "settings:write"
    FLAG_READ = "flag:read"
    FLAG_WRITE = "flag:write"
    FLAG_APPROVE = "flag:approve"
    FLAG_POLICY = "flag:policy"
    FLAG_EVALUATE = "flag:evaluate"
    WEBHOOK_READ = "webhook:read"
    WEBHOOK_MANAGE = "webhook:manage"
    JIT_REQUEST = "jit:request"
    JIT_READ = "jit:read"
    JIT_DECIDE = "jit:decide"
    PROCESS_READ = "process:read"
    PROCESS_APPLY = "process:apply"
    GATE_CHECK = "gate:check"
    EVIDENCE_ADD = "evidence:add"
    OVERRIDE_MANAGE = "override:manage"
    ROLLOUT_READ = "rollout:read"
    ROLLOUT_WRITE = "rollout:write"
    ROLLOUT_OPERATE = "rollout:operate"
    ROLLOUT_PROMOTE = "rollout:promote"
    METRICS_PUSH = "metrics:push"
    METRICS_READ = "metrics:read"
    DELIVERY_WRITE = "delivery:write"
    DELIVERY_READ = "delivery:read"
    SLO_WRITE = "slo:write"
    SLO_READ = "slo:read"


#: The minimum role for each action.
PERMISSIONS: Mapping[Action, Role] = {
    Action.TEAM_READ: Role.VIEWER,
    Action.TEAM_WRITE: Role.ADMIN,
    Action.USER_READ: Role.VIEWER,
    Action.USER_WRITE: Role.ADMIN,
    # the default of TokenPolicy.self_service_role, which an admin may change
    Action.TOKEN_CREATE_OWN: Role.CONTRIBUTOR,
    Action.TOKEN_OWN: Role.VIEWER,
    Action.TOKEN_MANAGE: Role.ADMIN,
    Action.EXPERIMENT_READ: Role.VIEWER,
    Action.EXPERIMENT_PROPOSE: Role.CONTRIBUTOR,
    Action.EXPERIMENT_UPDATE: Role.CONTRIBUTOR,
    Action.EXPERIMENT_TRANSITION: Role.CONTRIBUTOR,
    Action.EXPERIMENT_APPROVE: Role.REVIEWER,
    Action.EXPERIMENT_REJECT: Role.REVIEWER,
    Action.AUDIT_READ: Role.REVIEWER,
    Action.AUDIT_CHECKPOINT: Role.ADMIN,
    Action.RISK_MATRIX_READ: Role.VIEWER,
    Action.RISK_MATRIX_WRITE: Role.ADMIN,
    Action.SETTINGS_WRITE: Role.ADMIN,
    Action.FLAG_READ: Role.VIEWER,
    Action.FLAG_WRITE: Role.CONTRIBUTOR,
    Action.FLAG_APPROVE: Role.REVIEWER,
    Action.FLAG_POLICY: Role.ADMIN,
    Action.FLAG_EVALUATE: Role.VIEWER,
    Action.WEBHOOK_READ: Role.ADMIN,
    Action.WEBHOOK_MANAGE: Role.ADMIN,
    Action.JIT_REQUEST: Role.VIEWER,
    Action.JIT_READ: Role.VIEWER,
    Action.JIT_DECIDE: Role.REVIEWER,
    Action.PROCESS_READ: Role.VIEWER,
    Action.PROCESS_APPLY: Role.ADMIN,
    Action.GATE_CHECK: Role.CONTRIBUTOR,
    Action.EVIDENCE_ADD: Role.CONTRIBUTOR,
    Action.OVERRIDE_MANAGE: Role.REVIEWER,
    Action.ROLLOUT_READ: Role.VIEWER,
    Action.ROLLOUT_WRITE: Role.CONTRIBUTOR,
    Action.ROLLOUT_OPERATE: Role.CONTRIBUTOR,
    Action.ROLLOUT_PROMOTE: Role.REVIEWER,
    Action.METRICS_PUSH: Role.CONTRIBUTOR,
    Action.METRICS_READ: Role.VIEWER,
    Action.DELIVERY_WRITE: Role.CONTRIBUTOR,
    Action.DELIVERY_READ: Role.VIEWER,
    Action.SLO_WRITE: Role.CONTRIBUTOR,
    Action.SLO_READ: Role.VIEWER,
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a user, seen through the token they presented (whose role may be lower)."""

    user_id: str
    username: str
    role: Role
    domains: frozenset[ReviewerDomain] = field(default_factory=frozenset)
    teams: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None

    @property
    def actor(self) -> str:
        """The actor string written into audit events."""
        return f"user:{self.username}"


def role_allows(role: Role, action: Action) -> bool:
    return role.at_least(PERMISSIONS[action])


def authorize(principal: Principal, action: Action) -> None:
    """Raise :class:`Forbidden` unless the principal's role allows ``action``."""
    if not role_allows(principal.role, action):
        needed = PERMISSIONS[action]
        raise Forbidden(
            f"{principal.username} (role {principal.role}) may not {action}: "
            f"it needs role {needed} or higher"
        )


def require_team(principal: Principal, team: str, what: str = "experiments") -> None:
    """Contributors act only on their own teams' ``what``; reviewers and admins on any team's."""
    if principal.role.at_least(Role.REVIEWER) or team in principal.teams:
        return
    raise Forbidden(
        f"{principal.username} is not a member of team {team!r}",
        hint=f"Contributors act on their own teams' {what}; ask an admin to add you.",
    )


#: The longest lifetime any API token can have, whatever the policy says (days).
TOKEN_MAX_DAYS = 365


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    """The admin-set rules for API tokens (the ``token_policy`` setting).

    ``max_lifetime_days`` is both the default lifetime of a new token and the longest one may ask
    for; ``max_active_per_user`` caps the tokens a user holds that are neither revoked nor
    expired; ``self_service_role`` is the lowest role that may issue tokens for itself.
    """

    max_lifetime_days: int = 90
    max_active_per_user: int = 20
    self_service_role: Role = PERMISSIONS[Action.TOKEN_CREATE_OWN]

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_lifetime_days": self.max_lifetime_days,
            "max_active_per_user": self.max_active_per_user,
            "self_service_role": self.self_service_role.value,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> TokenPolicy:
        """Validate a policy document; missing keys keep their defaults."""
        default = cls()
        errors: list[FieldError] = []
        unknown = sorted(set(doc) - set(default.to_dict()))
        errors += [FieldError(k, "unknown setting") for k in unknown]

        def days(name: str, top: int, fallback: int) -> int:
            value = doc.get(name, fallback)
            if type(value) is not int or not 1 <= value <= top:
                errors.append(FieldError(name, f"an integer from 1 to {top}"))
                return fallback
            return value

        lifetime = days("max_lifetime_days", TOKEN_MAX_DAYS, default.max_lifetime_days)
        cap = days("max_active_per_user", 1000, default.max_active_per_user)
        role_name = doc.get("self_service_role", default.self_service_role.value)
        try:
            role = Role(role_name)
        except ValueError:
            errors.append(FieldError("self_service_role", f"one of {', '.join(Role)}"))
            role = default.self_service_role
        if errors:
            raise InvalidInput("invalid token policy", errors=errors)
        return cls(lifetime, cap, role)
