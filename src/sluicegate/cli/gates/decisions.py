"""``sluice gate ...`` and ``sluice override ...``: ask whether a stage may proceed, for CI.

``gate check`` exits 0 when the gates pass, 3 when they deny and 5 while pending; with ``--wait``
it asks again with backoff until pass or denied, or until ``--timeout`` (then 5). ``--junit`` and
``--sarif`` write the decision for CI test reports and code scanning.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from sluicegate.cli import complete
from sluicegate.cli.apps import new_app
from sluicegate.cli.client import Client
from sluicegate.cli.common import JsonOpt, client_session
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, err, out, styled, table

app = new_app(help="Gate checks and decision records.", no_args_is_help=True)
overrides = new_app(
    help="Justified, expiring overrides of soft-mandatory gates.", no_args_is_help=True
)

ExperimentArg = Annotated[
    str, typer.Argument(help="The experiment key.", autocompletion=complete.experiments)
]

EXIT_FOR = {"pass": ExitCode.OK, "denied": ExitCode.DENIED, "pending": ExitCode.PENDING}
MAX_POLL_SECONDS = 60.0


def _duration_seconds(text: str, option: str) -> float:
    from sluicegate.domain.gates.durations import parse_duration

    try:
        return parse_duration(text).total_seconds()
    except ValueError as exc:
        raise CliError(f"{option}: {exc}", ExitCode.USAGE) from exc


def _print_decision(decision: dict[str, Any]) -> None:
    outcome = decision["outcome"]
    colour = {"pass": "green", "denied": "red", "pending": "yellow"}[outcome]
    out.print(
        styled(
            f"[bold {colour}]{{}}[/] {{}} -> {{}} ({{}}@v{{}}), decision {{}}",
            outcome.upper(),
            decision["experiment"],
            decision["stage"],
            decision["process"],
            decision["process_version"],
            decision["id"],
        )
    )
    for check in decision["checks"]:
        flag = " (blocking)" if check["blocking"] else ""
        out.print(
            f"  {check['status']:<15} {check['gate']} [{check['enforcement']}]{flag}", markup=False
        )
        for reason in check["reasons"]:
            out.print(f"      {reason}", markup=False)
        for warning in check["warnings"]:
            out.print(f"      warning: {warning}", markup=False)


def _write_reports(
    client: Client, decision_id: str, junit: Path | None, sarif: Path | None
) -> None:
    path = f"/api/v1/decisions/{decision_id}"
    for target, fmt in ((junit, "junit"), (sarif, "sarif")):
        if target is None:
            continue
        body = client.request("GET", path, params={"format": fmt})
        text = body if isinstance(body, str) else json.dumps(body, indent=2)
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {target}: {exc.strerror}", ExitCode.UNEXPECTED) from exc


@app.command("check")
def check(
    experiment: ExperimentArg,
    stage: Annotated[str, typer.Option(help="The stage to enter.", autocompletion=complete.stages)],
    wait: Annotated[bool, typer.Option("--wait", help="Ask again until pass or denied.")] = False,
    timeout: Annotated[str, typer.Option(help="How long --wait waits (e.g. 30m).")] = "30m",
    poll: Annotated[
        float, typer.Option(help="First interval between checks in seconds (doubles, max 60).")
    ] = 5.0,
    junit: Annotated[Path | None, typer.Option(help="Write the decision as JUnit XML.")] = None,
    sarif: Annotated[Path | None, typer.Option(help="Write the decision as SARIF 2.1.0.")] = None,
    ci_run_id: Annotated[str | None, typer.Option(help="The CI run asking (recorded).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """May EXPERIMENT enter STAGE? Exit 0 pass, 3 denied, 5 pending."""
    body = {"ci_run_id": ci_run_id} if ci_run_id else {}
    with client_session(as_json) as client:
        limit = _duration_seconds(timeout, "--timeout") if wait else 0.0
        deadline = time.monotonic() + limit
        interval = max(poll, 0.1)
        while True:
            decision = client.request(
                "POST", f"/api/v1/experiments/{experiment}/gates/{stage}/check", json=body
            )
            remaining = deadline - time.monotonic()
            if not wait or decision["outcome"] != "pending" or remaining <= 0:
                break
            err.print(
                f"pending ({', '.join(c['gate'] for c in decision['checks'] if c['blocking'])}); "
                f"asking again in {min(interval, remaining):.0f} s"
            )
            time.sleep(min(interval, remaining))
            interval = min(interval * 2, MAX_POLL_SECONDS)
        _write_reports(client, decision["id"], junit, sarif)
    if as_json:
        emit_json(decision)
    else:
        _print_decision(decision)
    raise typer.Exit(int(EXIT_FOR[decision["outcome"]]))


@app.command("explain")
def explain(
    decision_id: Annotated[str, typer.Argument(help="The decision id (`gate check` prints it).")],
    as_json: JsonOpt = False,
) -> None:
    """A stored decision, replayed: does the same input with the same bundle decide the same?"""
    with client_session(as_json) as client:
        result = client.request(
            "GET", f"/api/v1/decisions/{decision_id}", params={"replay": "true"}
        )
    if as_json:
        emit_json(result)
    else:
        _print_decision(result)
        replay = result["replay"]
        out.print(f"input {result['input_hash']}, policy bundle {result['policy_revision']}")
        if replay["matches"]:
            out.print(styled("replay: [green]same decision[/]"))
        else:
            out.print(styled("replay: [red]differs[/] in {}", ", ".join(replay["differences"])))
    if not result["replay"]["matches"]:
        raise typer.Exit(int(ExitCode.ANALYSIS_FAILED))


@overrides.command("create")
def create_override(
    experiment: ExperimentArg,
    stage: Annotated[
        str, typer.Option(help="The stage of the gate.", autocompletion=complete.stages)
    ],
    gate: Annotated[str, typer.Option(help="The soft-mandatory gate id.")],
    justification: Annotated[str, typer.Option(help="Why the gate may be passed.")],
    expires_in: Annotated[str, typer.Option(help="How long it holds (e.g. 12h, 2d; max 7d).")],
    as_json: JsonOpt = False,
) -> None:
    """Let one soft-mandatory gate pass until the expiry (reviewer or admin)."""
    with client_session(as_json) as client:
        seconds = _duration_seconds(expires_in, "--expires-in")
        expires = datetime.fromtimestamp(time.time() + seconds, UTC).isoformat()
        result = client.request(
            "POST",
            f"/api/v1/experiments/{experiment}/overrides",
            json={
                "stage": stage,
                "gate": gate,
                "justification": justification,
                "expires_at": expires,
            },
        )
    if as_json:
        emit_json(result)
    else:
        out.print(f"override {result['id']}: {stage}/{gate} until {result['expires_at']}")


@overrides.command("list")
def list_overrides(experiment: ExperimentArg, as_json: JsonOpt = False) -> None:
    """An experiment's overrides, active and revoked."""
    with client_session(as_json) as client:
        items = client.request("GET", f"/api/v1/experiments/{experiment}/overrides")["items"]
    if as_json:
        emit_json(items)
        return
    rows = [
        (
            o["id"],
            o["stage"],
            o["gate"],
            o["expires_at"],
            o["created_by"],
            "revoked" if o["revoked_at"] else "active",
            o["justification"],
        )
        for o in items
    ]
    table(
        "Overrides",
        ["id", "stage", "gate", "expires", "by", "state", "why"],
        rows,
        keep=["id"],
        flex=["why"],
    )


@overrides.command("revoke")
def revoke_override(
    override_id: Annotated[str, typer.Argument(help="The override id (`sluice override list`).")],
    reason: Annotated[str, typer.Option(help="Why it is withdrawn.")],
    as_json: JsonOpt = False,
) -> None:
    """Withdraw an override before it expires (reviewer or admin)."""
    with client_session(as_json) as client:
        result = client.request(
            "POST", f"/api/v1/overrides/{override_id}/revoke", json={"reason": reason}
        )
    if as_json:
        emit_json(result)
    else:
        out.print(f"override {result['id']} revoked by {result['revoked_by']}")
