"""``sluice team ...`` and ``sluice user ...``: the directory (admin)."""

from __future__ import annotations

from typing import Annotated

import typer

from sluicegate.cli.common import JsonOpt, client_session
from sluicegate.cli.output import emit_json, out, table

teams = typer.Typer(help="Teams.")
users = typer.Typer(help="Users and their roles.")


@teams.command("create")
def team_create(key: str, name: str, as_json: JsonOpt = False) -> None:
    with client_session(as_json) as client:
        team = client.request("POST", "/api/v1/teams", json={"key": key, "name": name})
    emit_json(team) if as_json else out.print(f"created team {team['key']}")


@teams.command("list")
def team_list(as_json: JsonOpt = False) -> None:
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/teams")["items"]
    if as_json:
        emit_json(items)
    else:
        table("Teams", ["key", "name"], [(t["key"], t["name"]) for t in items])


@users.command("create")
def user_create(
    username: str,
    role: Annotated[str, typer.Option(help="viewer|contributor|reviewer|admin")],
    display_name: Annotated[str | None, typer.Option(help="Full name.")] = None,
    domain: Annotated[list[str] | None, typer.Option(help="Reviewer domain; repeatable.")] = None,
    team: Annotated[list[str] | None, typer.Option(help="Team key; repeatable.")] = None,
    as_json: JsonOpt = False,
) -> None:
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
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/users")["items"]
    if as_json:
        emit_json(items)
        return
    rows = [(u["username"], u["role"], ",".join(u["domains"]), ",".join(u["teams"])) for u in items]
    table("Users", ["username", "role", "domains", "teams"], rows)
