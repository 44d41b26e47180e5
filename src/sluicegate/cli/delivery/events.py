"""``sluice deploy ...``, ``sluice change ...`` and ``sluice incident ...``: report delivery
events from any CI.

Both are idempotent by ``(source, id)``: running a command again with the same values changes
nothing (docs/delivery.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

import typer

from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, client_session
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, err, table

__all__ = ["change_app", "deploy_app", "incident_app"]

deploy_app = new_app(help="Deployments reported by CI (docs/delivery.md).", no_args_is_help=True)
change_app = new_app(
    help="Commits and pull requests, for lead time and rework (docs/delivery.md).",
    no_args_is_help=True,
)
incident_app = new_app(
    help="Incidents: open, acknowledge, resolve (docs/delivery.md).", no_args_is_help=True
)

SourceOpt = Annotated[
    str, typer.Option(help="Where the event comes from; ids are unique per source.")
]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _revision(value: str) -> dict[str, str]:
    repo, sep, sha = value.rpartition("@")
    if not sep or not repo or not sha:
        raise CliError(f"--revision {value!r}: write REPO@SHA", ExitCode.USAGE)
    return {"repo": repo, "sha": sha}


def _said(result: dict[str, Any], what: str) -> None:
    err.print(
        f"{what} {result['id']} (source {result['source']}) revision {result['revision']}, "
        f"recorded by {result['recorded_by']}"
    )


@deploy_app.command("record")
def record(
    deployment_id: Annotated[str, typer.Argument(help="The deployment's id in its source.")],
    service: Annotated[str, typer.Option(help="The service deployed.")],
    environment: Annotated[str, typer.Option("--env", help="The environment (production, ...).")],
    revision: Annotated[
        list[str], typer.Option(help="REPO@SHA deployed; repeat for several repos.")
    ],
    status: Annotated[
        str, typer.Option(help="success | failure | cancelled | in_progress.")
    ] = "success",
    started_at: Annotated[
        str | None, typer.Option(help="ISO time with a zone (default: now).")
    ] = None,
    finished_at: Annotated[
        str | None,
        typer.Option(help="ISO time with a zone (default: now, unless in_progress)."),
    ] = None,
    kind: Annotated[str, typer.Option(help="normal | rollback | hotfix | config | flag.")] = (
        "normal"
    ),
    rollback_of: Annotated[
        str | None, typer.Option(help="The deployment this one rolls back.")
    ] = None,
    planned: Annotated[
        bool | None, typer.Option("--planned/--unplanned", help="Planned, or rework.")
    ] = None,
    experiment: Annotated[
        str | None, typer.Option(help="The experiment this deployment belongs to.")
    ] = None,
    source: SourceOpt = "api",
    as_json: JsonOpt = False,
) -> None:
    """Record a deployment; the same command again is a no-op, a different body a conflict."""
    now = _now()
    body: dict[str, Any] = {
        "id": deployment_id,
        "source": source,
        "service": service,
        "environment": environment,
        "status": status,
        "started_at": started_at or now,
        "revisions": [],
        "kind": kind,
    }
    if status != "in_progress":
        body["finished_at"] = finished_at or now
    elif finished_at is not None:
        body["finished_at"] = finished_at
    optional = {"rollback_of": rollback_of, "planned": planned, "experiment": experiment}
    body.update({k: v for k, v in optional.items() if v is not None})
    with client_session(as_json) as client:
        body["revisions"] = [_revision(r) for r in revision]
        result = client.request("POST", "/api/v1/delivery/deployments", json=body)
    if as_json:
        emit_json(result)
    else:
        _said(result, "deployment")


@deploy_app.command("list")
def list_deployments(
    service: Annotated[str | None, typer.Option(help="Only this service.")] = None,
    environment: Annotated[str | None, typer.Option("--env", help="Only this environment.")] = (
        None
    ),
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1-1000).")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Deployments, newest first."""
    params = {"service": service, "environment": environment, "source": source}
    params = {k: v for k, v in params.items() if v is not None}
    with client_session(as_json) as client:
        found = client.request(
            "GET", "/api/v1/delivery/deployments", params={**params, "limit": limit}
        )
    if as_json:
        emit_json(found)
        return
    rows = [
        (d["id"], d["service"], d["environment"], d["status"], d["kind"], d["started_at"])
        for d in found["deployments"]
    ]
    table("Deployments", ["id", "service", "env", "status", "kind", "started"], rows)


@deploy_app.command("show")
def show_deployment(
    deployment_id: Annotated[str, typer.Argument(help="The deployment's id in its source.")],
    source: SourceOpt = "api",
    as_json: JsonOpt = False,
) -> None:
    """One deployment."""
    with client_session(as_json) as client:
        found = client.request(
            "GET", f"/api/v1/delivery/deployments/{deployment_id}", params={"source": source}
        )
    if as_json:
        emit_json(found)
        return
    rows = [(k, str(v)) for k, v in found.items()]
    table(f"Deployment {deployment_id}", ["field", "value"], rows)


@incident_app.command("open")
def open_incident(
    incident_id: Annotated[str, typer.Argument(help="The incident's id in its source.")],
    service: Annotated[list[str], typer.Option(help="An impacted service; repeat for several.")],
    severity: Annotated[str, typer.Option(help="The severity as your tracker names it.")],
    created_at: Annotated[
        str | None, typer.Option(help="ISO time with a zone (default: now).")
    ] = None,
    caused_by: Annotated[
        str | None, typer.Option(help="The deployment that caused it (its id).")
    ] = None,
    root_cause_sha: Annotated[str | None, typer.Option(help="The commit at fault.")] = None,
    change_induced: Annotated[
        bool | None,
        typer.Option("--change-induced/--not-change-induced", help="Caused by a change?"),
    ] = None,
    source: SourceOpt = "api",
    as_json: JsonOpt = False,
) -> None:
    """Open an incident; the same command again is a no-op."""
    body: dict[str, Any] = {
        "id": incident_id,
        "source": source,
        "services": service,
        "severity": severity,
        "created_at": created_at or _now(),
    }
    optional = {
        "caused_by_deployment": caused_by,
        "root_cause_sha": root_cause_sha,
        "change_induced": change_induced,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    with client_session(as_json) as client:
        result = client.request("POST", "/api/v1/delivery/incidents", json=body)
    if as_json:
        emit_json(result)
    else:
        _said(result, "incident")


def _update(incident_id: str, source: str, body: dict[str, Any], as_json: bool) -> None:
    with client_session(as_json) as client:
        result = client.request(
            "POST",
            f"/api/v1/delivery/incidents/{incident_id}/updates",
            json={"source": source, **body},
        )
    if as_json:
        emit_json(result)
    else:
        _said(result, "incident")


@incident_app.command("resolve")
def resolve(
    incident_id: Annotated[str, typer.Argument(help="The incident's id in its source.")],
    at: Annotated[
        str | None, typer.Option("--at", help="When it was resolved (default: now).")
    ] = None,
    acknowledged_at: Annotated[
        str | None, typer.Option(help="When it was acknowledged, if not reported yet.")
    ] = None,
    source: SourceOpt = "api",
    as_json: JsonOpt = False,
) -> None:
    """Resolve an incident (a new revision; the same time again is a no-op)."""
    body: dict[str, Any] = {"resolved_at": at or _now()}
    if acknowledged_at is not None:
        body["acknowledged_at"] = acknowledged_at
    _update(incident_id, source, body, as_json)


@incident_app.command("ack")
def acknowledge(
    incident_id: Annotated[str, typer.Argument(help="The incident's id in its source.")],
    at: Annotated[
        str | None, typer.Option("--at", help="When it was acknowledged (default: now).")
    ] = None,
    source: SourceOpt = "api",
    as_json: JsonOpt = False,
) -> None:
    """Acknowledge an incident."""
    with client_session(as_json) as client:
        result = client.request(
            "POST",
            f"/api/v1/delivery/incidents/{incident_id}/updates",
            json={"source": source, "acknowledged_at": at or _now()},
        )
    if as_json:
        emit_json(result)
    else:
        _said(result, "incident")


@incident_app.command("list")
def list_incidents(
    service: Annotated[str | None, typer.Option(help="Only incidents of this service.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1-1000).")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Incidents, newest first."""
    params = {"service": service, "source": source}
    params = {k: v for k, v in params.items() if v is not None}
    with client_session(as_json) as client:
        found = client.request(
            "GET", "/api/v1/delivery/incidents", params={**params, "limit": limit}
        )
    if as_json:
        emit_json(found)
        return
    rows = [
        (i["id"], ",".join(i["services"]), i["severity"], i["created_at"], i["resolved_at"] or "")
        for i in found["incidents"]
    ]
    table("Incidents", ["id", "services", "severity", "created", "resolved"], rows)


@incident_app.command("show")
def show_incident(
    incident_id: Annotated[str, typer.Argument(help="The incident's id in its source.")],
    source: SourceOpt = "api",
    as_json: JsonOpt = False,
) -> None:
    """One incident."""
    with client_session(as_json) as client:
        found = client.request(
            "GET", f"/api/v1/delivery/incidents/{incident_id}", params={"source": source}
        )
    if as_json:
        emit_json(found)
        return
    rows = [(k, str(v)) for k, v in found.items()]
    table(f"Incident {incident_id}", ["field", "value"], rows)


def _timed(option: str, value: str) -> tuple[str, str]:
    head, sep, at = value.rpartition("@")
    if not sep or not head or not at:
        raise CliError(f"{option} {value!r}: write NAME@ISO-TIME", ExitCode.USAGE)
    return head, at


def _review(value: str) -> dict[str, str]:
    who_state, at = _timed("--review", value)
    reviewer, sep, state = who_state.partition(":")
    if not sep or not reviewer or not state:
        raise CliError(f"--review {value!r}: write REVIEWER:STATE@ISO-TIME", ExitCode.USAGE)
    return {"reviewer": reviewer, "state": state, "submitted_at": at}


@change_app.command("record")
def record_change(
    change_id: Annotated[
        str, typer.Argument(help="A commit's sha, or a pull request's REPO#NUMBER.")
    ],
    repo: Annotated[str, typer.Option(help="The repository (owner/name).")],
    kind: Annotated[str, typer.Option(help="commit | pull_request.")] = "commit",
    authored_at: Annotated[
        str | None,
        typer.Option(help="A commit's author time or a PR's opening, ISO (default: now)."),
    ] = None,
    sha: Annotated[
        str | None,
        typer.Option(help="The commit's sha (default: the id for a commit), or a PR's landed one."),
    ] = None,
    merged_at: Annotated[str | None, typer.Option(help="When it reached the branch.")] = None,
    merge_method: Annotated[
        str | None, typer.Option(help="merge | squash | rebase | fast_forward.")
    ] = None,
    commit: Annotated[
        list[str] | None, typer.Option(help="A PR's original commit, SHA@ISO-TIME; repeat.")
    ] = None,
    review: Annotated[
        list[str] | None,
        typer.Option(help="REVIEWER:STATE@ISO-TIME (approved, changes_requested, commented)."),
    ] = None,
    label: Annotated[list[str] | None, typer.Option(help="A label; repeat.")] = None,
    reverts: Annotated[str | None, typer.Option(help="The sha or change id it reverts.")] = None,
    title: Annotated[str | None, typer.Option(help="A title, for people.")] = None,
    source: SourceOpt = "api",
    as_json: JsonOpt = False,
) -> None:
    """Record a commit or pull request; a later call may add reviews, labels and the merge."""
    body: dict[str, Any] = {
        "id": change_id,
        "source": source,
        "kind": kind,
        "repo": repo,
        "authored_at": authored_at or _now(),
        "labels": label or [],
    }
    if sha is None and kind == "commit":
        sha = change_id
    optional = {
        "sha": sha,
        "merged_at": merged_at,
        "merge_method": merge_method,
        "reverts": reverts,
        "title": title,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    with client_session(as_json) as client:
        body["commits"] = [
            {"sha": c, "authored_at": at} for c, at in (_timed("--commit", v) for v in commit or [])
        ]
        body["reviews"] = [_review(r) for r in review or []]
        result = client.request("POST", "/api/v1/delivery/changes", json=body)
    if as_json:
        emit_json(result)
    else:
        _said(result, "change")


@change_app.command("list")
def list_changes(
    repo: Annotated[str | None, typer.Option(help="Only this repository.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1-1000).")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Changes, the latest landed first."""
    params = {"repo": repo, "source": source}
    params = {k: v for k, v in params.items() if v is not None}
    with client_session(as_json) as client:
        found = client.request("GET", "/api/v1/delivery/changes", params={**params, "limit": limit})
    if as_json:
        emit_json(found)
        return
    rows = [
        (c["id"], c["kind"], c["repo"], c["merged_at"] or c["authored_at"], c["title"] or "")
        for c in found["changes"]
    ]
    table("Changes", ["id", "kind", "repo", "landed", "title"], rows)


@change_app.command("show")
def show_change(
    change_id: Annotated[str, typer.Argument(help="The change's id in its source.")],
    source: SourceOpt = "api",
    as_json: JsonOpt = False,
) -> None:
    """One change."""
    with client_session(as_json) as client:
        found = client.request(
            "GET",
            f"/api/v1/delivery/changes/{quote(change_id, safe='/')}",
            params={"source": source},
        )
    if as_json:
        emit_json(found)
        return
    rows = [(k, str(v)) for k, v in found.items()]
    table(f"Change {change_id}", ["field", "value"], rows)
