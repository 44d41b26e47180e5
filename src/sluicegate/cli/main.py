"""The ``sluice`` command line: client commands over the API, and local admin commands."""

from __future__ import annotations

import typer

from sluicegate import __version__
from sluicegate.cli import admin, audit, directory, experiments, flags, tokens
from sluicegate.cli import config as config_cli
from sluicegate.cli import evidence as evidence_cli
from sluicegate.cli import gates as gate_cli
from sluicegate.cli import jit as jit_cli
from sluicegate.cli import policy as policy_cli
from sluicegate.cli import processes as process_cli
from sluicegate.cli import rollouts as rollout_cli
from sluicegate.cli import webhooks as webhook_cli

__all__ = ["app", "run"]

app = typer.Typer(
    name="sluice",
    help=(
        "Sluicegate: governed experiments, gates, flags and a tamper-evident audit ledger.\n\n"
        "Client commands talk to SLUICE_URL (default http://127.0.0.1:8080) with SLUICE_TOKEN. "
        "Exit codes: 0 ok, 1 unexpected, 2 usage/invalid input, 3 denied, 4 analysis failed, "
        "5 pending, 6 not found, 7 conflict, 130 interrupted."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("init")(admin.init)
app.command("serve")(admin.serve)
app.command("demo")(admin.demo)
app.add_typer(config_cli.app, name="config")
app.add_typer(experiments.app, name="experiment")
app.add_typer(audit.app, name="audit")
app.add_typer(tokens.app, name="token")
app.add_typer(directory.teams, name="team")
app.add_typer(directory.users, name="user")
app.add_typer(webhook_cli.app, name="webhook")
app.add_typer(jit_cli.app, name="jit")
app.add_typer(flags.app, name="flags")
app.add_typer(process_cli.app, name="process")
app.add_typer(gate_cli.app, name="gate")
app.add_typer(gate_cli.overrides, name="override")
app.add_typer(evidence_cli.app, name="evidence")
app.add_typer(policy_cli.app, name="policy")
app.add_typer(rollout_cli.app, name="rollout")
app.add_typer(rollout_cli.controller_app, name="controller")


def _register_optional() -> None:
    """Commands whose modules need the server extra (numpy/scipy) load only when installed."""
    try:
        from sluicegate.cli.judge import judge_command
    except ImportError as exc:  # the light install has no numpy/scipy
        if exc.name not in {"numpy", "scipy", "sluicegate.cli.judge"}:
            raise
        return
    app.command("judge")(judge_command)


@app.callback(invoke_without_command=True)
def _main(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit(0)


def run() -> None:
    _register_optional()
    app()
