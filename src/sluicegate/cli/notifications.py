"""``sluice webhook ...``: subscriptions, dead letters and dispatch (docs/notifications.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, client_session, guard
from sluicegate.cli.output import emit_json, err, out, table

__all__ = ["app"]

app = new_app(
    help="Webhook subscriptions, dead letters and delivery (admin).", no_args_is_help=True
)


@app.command("create")
def create(
    url: Annotated[str, typer.Argument(help="http(s) URL that receives the POSTs.")],
    event: Annotated[
        list[str],
        typer.Option("--event", "-e", help="Event type, family (jit.*) or *; repeatable."),
    ],
    name: Annotated[str, typer.Option(help="A label for the subscription.")] = "webhook",
    fmt: Annotated[str, typer.Option("--format", help="generic | slack | teams")] = "generic",
    inactive: Annotated[bool, typer.Option("--inactive", help="Create it paused.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Subscribe a URL; the signing secret is printed once and never shown again."""
    body: dict[str, Any] = {
        "name": name,
        "url": url,
        "events": event,
        "format": fmt,
        "active": not inactive,
    }
    with client_session(as_json) as client:
        sub = client.request("POST", "/api/v1/webhooks", json=body)
    if as_json:
        emit_json(sub)
        return
    out.print(sub["secret"])
    err.print(
        f"webhook {sub['id']} ({sub['format']}, events {', '.join(sub['events'])}). The line "
        "above is the signing secret: store it now, it is not shown again."
    )


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """Every subscription (secrets are never shown)."""
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/webhooks")["items"]
    if as_json:
        emit_json(items)
        return
    rows = [
        (s["id"], s["name"], s["format"], ",".join(s["events"]), s["active"], s["url"])
        for s in items
    ]
    table(
        "Webhooks",
        ["id", "name", "format", "events", "active", "url"],
        rows,
        keep=["id"],
        flex=["events", "url"],
    )


@app.command("delete")
def delete(
    sub_id: Annotated[str, typer.Argument(help="The subscription id (`sluice webhook list`).")],
    as_json: JsonOpt = False,
) -> None:
    """Delete a subscription with its queued and dead-lettered deliveries."""
    with client_session(as_json) as client:
        client.request("DELETE", f"/api/v1/webhooks/{sub_id}")
    if as_json:
        emit_json({"deleted": sub_id})
        return
    err.print(f"deleted webhook {sub_id}")


@app.command("dead-letters")
def dead_letters(
    subscription: Annotated[str | None, typer.Option(help="Only this subscription.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Deliveries that failed every attempt."""
    params = {"subscription": subscription} if subscription else {}
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/webhooks/dead-letters", params=params)["items"]
    if as_json:
        emit_json(items)
        return
    rows = [
        (d["id"], d["subscription_id"], d["event_type"], d["attempts"], d["last_error"])
        for d in items
    ]
    table(
        "Dead letters",
        ["id", "subscription", "event", "attempts", "last error"],
        rows,
        keep=["id"],
        flex=["last error"],
    )


@app.command("retry")
def retry(
    delivery_id: Annotated[
        str, typer.Argument(help="The delivery id (`sluice webhook dead-letters`).")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Queue a dead letter again with a fresh attempt budget."""
    with client_session(as_json) as client:
        delivery = client.request("POST", f"/api/v1/webhooks/dead-letters/{delivery_id}/retry")
    if as_json:
        emit_json(delivery)
        return
    err.print(f"delivery {delivery_id} is {delivery['state']} again")


@app.command("dispatch")
def dispatch(as_json: JsonOpt = False) -> None:
    """Admin, on the server's machine: send the due deliveries once (SLUICE_DATABASE_URL)."""
    from sluicegate.bootstrap import Settings, build
    from sluicegate.service.notifications import run_once

    with guard(as_json):
        container = build(Settings.from_env())
        try:
            report = run_once(
                container.deps, container.webhook_sender(), container.dispatch_settings()
            )
        finally:
            container.close()
    summary = {
        "delivered": report.delivered,
        "retrying": report.retrying,
        "dead": report.dead,
    }
    if as_json:
        emit_json(summary)
        return
    err.print(
        f"{len(report.delivered)} delivered, {len(report.retrying)} to retry, "
        f"{len(report.dead)} dead-lettered"
    )


SubArg = Annotated[str, typer.Argument(help="The subscription id (`sluice webhook list`).")]


@app.command("show")
def show(sub_id: SubArg, as_json: JsonOpt = False) -> None:
    """One subscription (its secret is never shown again)."""
    with client_session(as_json) as client:
        sub = client.request("GET", f"/api/v1/webhooks/{sub_id}")
    if as_json:
        emit_json(sub)
        return
    out.print(f"webhook {sub['id']} ({sub['name']}): {sub['url']}")
    out.print(f"  format {sub['format']}, events {', '.join(sub['events'])}")
    out.print(f"  {'active' if sub['active'] else 'paused'}")


@app.command("update")
def update(
    sub_id: SubArg,
    url: Annotated[str | None, typer.Option(help="A new http(s) URL.")] = None,
    event: Annotated[
        list[str] | None,
        typer.Option("--event", "-e", help="Replace the events; repeatable."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="A new label.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="generic | slack | teams")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--paused", help="Resume or pause deliveries.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a subscription's fields, or pause and resume it."""
    body: dict[str, Any] = {
        k: v
        for k, v in {
            "url": url,
            "events": event,
            "name": name,
            "format": fmt,
            "active": active,
        }.items()
        if v is not None
    }
    if not body:
        raise typer.BadParameter("give at least one field to change")
    with client_session(as_json) as client:
        sub = client.request("PATCH", f"/api/v1/webhooks/{sub_id}", json=body)
    if as_json:
        emit_json(sub)
        return
    err.print(f"webhook {sub['id']} updated ({'active' if sub['active'] else 'paused'})")


@app.command("deliveries")
def deliveries(
    state: Annotated[
        str | None, typer.Option(help="Only this state (pending, delivered, dead, ...).")
    ] = None,
    subscription: Annotated[str | None, typer.Option(help="Only this subscription.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1-1000).")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Recent deliveries with their attempts and last error."""
    params = {"state": state, "subscription": subscription, "limit": limit}
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/webhooks/deliveries", params=params)["items"]
    if as_json:
        emit_json(items)
        return
    rows = [
        (d["id"], d["subscription_id"], d["event_type"], d["state"], d["attempts"], d["last_error"])
        for d in items
    ]
    table(
        "Deliveries",
        ["id", "subscription", "event", "state", "attempts", "last error"],
        rows,
        keep=["id"],
        flex=["last error"],
    )
