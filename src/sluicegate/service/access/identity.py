"""Use cases for teams, users and API tokens, and token authentication.

Tokens are ``sg_`` plus 32 random bytes (URL-safe base64). Only their SHA-256 is stored: a token
carries 256 bits of entropy, so a fast hash is safe and keeps authentication cheap on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sluicegate.domain.access.identity import (
    TOKEN_MAX_DAYS,
    Action,
    Principal,
    ReviewerDomain,
    Role,
    TokenPolicy,
    authorize,
)
from sluicegate.domain.errors import (
    AlreadyExists,
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    StateConflict,
    Unauthenticated,
)
from sluicegate.domain.events import AuditAction
from sluicegate.service.access.payloads import team_payload, token_payload, user_payload
from sluicegate.service.access.ports import TeamRecord, TokenRecord, UserRecord
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.ports import UnitOfWork

__all__ = [
    "IssuedToken",
    "authenticate",
    "create_team",
    "create_user",
    "hash_token",
    "init_admin",
    "issue_local_token",
    "issue_token",
    "list_teams",
    "list_tokens",
    "list_users",
    "revoke_token",
    "set_token_policy",
    "team_dict",
    "token_dict",
    "token_policy",
    "user_dict",
]

TOKEN_PREFIX = "sg_"  # noqa: S105 - the public prefix of every token, not a secret


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    record: TokenRecord
    secret: str


def team_dict(t: TeamRecord) -> dict[str, Any]:
    return {"id": t.id, "key": t.key, "name": t.name, "created_at": t.created_at.isoformat()}


def user_dict(u: UserRecord) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role.value,
        "domains": sorted(d.value for d in u.domains),
        "teams": sorted(u.teams),
        "disabled": u.disabled,
        "created_at": u.created_at.isoformat(),
    }


def token_dict(t: TokenRecord) -> dict[str, Any]:
    return {
        "id": t.id,
        "user_id": t.user_id,
        "name": t.name,
        "prefix": t.prefix,
        "role": t.role.value,
        "created_at": t.created_at.isoformat(),
        "expires_at": t.expires_at.isoformat() if t.expires_at else None,
        "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
        "parent_id": t.parent_id,
    }


#: The settings row that holds the :class:`TokenPolicy`.
TOKEN_POLICY_SETTING = "token_policy"  # noqa: S105 - a settings key, not a secret


def _policy(uow: UnitOfWork) -> TokenPolicy:
    stored = uow.settings.get(TOKEN_POLICY_SETTING)
    return TokenPolicy() if stored is None else TokenPolicy.from_dict(stored)


def token_policy(deps: Deps) -> TokenPolicy:
    """The token policy in force: the admin's setting, else the defaults."""
    with deps.uow(readonly=True) as uow:
        return _policy(uow)


def set_token_policy(deps: Deps, ctx: RequestContext, doc: object) -> TokenPolicy:
    """Replace the token policy (admin); keys left out take their defaults."""
    authorize(ctx.principal, Action.SETTINGS_WRITE)
    if not isinstance(doc, dict):
        raise InvalidInput("the token policy is an object", errors=[FieldError("body", "object")])
    policy = TokenPolicy.from_dict(doc)
    with deps.uow() as uow:
        before = uow.settings.get(TOKEN_POLICY_SETTING)
        uow.settings.put(TOKEN_POLICY_SETTING, policy.to_dict(), deps.clock.now())
        record(
            deps,
            uow,
            ctx,
            AuditAction.SETTINGS_UPDATE,
            "settings",
            TOKEN_POLICY_SETTING,
            before=before,
            after=policy.to_dict(),
        )
    return policy


@dataclass(frozen=True, slots=True)
class _Known:
    """A token looked up recently (``Deps.token_cache``): its principal and when it expires."""

    principal: Principal
    expires_at: datetime | None


def _expired(deps: Deps, expires_at: datetime | None) -> Unauthenticated | None:
    if expires_at is not None and expires_at <= deps.clock.now():
        return Unauthenticated(
            "the API token has expired", hint="Create a new one with `sluice token create`."
        )
    return None


def cached_principal(deps: Deps, token: str | None) -> Principal | None:
    """The principal of a token this process looked up within the cache's time, without I/O.

    None when the token is not cached (call :func:`authenticate`); raises when it has expired.
    """
    if not token or deps.token_cache is None:
        return None
    known = deps.token_cache.get(("api", hash_token(token)))
    if not isinstance(known, _Known):
        return None
    error = _expired(deps, known.expires_at)
    if error is not None:
        raise error
    return known.principal


def authenticate(deps: Deps, token: str | None) -> Principal:
    """Map a presented token to a principal, or raise :class:`Unauthenticated`."""
    if not token:
        raise Unauthenticated("no API token was presented")
    found = cached_principal(deps, token)
    if found is not None:
        return found
    cache = deps.token_cache
    generation = cache.generation() if cache is not None else 0
    digest = hash_token(token)
    with deps.uow(readonly=True) as uow:
        record_ = uow.tokens.find_by_hash(digest)
        if record_ is None:
            raise Unauthenticated("the API token is not valid")
        if record_.revoked_at is not None:
            raise Unauthenticated("the API token was revoked")
        error = _expired(deps, record_.expires_at)
        if error is not None:
            raise error
        user = uow.users.get(record_.user_id)
        if user is None or user.disabled:
            raise Unauthenticated("the token's user is disabled")
    # A token acts with its own role, which is never higher than its user's current role.
    role = record_.role if user.role.at_least(record_.role) else user.role
    principal = Principal(
        user_id=user.id,
        username=user.username,
        role=role,
        domains=user.domains,
        teams=user.teams,
        token_id=record_.id,
    )
    if cache is not None:
        cache.put(("api", digest), _Known(principal, record_.expires_at), generation)
    return principal


def _new_user(
    deps: Deps,
    username: str,
    display_name: str,
    role: Role,
    domains: frozenset[ReviewerDomain],
) -> UserRecord:
    return UserRecord(
        id=deps.ids.new_id(),
        username=username,
        display_name=display_name,
        role=role,
        domains=domains,
        teams=frozenset(),
        created_at=deps.clock.now(),
    )


def _issue(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    user: UserRecord,
    name: str,
    role: Role,
    expires_at: datetime | None,
    parent_id: str | None = None,
) -> IssuedToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = TokenRecord(
        id=deps.ids.new_id(),
        user_id=user.id,
        name=name,
        prefix=secret[:10],
        role=role,
        created_at=deps.clock.now(),
        expires_at=expires_at,
        revoked_at=None,
        parent_id=parent_id,
    )
    uow.tokens.add(token, hash_token(secret))
    record(deps, uow, ctx, AuditAction.TOKEN_ISSUE, "token", token.id, after=token_payload(token))
    return IssuedToken(token, secret)


def init_admin(deps: Deps, username: str, display_name: str) -> tuple[UserRecord, IssuedToken]:
    """Create the first admin (holding every reviewer domain) and its token; only once."""
    from sluicegate.service.context import SYSTEM

    with deps.uow() as uow:
        if uow.users.count() > 0:
            raise StateConflict(
                "this installation is already initialised",
                hint="Use an existing admin token; `sluice token create` issues more.",
            )
        user = _new_user(deps, username, display_name, Role.ADMIN, frozenset(ReviewerDomain))
        uow.users.add(user)
        ctx = RequestContext(SYSTEM, actor_override="system:init")
        record(deps, uow, ctx, AuditAction.USER_CREATE, "user", user.id, after=user_payload(user))
        issued = _issue(deps, uow, ctx, user, "initial admin token", Role.ADMIN, None)
    return user, issued


def issue_local_token(deps: Deps, username: str, name: str) -> IssuedToken:
    """Issue a token for an existing user from a local admin command (``sluice demo``).

    Only reachable by someone who can open the database directly; audited as ``system:local``.
    """
    from sluicegate.service.context import SYSTEM

    with deps.uow() as uow:
        user = uow.users.get_by_username(username)
        if user is None:
            raise NotFound(f"user {username!r} not found")
        ctx = RequestContext(SYSTEM, actor_override="system:local")
        return _issue(deps, uow, ctx, user, name, user.role, None)


def create_team(deps: Deps, ctx: RequestContext, key: str, name: str) -> TeamRecord:
    authorize(ctx.principal, Action.TEAM_WRITE)
    with deps.uow() as uow:
        if uow.teams.get_by_key(key) is not None:
            raise AlreadyExists(
                f"team {key!r} already exists",
                hint="Team keys are unique: `sluice team list` shows the existing teams.",
            )
        team = TeamRecord(deps.ids.new_id(), key, name, deps.clock.now())
        uow.teams.add(team)
        record(deps, uow, ctx, AuditAction.TEAM_CREATE, "team", team.key, after=team_payload(team))
    return team


def list_teams(deps: Deps, ctx: RequestContext) -> list[TeamRecord]:
    authorize(ctx.principal, Action.TEAM_READ)
    with deps.uow(readonly=True) as uow:
        return uow.teams.list_all()


def create_user(
    deps: Deps,
    ctx: RequestContext,
    username: str,
    display_name: str,
    role: Role,
    domains: frozenset[ReviewerDomain],
    teams: list[str],
) -> UserRecord:
    authorize(ctx.principal, Action.USER_WRITE)
    if domains and not role.at_least(Role.REVIEWER):
        raise InvalidInput(
            "only reviewers and admins hold reviewer domains",
            errors=[FieldError("domains", f"role {role} cannot hold reviewer domains")],
        )
    with deps.uow() as uow:
        if uow.users.get_by_username(username) is not None:
            raise AlreadyExists(
                f"user {username!r} already exists",
                hint="Usernames are unique: `sluice user list` shows the existing users.",
            )
        team_records = []
        for i, key in enumerate(teams):
            team = uow.teams.get_by_key(key)
            if team is None:
                raise InvalidInput(
                    f"unknown team {key!r}", errors=[FieldError(f"teams[{i}]", "unknown team")]
                )
            team_records.append(team)
        user = _new_user(deps, username, display_name, role, domains)
        uow.users.add(user)
        for team in team_records:
            uow.teams.add_member(team.id, user.id)
        stored = uow.users.get(user.id)
        assert stored is not None
        record(deps, uow, ctx, AuditAction.USER_CREATE, "user", user.id, after=user_payload(stored))
    return stored


def list_users(deps: Deps, ctx: RequestContext) -> list[UserRecord]:
    authorize(ctx.principal, Action.USER_READ)
    with deps.uow(readonly=True) as uow:
        return uow.users.list_all()


def issue_token(
    deps: Deps,
    ctx: RequestContext,
    *,
    name: str,
    role: Role | None = None,
    username: str | None = None,
    expires_in_days: int | None = None,
) -> IssuedToken:
    """Issue a token for yourself or, as admin, for anyone: a child of the presenting token.

    The child's role is at most its user's and the presenting token's; it expires at the latest
    with its parent and within the policy's maximum lifetime (which is also its default); it is
    revoked with its parent; its user may hold at most the policy's number of active tokens.
    """
    own = username is None or username == ctx.principal.username
    if own:
        authorize(ctx.principal, Action.TOKEN_OWN)
    else:
        authorize(ctx.principal, Action.TOKEN_MANAGE)
    if expires_in_days is not None and not 1 <= expires_in_days <= TOKEN_MAX_DAYS:
        raise InvalidInput(
            "token lifetime out of range",
            errors=[FieldError("expires_in_days", f"must be 1..{TOKEN_MAX_DAYS}")],
        )
    with deps.uow() as uow:
        policy = _policy(uow)
        if own and not ctx.principal.role.at_least(policy.self_service_role):
            raise Forbidden(
                f"{ctx.principal.username} (role {ctx.principal.role}) may not issue tokens for "
                f"themselves: the token policy allows role {policy.self_service_role} or higher",
                hint="Ask an admin to issue one for you, or to change the token policy.",
            )
        if expires_in_days is not None and expires_in_days > policy.max_lifetime_days:
            # valid on its face, refused by the policy in force: a conflict with server state
            raise Conflict(
                "token lifetime over the policy's maximum",
                errors=[
                    FieldError(
                        "expires_in_days",
                        f"at most {policy.max_lifetime_days} (the token policy's maximum)",
                    )
                ],
            )
        user = uow.users.get_by_username(username or ctx.principal.username)
        if user is None:
            raise NotFound(f"user {username!r} not found")
        if user.disabled:
            raise StateConflict(f"user {user.username!r} is disabled; its tokens would be refused")
        ceiling = ctx.principal.role if own else user.role
        if not own and not ctx.principal.role.at_least(ceiling):
            ceiling = ctx.principal.role
        wanted = role or ceiling
        if not ceiling.at_least(wanted):
            raise Forbidden(
                f"cannot issue a {wanted} token: the ceiling is {ceiling}",
                hint="A token's role can be at most its user's and the presenting token's role.",
            )
        now = deps.clock.now()
        expires = now + timedelta(days=expires_in_days or policy.max_lifetime_days)
        parent = uow.tokens.get(ctx.principal.token_id) if ctx.principal.token_id else None
        if parent is not None and parent.expires_at is not None and parent.expires_at < expires:
            if expires_in_days is not None:
                raise Conflict(
                    "a token cannot outlive the token that issues it",
                    errors=[
                        FieldError(
                            "expires_in_days",
                            f"the presenting token expires at {parent.expires_at.isoformat()}",
                        )
                    ],
                )
            expires = parent.expires_at
        active = uow.tokens.count_active(user.id, now)
        if active >= policy.max_active_per_user:
            raise Conflict(
                f"user {user.username!r} already holds {active} active tokens, the token "
                f"policy's maximum ({policy.max_active_per_user})",
                hint="Revoke a token you no longer use, or ask an admin to raise the cap.",
            )
        return _issue(deps, uow, ctx, user, name, wanted, expires, parent.id if parent else None)


def list_tokens(deps: Deps, ctx: RequestContext, username: str | None = None) -> list[TokenRecord]:
    own = username is None or username == ctx.principal.username
    authorize(ctx.principal, Action.TOKEN_OWN if own else Action.TOKEN_MANAGE)
    with deps.uow(readonly=True) as uow:
        user = uow.users.get_by_username(username or ctx.principal.username)
        if user is None:
            raise NotFound(f"user {username!r} not found")
        return uow.tokens.list_for_user(user.id)


def revoke_token(deps: Deps, ctx: RequestContext, token_id: str, reason: str | None) -> TokenRecord:
    with deps.uow() as uow:
        token = uow.tokens.get(token_id)
        if token is None:
            raise NotFound(f"token {token_id!r} not found")
        own = token.user_id == ctx.principal.user_id
        authorize(ctx.principal, Action.TOKEN_OWN if own else Action.TOKEN_MANAGE)
        if token.revoked_at is not None:
            raise StateConflict(
                f"token {token_id!r} is already revoked",
                hint="Nothing to do: it no longer authenticates (`sluice token list` shows it).",
            )
        now = deps.clock.now()
        uow.tokens.revoke(token_id, now)
        children = uow.tokens.revoke_descendants(token_id, now)
        after = uow.tokens.get(token_id)
        assert after is not None
        record(
            deps,
            uow,
            ctx,
            AuditAction.TOKEN_REVOKE,
            "token",
            token_id,
            before=token_payload(token),
            after=token_payload(after),
            reason=reason,
        )
        for child_id in children:
            revoked = uow.tokens.get(child_id)
            assert revoked is not None
            record(
                deps,
                uow,
                ctx,
                AuditAction.TOKEN_REVOKE,
                "token",
                child_id,
                after=token_payload(revoked),
                reason=f"revoked with the token {token_id} that issued it",
            )
    return after
