"""Response models of ``api/routes/identity.py`` (views: ``service.identity``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sluicegate.api.schemas import Schema

__all__ = [
    "IssuedToken",
    "Me",
    "Team",
    "TeamList",
    "Token",
    "TokenList",
    "TokenPolicyOut",
    "User",
    "UserList",
]


class Me(Schema):
    user_id: str
    username: str
    role: str
    domains: list[str]
    teams: list[str]
    token_id: str | None


class Team(Schema):
    id: str
    key: str
    name: str
    created_at: str


class TeamList(Schema):
    items: list[Team]


class User(Schema):
    id: str
    username: str
    display_name: str
    role: str
    domains: list[str]
    teams: list[str]
    disabled: bool
    created_at: str


class UserList(Schema):
    items: list[User]


class Token(Schema):
    id: str
    user_id: str
    name: str
    prefix: str
    role: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    parent_id: str | None = Field(
        None, description="The token this one was issued through; it is revoked with it"
    )


class TokenPolicyOut(Schema):
    max_lifetime_days: int = Field(description="Default and maximum lifetime of a new token")
    max_active_per_user: int = Field(description="Active (unrevoked, unexpired) tokens per user")
    self_service_role: Literal["viewer", "contributor", "reviewer", "admin"] = Field(
        description="The lowest role that may issue tokens for itself"
    )


class TokenList(Schema):
    items: list[Token]


class IssuedToken(Token):
    token: str = Field(description="The secret; shown only in this response")
