"""Teams, users and API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sluicegate.api.deps import Ctx, ServiceDeps
from sluicegate.api.schemas.access.identity import (
    IssuedToken,
    Me,
    Team,
    TeamList,
    Token,
    TokenList,
    TokenPolicyOut,
    User,
    UserList,
)
from sluicegate.api.schemas.numbers import NotBoolean
from sluicegate.api.schemas.problems import LIST, READ, WRITE, problem_responses
from sluicegate.domain.access.identity import TOKEN_MAX_DAYS, ReviewerDomain, Role, TokenPolicy
from sluicegate.domain.experiments.proposal import KEY_PATTERN
from sluicegate.domain.text import Name
from sluicegate.service.access import identity as svc

router = APIRouter(tags=["identity"])

Slug = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TeamIn(_Body):
    key: Slug
    name: Name


class UserIn(_Body):
    # the service's rule, for the schema: reviewer domains only for reviewers and admins
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {
                    "properties": {
                        "role": {"enum": [r.value for r in Role if r.at_least(Role.REVIEWER)]}
                    }
                },
                {"properties": {"domains": {"maxItems": 0}}},
            ]
        },
    )

    username: Slug
    display_name: Name
    role: Role
    domains: list[ReviewerDomain] = []
    teams: list[Slug] = []


class TokenIn(_Body):
    name: Name
    role: Role | None = None
    username: Slug | None = None
    expires_in_days: (
        Annotated[
            int,
            Field(
                ge=1,
                le=TOKEN_MAX_DAYS,
                description="Default and upper bound: the token policy's max_lifetime_days; "
                "never past the presenting token's expiry",
            ),
        ]
        | None
    ) = None


_POLICY = TokenPolicy()


class TokenPolicyIn(_Body):
    max_lifetime_days: Annotated[int, Field(ge=1, le=TOKEN_MAX_DAYS), NotBoolean] = (
        _POLICY.max_lifetime_days
    )
    max_active_per_user: Annotated[int, Field(ge=1, le=1000), NotBoolean] = (
        _POLICY.max_active_per_user
    )
    self_service_role: Role = _POLICY.self_service_role


class RevokeIn(_Body):
    reason: Annotated[str, StringConstraints(max_length=1000)] | None = None


@router.get(
    "/me",
    summary="The authenticated principal",
    response_model=Me,
    response_model_exclude_unset=True,
    responses=problem_responses(401, 403),
)
async def me(ctx: Ctx) -> dict[str, Any]:  # no I/O: answered on the event loop
    p = ctx.principal
    return {
        "user_id": p.user_id,
        "username": p.username,
        "role": p.role.value,
        "domains": sorted(d.value for d in p.domains),
        "teams": sorted(p.teams),
        "token_id": p.token_id,
    }


@router.get(
    "/teams",
    response_model=TeamList,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def list_teams(deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return {"items": [svc.team_dict(t) for t in svc.list_teams(deps, ctx)]}


@router.post(
    "/teams",
    status_code=201,
    response_model=Team,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def create_team(body: TeamIn, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.team_dict(svc.create_team(deps, ctx, body.key, body.name))


@router.get(
    "/users",
    response_model=UserList,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def list_users(deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return {"items": [svc.user_dict(u) for u in svc.list_users(deps, ctx)]}


@router.post(
    "/users",
    status_code=201,
    response_model=User,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def create_user(body: UserIn, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    user = svc.create_user(
        deps, ctx, body.username, body.display_name, body.role, frozenset(body.domains), body.teams
    )
    return svc.user_dict(user)


@router.get(
    "/tokens",
    response_model=TokenList,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def list_tokens(
    deps: ServiceDeps, ctx: Ctx, username: Annotated[str | None, Query(max_length=64)] = None
) -> dict[str, Any]:
    return {"items": [svc.token_dict(t) for t in svc.list_tokens(deps, ctx, username)]}


@router.post(
    "/tokens",
    status_code=201,
    summary="Issue a token; the secret is shown only here",
    response_model=IssuedToken,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def create_token(body: TokenIn, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    issued = svc.issue_token(
        deps,
        ctx,
        name=body.name,
        role=body.role,
        username=body.username,
        expires_in_days=body.expires_in_days,
    )
    return {**svc.token_dict(issued.record), "token": issued.secret}


@router.post(
    "/tokens/{token_id}/revoke",
    response_model=Token,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def revoke_token(token_id: str, body: RevokeIn, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.token_dict(svc.revoke_token(deps, ctx, token_id, body.reason))


@router.get(
    "/settings/tokens",
    summary="The token policy: maximum lifetime, per-user cap, who issues their own",
    response_model=TokenPolicyOut,
    responses=problem_responses(*READ),
)
def get_token_policy(deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    del ctx  # any authenticated principal may read the policy it is held to
    return svc.token_policy(deps).to_dict()


@router.put(
    "/settings/tokens",
    summary="Replace the token policy (admin)",
    response_model=TokenPolicyOut,
    responses=problem_responses(*WRITE),
)
def put_token_policy(body: TokenPolicyIn, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.set_token_policy(deps, ctx, body.model_dump(mode="json")).to_dict()
