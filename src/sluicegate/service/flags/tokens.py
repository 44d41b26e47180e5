"""Scoped flag tokens and evaluation access: who may evaluate or sync which flag set."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sluicegate.domain.access.identity import Action, authorize, require_team
from sluicegate.domain.errors import (
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    StateConflict,
    Unauthenticated,
)
from sluicegate.domain.events import AuditAction
from sluicegate.service.access.identity import authenticate, hash_token
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.flags.payloads import flag_token_payload
from sluicegate.service.flags.ports import (
    FlagHead,
    FlagSetRecord,
    FlagTokenRecord,
)
from sluicegate.service.flags.revisions import load_set
from sluicegate.service.flags.views import entity_name

__all__ = [
    "FLAG_TOKEN_PREFIX",
    "Access",
    "current_head",
    "issue_token",
    "list_tokens",
    "load_current",
    "resolve_access",
    "revoke_token",
]


#: Flag-scoped tokens start with this prefix; the API refuses them outside OFREP and sync.
FLAG_TOKEN_PREFIX = "sgf_"  # noqa: S105 - the public prefix of scoped tokens, not a secret


@dataclass(frozen=True, slots=True)
class Access:
    """Who may evaluate or sync which flag set; ``rate_key`` identifies the token for limits."""

    rate_key: str
    flag_set: str
    environment: str
    head: FlagHead | None
    scoped: bool


def issue_token(
    deps: Deps,
    ctx: RequestContext,
    name: str,
    environment: str,
    token_name: str,
    expires_in_days: int | None = None,
) -> tuple[FlagTokenRecord, FlagSetRecord, str]:
    """A token that can only evaluate (OFREP) and sync this flag set in this environment."""
    authorize(ctx.principal, Action.FLAG_WRITE)
    if expires_in_days is not None and not 1 <= expires_in_days <= deps.max_token_days:
        raise InvalidInput(
            "token lifetime out of range",
            errors=[FieldError("expires_in_days", f"must be 1..{deps.max_token_days}")],
        )
    with deps.uow() as uow:
        fs = load_set(uow, name, environment)
        require_team(ctx.principal, fs.owner_team, "flag sets")
        secret = FLAG_TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = deps.clock.now()
        token = FlagTokenRecord(
            id=deps.ids.new_id(),
            flag_set_id=fs.id,
            name=token_name,
            prefix=secret[:11],
            created_by=ctx.principal.user_id,
            created_at=now,
            expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
            revoked_at=None,
        )
        uow.flags.add_token(token, hash_token(secret))
        record(
            deps,
            uow,
            ctx,
            AuditAction.FLAG_TOKEN_ISSUE,
            "flag-token",
            token.id,
            after=flag_token_payload(token, fs),
        )
    return token, fs, secret


def list_tokens(
    deps: Deps, ctx: RequestContext, name: str, environment: str
) -> tuple[list[FlagTokenRecord], FlagSetRecord]:
    authorize(ctx.principal, Action.FLAG_READ)
    with deps.uow(readonly=True) as uow:
        fs = load_set(uow, name, environment)
        return uow.flags.tokens(fs.id), fs


def revoke_token(
    deps: Deps, ctx: RequestContext, name: str, environment: str, token_id: str
) -> tuple[FlagTokenRecord, FlagSetRecord]:
    authorize(ctx.principal, Action.FLAG_WRITE)
    with deps.uow() as uow:
        fs = load_set(uow, name, environment)
        require_team(ctx.principal, fs.owner_team, "flag sets")
        token = uow.flags.get_token(token_id)
        if token is None or token.flag_set_id != fs.id:
            raise NotFound(f"token {token_id!r} not found for {entity_name(fs)}")
        if token.revoked_at is not None:
            raise StateConflict(
                f"token {token_id!r} is already revoked",
                hint="Nothing to do: it no longer authenticates.",
            )
        uow.flags.revoke_token(token_id, deps.clock.now())
        after = uow.flags.get_token(token_id)
        assert after is not None
        record(
            deps,
            uow,
            ctx,
            AuditAction.FLAG_TOKEN_REVOKE,
            "flag-token",
            token_id,
            before=flag_token_payload(token, fs),
            after=flag_token_payload(after, fs),
        )
    return after, fs


def _cached_flag_token(value: object) -> tuple[FlagTokenRecord, FlagHead] | None:
    """A flag token and its flag set's head, as :meth:`FlagRepository.find_token` cached them."""
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], FlagTokenRecord)
        and isinstance(value[1], FlagHead)
    ):
        return value[0], value[1]
    return None


def resolve_access(
    deps: Deps,
    secret: str | None,
    flag_set: str | None,
    environment: str | None,
    action: Action,
) -> Access:
    """Authenticate a token for OFREP or sync and name the flag set it reads.

    A scoped token reads only its own flag set and environment (anything else is Forbidden); an
    unscoped token needs ``action`` (viewer and up) and names the flag set itself; without an
    environment, the flag set's only environment is used.
    """
    if not secret:
        raise Unauthenticated("no API token was presented")
    if secret.startswith(FLAG_TOKEN_PREFIX):
        cache = deps.token_cache
        key = ("flag", hash_token(secret))
        found = _cached_flag_token(cache.get(key)) if cache is not None else None
        if found is None:
            generation = cache.generation() if cache is not None else 0
            with deps.uow(readonly=True) as uow:
                found = uow.flags.find_token(key[1])
            if found is not None and cache is not None:
                cache.put(key, found, generation)
        if found is None:
            raise Unauthenticated("the flag token is not valid")
        return _scoped(deps, found, flag_set, environment)
    return _unscoped(deps, secret, flag_set, environment, action)


def cached_access(
    deps: Deps, secret: str | None, flag_set: str | None, environment: str | None
) -> Access | None:
    """:func:`resolve_access` for a flag token this process looked up recently, without I/O.

    None when it is not cached (call :func:`resolve_access`); raises as that does otherwise.
    """
    if not secret or deps.token_cache is None or not secret.startswith(FLAG_TOKEN_PREFIX):
        return None
    found = _cached_flag_token(deps.token_cache.get(("flag", hash_token(secret))))
    return None if found is None else _scoped(deps, found, flag_set, environment)


def _scoped(
    deps: Deps,
    found: tuple[FlagTokenRecord, FlagHead],
    flag_set: str | None,
    environment: str | None,
) -> Access:
    token, own = found
    if token.revoked_at is not None:
        raise Unauthenticated("the flag token was revoked")
    if token.expires_at is not None and token.expires_at <= deps.clock.now():
        raise Unauthenticated("the flag token has expired")
    if (flag_set is not None and flag_set != own.name) or (
        environment is not None and environment != own.environment
    ):
        raise Forbidden(
            f"this token is scoped to flag set {own.name!r} in {own.environment!r}",
            hint="Use a token issued for the flag set and environment you evaluate.",
        )
    return Access(f"flag-token:{token.id}", own.name, own.environment, own, scoped=True)


def _unscoped(
    deps: Deps, secret: str, flag_set: str | None, environment: str | None, action: Action
) -> Access:
    principal = authenticate(deps, secret)
    authorize(principal, action)
    if not flag_set:
        raise InvalidInput(
            "name the flag set to evaluate",
            hint="Send the X-Sluicegate-Flag-Set header, or use a token scoped to a flag set.",
            errors=[FieldError("X-Sluicegate-Flag-Set", "missing")],
        )
    with deps.uow(readonly=True) as uow:
        if environment is None:
            known = uow.flags.environments(flag_set)
            if not known:
                raise NotFound(f"flag set {flag_set!r} not found")
            if len(known) != 1:
                raise InvalidInput(
                    f"flag set {flag_set!r} exists in {len(known)} environments; name one",
                    hint="Send X-Sluicegate-Environment (or ?environment=).",
                    errors=[FieldError("X-Sluicegate-Environment", ", ".join(known) or "none")],
                )
            environment = known[0]
        head = uow.flags.head(flag_set, environment)
    return Access(f"api-token:{principal.token_id}", flag_set, environment, head, scoped=False)


def current_head(deps: Deps, name: str, environment: str) -> FlagHead | None:
    with deps.uow(readonly=True) as uow:
        return uow.flags.head(name, environment)


def load_current(deps: Deps, name: str, environment: str) -> FlagSetRecord | None:
    """The flag set with its document, for the evaluation cache and sync (no authorisation)."""
    with deps.uow(readonly=True) as uow:
        return uow.flags.get_set(name, environment)
