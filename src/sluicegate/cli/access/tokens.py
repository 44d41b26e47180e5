"""``sluice token ...``: issue, list and revoke API tokens."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, client_session
from sluicegate.cli.output import emit_json, err, out, table

app = new_app(help="Issue, list and revoke API tokens.", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Option(help="What the token is for.")],
    role: Annotated[str | None, typer.Option(help="viewer|contributor|reviewer|admin")] = None,
    user: Annotated[str | None, typer.Option(help="Issue for another user (admin).")] = None,
    expires_in_days: Annotated[int | None, typer.Option(help="Lifetime in days.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue a token; its secret is printed once and never stored."""
    body: dict[str, Any] = {"name": name}
    for key, value in (("role", role), ("username", user), ("expires_in_days", expires_in_days)):
        if value is not None:
            body[key] = value
    with client_session(as_json) as client:
        token = client.request("POST", "/api/v1/tokens", json=body)
    if as_json:
        emit_json(token)
        return
    out.print(token["token"])
    err.print(
        f"token {token['id']} ({token['role']}, expires {token['expires_at'] or 'never'}); "
        "store it now: it is not shown again"
    )


@app.command("list")
def list_(
    user: Annotated[str | None, typer.Option(help="Another user's tokens (admin).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Your tokens (or another user's, as admin): prefixes only, never the secrets."""
    params = {"username": user} if user else {}
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/tokens", params=params)["items"]
    if as_json:
        emit_json(items)
        return
    rows = [
        (t["id"], t["name"], t["prefix"] + "...", t["role"], t["expires_at"], t["revoked_at"])
        for t in items
    ]
    table("Tokens", ["id", "name", "prefix", "role", "expires", "revoked"], rows, keep=["id"])


@app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token id (`sluice token list`).")],
    reason: Annotated[str | None, typer.Option(help="Why (audited).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a token now; requests with it are refused from then on."""
    with client_session(as_json) as client:
        token = client.request("POST", f"/api/v1/tokens/{token_id}/revoke", json={"reason": reason})
    if as_json:
        emit_json(token)
    else:
        out.print(f"revoked token {token['id']} at {token['revoked_at']}")


policy = new_app(
    help="The token policy: maximum lifetime, per-user cap, who issues their own.",
    no_args_is_help=True,
)
app.add_typer(policy, name="policy")


def _print_policy(found: dict[str, Any]) -> None:
    table("Token policy", ["setting", "value"], sorted((k, str(v)) for k, v in found.items()))


@policy.command("show")
def policy_show(as_json: JsonOpt = False) -> None:
    """The token policy in force (any signed-in user may read the rules they are held to)."""
    with client_session(as_json) as client:
        found = client.request("GET", "/api/v1/settings/tokens")
    if as_json:
        emit_json(found)
    else:
        _print_policy(found)


@policy.command("set")
def policy_set(
    max_lifetime_days: Annotated[
        int | None,
        typer.Option(help="Default and longest lifetime of a new token, in days."),
    ] = None,
    max_active_per_user: Annotated[
        int | None, typer.Option(help="Most tokens a user may hold at once.")
    ] = None,
    self_service_role: Annotated[
        str | None,
        typer.Option(help="Lowest role that may issue tokens for itself (viewer ... admin)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change the token policy (admin); settings not given keep their current value."""
    with client_session(as_json) as client:
        doc = client.request("GET", "/api/v1/settings/tokens")
        changes = {
            "max_lifetime_days": max_lifetime_days,
            "max_active_per_user": max_active_per_user,
            "self_service_role": self_service_role,
        }
        doc.update({k: v for k, v in changes.items() if v is not None})
        found = client.request("PUT", "/api/v1/settings/tokens", json=doc)
    if as_json:
        emit_json(found)
    else:
        _print_policy(found)
