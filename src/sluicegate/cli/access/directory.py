"""``sluice team ...`` and ``sluice user ...``: the directory (admin)."""

from __future__ import annotations

from typing import Annotated

import typer

from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, client_session
from sluicegate.cli.output import emit_json, out, table

teams = new_app(help="Teams: who owns experiments and flag sets.", no_args_is_help=True)
users = new_app(help="Users, their roles and reviewer domains.", no_args_is_help=True)


@teams.command("create")
def team_create(
    key: Annotated[str, typer.Argument(help="The team key, a lower-case slug (e.g. payments).")],
    name: Annotated[str, typer.Argument(help="The team's display name.")],
    as_json: JsonOpt = False,
) -> None:
    """Create a team (admin)."""
    with client_session(as_json) as client:
        team = client.request("POST", "/api/v1/teams", json={"key": key, "name": name})
    emit_json(team) if as_json else out.print(f"created team {team['key']}")


@teams.command("list")
def team_list(as_json: JsonOpt = False) -> None:
    """Every team."""
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/teams")["items"]
    if as_json:
        emit_json(items)
    else:
        table("Teams", ["key", "name"], [(t["key"], t["name"]) for t in items], keep=["key"])


@users.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="The login name, a lower-case slug.")],
    role: Annotated[str, typer.Option(help="viewer|contributor|reviewer|admin")],
    display_name: Annotated[str | None, typer.Option(help="Full name.")] = None,
    domain: Annotated[list[str] | None, typer.Option(help="Reviewer domain; repeatable.")] = None,
    team: Annotated[list[str] | None, typer.Option(help="Team key; repeatable.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user with a role, reviewer domains and teams (admin)."""
    body = {
        "username": username,
        "display_name": display_name or username,
        "role": role,
        "domains": domain or [],
        "teams": team or [],
    }
    with client_session(as_json) as client:
        user = client.request("POST", "/api/v1/users", json=body)
    emit_json(user) if as_json else out.print(f"created user {user['username']} ({user['role']})")


@users.command("list")
def user_list(as_json: JsonOpt = False) -> None:
    """Every user with role, reviewer domains and teams."""
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/users")["items"]
    if as_json:
        emit_json(items)
        return
    rows = [(u["username"], u["role"], ",".join(u["domains"]), ",".join(u["teams"])) for u in items]
    table("Users", ["username", "role", "domains", "teams"], rows, keep=["username"])


def whoami(as_json: JsonOpt = False) -> None:
    """Who the token in SLUICE_TOKEN is: user, role and reviewer domains (checks it works)."""
    with client_session(as_json) as client:
        me = client.request("GET", "/api/v1/me")
    if as_json:
        emit_json(me)
        return
    domains = ", ".join(me["domains"]) or "none"
    out.print(f"{me['username']} ({me['role']}; reviewer domains: {domains})")
