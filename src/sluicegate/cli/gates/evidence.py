"""``sluice evidence ...``: upload CI artifacts as evidence (the server keeps only the facts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sluicegate.cli import complete
from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, client_session
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, out, table

app = new_app(
    help="Attach evidence (JUnit, coverage, SARIF, k6, ...) to an experiment.",
    no_args_is_help=True,
)

ExperimentArg = Annotated[
    str, typer.Argument(help="The experiment key.", autocompletion=complete.experiments)
]


@app.command("add")
def add(
    experiment: ExperimentArg,
    kind: Annotated[str, typer.Option(help="junit, coverage, sarif, k6, jmeter, ... (docs).")],
    file: Annotated[Path, typer.Option("--file", "-f", help="The artifact your CI wrote.")],
    as_json: JsonOpt = False,
) -> None:
    """Parse and attach one artifact; a malformed one is refused with the parser's reason."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {file}: {exc.strerror}", ExitCode.USAGE) from exc
    with client_session(as_json) as client:
        result = client.request(
            "POST",
            f"/api/v1/experiments/{experiment}/evidence",
            params={"kind": kind, "filename": file.name},
            content=data,
            headers={"content-type": "application/octet-stream"},
        )
    if as_json:
        emit_json(result)
        return
    out.print(f"attached {kind} evidence {result['id']} ({result['size']} bytes, {file.name})")
    for name, value in sorted(result["facts"].items()):
        if not isinstance(value, list | dict):
            out.print(f"  {name}: {value}")


@app.command("list")
def list_(experiment: ExperimentArg, as_json: JsonOpt = False) -> None:
    """The evidence attached to an experiment."""
    with client_session(as_json) as client:
        result = client.request("GET", f"/api/v1/experiments/{experiment}/evidence")
    if as_json:
        emit_json(result)
        return
    rows = [
        (e["id"], e["kind"], e["filename"], e["uploaded_by"], e["uploaded_at"])
        for e in result["items"]
    ]
    table("Evidence", ["id", "kind", "file", "by", "at"], rows, keep=["id"], flex=["file"])
