"""``sluice jit ...``: request, decide and revoke just-in-time access (docs/jit-access.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sluicegate.cli import complete
from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, client_session
from sluicegate.cli.output import emit_json, err, out, table

__all__ = ["app"]

app = new_app(
    help="Just-in-time access: time-bound elevated roles on one experiment stage.",
    no_args_is_help=True,
)

RequestArg = Annotated[str, typer.Argument(help="The request id (`sluice jit list`).")]


def _show(item: dict[str, Any], as_json: bool, message: str) -> None:
    if as_json:
        emit_json(item)
        return
    out.print(item["id"])
    err.print(message)


@app.command("request")
def request(
    experiment: Annotated[
        str, typer.Argument(help="Experiment key.", autocompletion=complete.experiments)
    ],
    role: Annotated[str, typer.Option(help="contributor | reviewer | admin")],
    duration: Annotated[str, typer.Option(help="How long, e.g. 30m, 2h (at most 8h).")],
    reason: Annotated[str, typer.Option(help="Why you need it (audited).")],
    stage: Annotated[
        str | None,
        typer.Option(
            help="Stage; default the experiment's current one.", autocompletion=complete.stages
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask for a role on an experiment at its current stage; prints the request id."""
    with client_session(as_json) as client:
        if stage is None:
            stage = client.request("GET", f"/api/v1/experiments/{experiment}")["state"]
        body = {
            "experiment": experiment,
            "stage": stage,
            "role": role,
            "duration": duration,
            "reason": reason,
        }
        item = client.request("POST", "/api/v1/jit/requests", json=body)
    _show(item, as_json, f"requested {role} on {experiment} at {stage} for {item['duration']}")


@app.command("list")
def list_(
    state: Annotated[str | None, typer.Option(help="pending|active|denied|expired|revoked")] = None,
    experiment: Annotated[str | None, typer.Option(help="Experiment key.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Requests and grants: your own, or everyone's for reviewers and admins."""
    params = {k: v for k, v in (("state", state), ("experiment", experiment)) if v}
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/jit/requests", params=params)["items"]
    if as_json:
        emit_json(items)
        return
    rows = [
        (
            r["id"],
            r["requester"],
            r["experiment"],
            r["stage"],
            r["role"],
            r["state"],
            r["expires_at"] or r["duration"],
        )
        for r in items
    ]
    columns = ["id", "requester", "experiment", "stage", "role", "state", "expires/duration"]
    table("Just-in-time access", columns, rows, keep=["id"])


@app.command("approve")
def approve(
    request_id: RequestArg,
    comment: Annotated[str, typer.Option(help="Recorded with the decision.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Grant a pending request (another reviewer; an admin for admin access)."""
    with client_session(as_json) as client:
        item = client.request(
            "POST", f"/api/v1/jit/requests/{request_id}/approve", json={"comment": comment}
        )
    _show(
        item, as_json, f"granted {item['role']} to {item['requester']} until {item['expires_at']}"
    )


@app.command("deny")
def deny(
    request_id: RequestArg,
    comment: Annotated[str, typer.Option(help="Why (recorded).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Refuse a pending request."""
    with client_session(as_json) as client:
        item = client.request(
            "POST", f"/api/v1/jit/requests/{request_id}/deny", json={"comment": comment}
        )
    _show(item, as_json, f"denied {item['requester']}'s request")


@app.command("revoke")
def revoke(
    grant_id: Annotated[str, typer.Argument(help="The grant id (`sluice jit list`).")],
    reason: Annotated[str | None, typer.Option(help="Why (recorded).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """End an active grant now."""
    body = {"reason": reason} if reason else {}
    with client_session(as_json) as client:
        item = client.request("POST", f"/api/v1/jit/grants/{grant_id}/revoke", json=body)
    _show(item, as_json, f"revoked grant {grant_id}")
