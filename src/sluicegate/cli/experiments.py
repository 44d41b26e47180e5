"""``sluice experiment ...``: client commands over the API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from sluicegate.cli import complete
from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, client_session, read_document
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, out, styled, table

app = new_app(
    help="Propose experiments and move them through their lifecycle.", no_args_is_help=True
)

KeyArg = Annotated[
    str, typer.Argument(help="The experiment key.", autocompletion=complete.experiments)
]


def _read(path: str) -> tuple[bytes, str]:
    if path == "-":
        return sys.stdin.buffer.read(), "application/yaml"
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", ExitCode.USAGE) from exc
    return data, "application/json" if p.suffix.lower() == ".json" else "application/yaml"


def _summary(exp: dict[str, Any]) -> None:
    risk = exp["risk"]
    out.print(styled("[bold]{}[/] - {}", exp["key"], exp["title"]))
    out.print(f"  state: {exp['state']} (version {exp['version']})   team: {exp['owner_team']}")
    out.print(
        styled(
            "  risk: [bold]{}[/] by {}: {}",
            risk["level"],
            risk["decided_by"],
            risk["explanation"],
        )
    )
    out.print(f"  required sign-offs: {', '.join(risk['required_signoffs']) or 'none'}")
    if "missing_signoffs" in exp:
        out.print(f"  missing sign-offs: {', '.join(exp['missing_signoffs']) or 'none'}")
    out.print(f"  required evidence: {', '.join(risk['required_evidence']) or 'none'}")
    out.print(f"  priority score: {exp['priority_score']}")
    out.print(f"  next: {', '.join(exp['allowed_transitions']) or 'none (final)'}")
    for a in exp.get("approvals", []):
        out.print(f"  approved by {a['reviewer']} for {a['domain']} at {a['created_at']}")


@app.command("propose")
def propose(
    file: Annotated[
        str, typer.Option("-f", "--file", help="Proposal in YAML or JSON ('-' = stdin).")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Submit a proposal; intake refuses one without a risk assessment or rollback plan."""
    with client_session(as_json) as client:
        data, ctype = _read(file)
        exp = client.request(
            "POST", "/api/v1/experiments", content=data, headers={"content-type": ctype}
        )
    if as_json:
        emit_json(exp)
    else:
        _summary(exp)


@app.command("list")
def list_(
    state: Annotated[str | None, typer.Option(help="Only this state.")] = None,
    team: Annotated[str | None, typer.Option(help="Only this owner team.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The queue, ranked by weighted priority score."""
    params = {k: v for k, v in {"state": state, "team": team}.items() if v}
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/experiments", params=params)["items"]
    if as_json:
        emit_json(items)
        return
    rows = [
        (e["key"], e["state"], e["risk"]["level"], e["priority_score"], e["owner_team"], e["title"])
        for e in items
    ]
    table(
        "Experiments",
        ["key", "state", "risk", "score", "team", "title"],
        rows,
        keep=["key"],
        flex=["title"],
    )


@app.command("show")
def show(key: KeyArg, as_json: JsonOpt = False) -> None:
    """One experiment with its risk explanation and sign-offs."""
    with client_session(as_json) as client:
        exp = client.request("GET", f"/api/v1/experiments/{key}")
    if as_json:
        emit_json(exp)
    else:
        _summary(exp)


@app.command("approve")
def approve(
    key: KeyArg,
    domain: Annotated[
        str | None,
        typer.Option(help="Your reviewer domain (required for the intake sign-off)."),
    ] = None,
    stage: Annotated[
        str | None,
        typer.Option(
            help="Review the promotion into this stage (the stage's approval gates read it) "
            "instead of the intake sign-off.",
            autocompletion=complete.stages,
        ),
    ] = None,
    reject: Annotated[
        bool, typer.Option("--reject", help="With --stage: reject the promotion instead.")
    ] = False,
    comment: Annotated[str, typer.Option(help="Why you approve (or reject).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Sign off an experiment in one reviewer domain, or review a stage promotion (never your
    own proposal)."""
    body: dict[str, Any] = {"comment": comment}
    if domain is not None:
        body["domain"] = domain
    if stage is not None:
        body["stage"] = stage
        body["decision"] = "reject" if reject else "approve"
    elif reject:
        raise CliError("--reject needs --stage: intake sign-offs only approve", ExitCode.USAGE)
    with client_session(as_json) as client:
        exp = client.request("POST", f"/api/v1/experiments/{key}/approvals", json=body)
    if as_json:
        emit_json(exp)
    else:
        _summary(exp)


@app.command("update")
def update(
    key: KeyArg,
    file: Annotated[
        str,
        typer.Option(
            "-f", "--file", help="The fields to change, YAML or JSON (merge patch; '-' = stdin)."
        ),
    ],
    expected_version: Annotated[
        int | None, typer.Option(help="Fail with exit 7 unless the experiment is at this version.")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why (audited).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change proposal fields (title, summary, risk, ...); the risk is assessed again."""
    headers = {"If-Match": f'"{expected_version}"'} if expected_version is not None else {}
    params = {"reason": reason} if reason else {}
    with client_session(as_json) as client:
        patch = read_document(file)
        if not isinstance(patch, dict):
            raise CliError(f"{file} must hold a mapping of fields", ExitCode.USAGE)
        exp = client.request(
            "PATCH", f"/api/v1/experiments/{key}", json=patch, params=params, headers=headers
        )
    if as_json:
        emit_json(exp)
    else:
        _summary(exp)


@app.command("transition")
def transition(
    key: KeyArg,
    to: Annotated[
        str,
        typer.Argument(
            help="Target state, e.g. approved, sandbox, rolled-back.",
            autocompletion=complete.stages,
        ),
    ],
    reason: Annotated[str | None, typer.Option(help="Why (required for exits).")] = None,
    expected_version: Annotated[
        int | None, typer.Option(help="Fail with exit 7 unless the experiment is at this version.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Move an experiment to another state; an invalid move names the allowed ones."""
    body: dict[str, Any] = {"to": to}
    if reason:
        body["reason"] = reason
    if expected_version is not None:
        body["expected_version"] = expected_version
    with client_session(as_json) as client:
        exp = client.request("POST", f"/api/v1/experiments/{key}/transitions", json=body)
    if as_json:
        emit_json(exp)
    else:
        _summary(exp)


@app.command("impact")
def impact(
    key: KeyArg,
    days: Annotated[
        int | None,
        typer.Option(help="Days before (and after) to compare (default: as long as it ran)."),
    ] = None,
    confidence: Annotated[float, typer.Option(help="Confidence of the intervals.")] = 0.95,
    as_json: JsonOpt = False,
) -> None:
    """The experiment's effect on its services' DORA metrics: before, during, after."""
    params: dict[str, Any] = {"confidence": confidence}
    if days is not None:
        params["days"] = days
    with client_session(as_json) as client:
        found = client.request("GET", f"/api/v1/experiments/{key}/impact", params=params)
    if as_json:
        emit_json(found)
        return
    from sluicegate.cli.delivery.metrics import impact_rows

    out.print(
        f"{key} ({found['state']}) on {', '.join(found['services'])}: started "
        f"{found['started_at'][:16]}, ended {(found['ended_at'] or 'not yet')[:16]}"
    )
    for name, rows in impact_rows(found).items():
        table(name, ["metric", "before", "then", "change", f"{confidence:.0%} interval"], rows)
    out.print(found["note"])
