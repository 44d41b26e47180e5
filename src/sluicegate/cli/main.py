"""The ``sluice`` command line: client commands over the API, and local admin commands."""

from __future__ import annotations

import importlib.util

import typer

from sluicegate import __version__
from sluicegate.cli import admin, audit, delivery, experiments, flags, metrics, risk
from sluicegate.cli import config as config_cli
from sluicegate.cli import notifications as webhook_cli
from sluicegate.cli.access import directory, tokens
from sluicegate.cli.access import jit as jit_cli
from sluicegate.cli.gates import decisions as gate_cli
from sluicegate.cli.gates import evidence as evidence_cli
from sluicegate.cli.gates import policy as policy_cli
from sluicegate.cli.gates import processes as process_cli
from sluicegate.cli.rollouts import commands as rollout_cli

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
app.command("whoami")(directory.whoami)
admin_app = typer.Typer(help="Local administration on the database host (no server needed).")
admin_app.command("token")(admin.admin_token)
app.add_typer(admin_app, name="admin")
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
app.add_typer(risk.risk, name="risk")
app.add_typer(risk.priority, name="priority")
app.add_typer(metrics.app, name="metrics")
app.add_typer(delivery.deploy_app, name="deploy")
app.add_typer(delivery.incident_app, name="incident")


def _register_optional() -> None:
    """``sluice judge`` needs the server extra (numpy/scipy); it is offered only when installed.

    The check looks the packages up without importing them, so that no other command pays for
    loading SciPy (about a second per start).
    """
    if importlib.util.find_spec("numpy") is None or importlib.util.find_spec("scipy") is None:
        return  # the light install
    from sluicegate.cli.rollouts.judge import judge_command

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
