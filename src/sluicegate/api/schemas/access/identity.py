"""Response models of ``api/routes/identity.py`` (views: ``service.identity``)."""

from __future__ import annotations

from pydantic import Field

from sluicegate.api.schemas import Schema

__all__ = [
    "IssuedToken",
    "Me",
    "Team",
    "TeamList",
    "Token",
    "TokenList",
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


class TokenList(Schema):
    items: list[Token]


class IssuedToken(Token):
    token: str = Field(description="The secret; shown only in this response")
