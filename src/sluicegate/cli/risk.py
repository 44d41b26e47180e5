"""``sluice risk ...`` and ``sluice priority ...``: the risk matrix and the priority weights
(the risk feature: api/routes/risk.py serves both)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, client_session, read_bytes, read_document
from sluicegate.cli.output import emit_json, err, out, table

__all__ = ["priority", "risk"]

risk = new_app(
    help="The risk matrix: show it, replace it (admin), preview an assessment.",
    no_args_is_help=True,
)
priority = new_app(
    help="The weights of the priority score that ranks the queue.", no_args_is_help=True
)


def _print_assessment(a: dict[str, Any]) -> None:
    out.print(f"level: {a['level']} (score {a['score']}, decided by {a['decided_by']})")
    out.print(f"  {a['explanation']}")
    out.print(f"  required sign-offs: {', '.join(a['required_signoffs']) or 'none'}")
    out.print(f"  required evidence: {', '.join(a['required_evidence']) or 'none'}")
    out.print(f"  allowed environments: {', '.join(a['allowed_environments']) or 'none'}")


@risk.command("show")
def risk_show(as_json: JsonOpt = False) -> None:
    """The matrix in force and where it came from (built-in, file or replaced)."""
    import yaml

    with client_session(as_json) as client:
        found = client.request("GET", "/api/v1/risk-matrix")
    if as_json:
        emit_json(found)
        return
    err.print(f"# risk matrix ({found['source']})")
    out.print(yaml.safe_dump(found["matrix"], sort_keys=False).rstrip())


@risk.command("apply")
def risk_apply(
    file: Annotated[
        str, typer.Option("-f", "--file", help="The matrix in YAML or JSON ('-' = stdin).")
    ],
    reason: Annotated[str | None, typer.Option(help="Why (audited with both matrices).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Replace the matrix (admin); a matrix with a problem is refused whole, naming each path."""
    params = {"reason": reason} if reason else {}
    with client_session(as_json) as client:
        data = read_bytes(file)
        found = client.request(
            "PUT",
            "/api/v1/risk-matrix",
            content=data,
            params=params,
            headers={"content-type": "application/yaml"},
        )
    if as_json:
        emit_json(found)
        return
    out.print("risk matrix replaced; new proposals are assessed with it")


@risk.command("assess")
def risk_assess(
    data_classification: Annotated[
        str, typer.Option(help="public | internal | confidential | restricted-pii")
    ],
    user_impact: Annotated[str, typer.Option(help="none | internal | segment | all")],
    system_criticality: Annotated[str, typer.Option(help="low | medium | high | mission-critical")],
    as_json: JsonOpt = False,
) -> None:
    """Preview the level, sign-offs and evidence three risk factors would get (nothing stored)."""
    body = {
        "data_classification": data_classification,
        "user_impact": user_impact,
        "system_criticality": system_criticality,
    }
    with client_session(as_json) as client:
        found = client.request("POST", "/api/v1/risk-matrix/assess", json=body)
    if as_json:
        emit_json(found)
    else:
        _print_assessment(found)


def _print_weights(w: dict[str, Any]) -> None:
    table("Priority weights", ["factor", "weight"], sorted(w.items()))


@priority.command("show")
def priority_show(as_json: JsonOpt = False) -> None:
    """The weights in force."""
    with client_session(as_json) as client:
        found = client.request("GET", "/api/v1/settings/priority-weights")
    if as_json:
        emit_json(found)
    else:
        _print_weights(found)


@priority.command("set")
def priority_set(
    file: Annotated[
        str,
        typer.Option(
            "-f",
            "--file",
            help="YAML/JSON mapping: value, strategic_fit, cost, risk, time_to_learn.",
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Replace the weights (admin) and re-score every experiment in one audited change."""
    with client_session(as_json) as client:
        doc = read_document(file)
        found = client.request("PUT", "/api/v1/settings/priority-weights", json=doc)
    if as_json:
        emit_json(found)
    else:
        _print_weights(found)
