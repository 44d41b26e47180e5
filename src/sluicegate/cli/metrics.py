"""``sluice metrics ...``: push metric samples for rollout analysis, and read them back."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sluicegate.cli import complete
from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, client_session, read_document
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, err, table

__all__ = ["app"]

app = new_app(
    help="Metric samples pushed for rollout analysis (docs/metrics.md).", no_args_is_help=True
)


@app.command("push")
def push(
    file: Annotated[
        str,
        typer.Option(
            "-f",
            "--file",
            help="{samples: [{experiment, metric, variant, value, ts, labels}]} or a list of "
            "samples, YAML or JSON ('-' = stdin).",
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Push one batch of samples; a bad sample refuses the whole batch, naming it."""
    with client_session(as_json) as client:
        doc: Any = read_document(file)
        body = {"samples": doc} if isinstance(doc, list) else doc
        if not isinstance(body, dict):
            raise CliError(
                f"{file} must hold a list of samples or {{samples: [...]}}", ExitCode.USAGE
            )
        result = client.request("POST", "/api/v1/metrics", json=body)
    if as_json:
        emit_json(result)
    else:
        err.print(f"accepted {result['accepted']} sample(s)")


@app.command("read")
def read(
    experiment: Annotated[
        str, typer.Argument(help="The experiment key.", autocompletion=complete.experiments)
    ],
    metric: Annotated[str | None, typer.Option(help="Only this metric.")] = None,
    variant: Annotated[str | None, typer.Option(help="Only this variant (canary, ...).")] = None,
    since: Annotated[str | None, typer.Option(help="From this ISO time with a zone.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many samples (1-10000).")] = 1000,
    as_json: JsonOpt = False,
) -> None:
    """Pushed samples of an experiment, oldest first."""
    params = {"experiment": experiment, "metric": metric, "variant": variant, "since": since}
    params = {k: v for k, v in params.items() if v is not None}
    with client_session(as_json) as client:
        found = client.request("GET", "/api/v1/metrics", params={**params, "limit": limit})
    if as_json:
        emit_json(found)
        return
    rows = [(s["ts"], s["metric"], s["variant"], s["value"], s["labels"]) for s in found["samples"]]
    table(f"Samples of {experiment}", ["ts", "metric", "variant", "value", "labels"], rows)
