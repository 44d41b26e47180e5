"""The ``sluice`` command line: client commands over the API, and local admin commands.

The top level is lazy: each command group's module is imported only when that group runs, so
``sluice --help`` and a client command pay for one module, not for all twenty-odd (issue 12;
docs/adr/0020-lazy-cli.md). The listing in ``sluice --help`` comes from :data:`COMMANDS`; a
unit test checks that each entry's help is the loaded command's own.
"""

from __future__ import annotations

import importlib
import importlib.util
from difflib import get_close_matches
from typing import TYPE_CHECKING

import typer
import typer.core
from typer._click.exceptions import UsageError

from sluicegate import __version__

if TYPE_CHECKING:  # Typer's own Click (typer._click), whose classes TyperGroup builds on
    from typer._click import Command, Context, HelpFormatter

__all__ = ["COMMANDS", "LazyGroup", "app", "run"]

_CLI = "sluicegate.cli."

#: name -> (module under sluicegate.cli, attribute, one-line help), in the order help lists them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": (
        "admin",
        "init",
        "Create the schema, the audit signing key and the first admin; print its token once.",
    ),
    "serve": ("admin", "serve", "Migrate the database if needed and serve the API."),
    "demo": (
        "admin",
        "demo",
        "`make run`: initialise on first start, load demo data, print URL and token, serve.",
    ),
    "whoami": (
        "access.directory",
        "whoami",
        "Who the token in SLUICE_TOKEN is: user, role and reviewer domains (checks it works).",
    ),
    "admin": (
        "admin",
        "admin_app",
        "Local administration on the database host (no server needed).",
    ),
    "config": ("config", "app", "The effective configuration (SLUICE_* variables)."),
    "experiment": (
        "experiments",
        "app",
        "Propose experiments and move them through their lifecycle.",
    ),
    "audit": ("audit", "app", "Verify, export and checkpoint the tamper-evident audit ledger."),
    "token": ("access.tokens", "app", "Issue, list and revoke API tokens."),
    "team": ("access.directory", "teams", "Teams: who owns experiments and flag sets."),
    "user": ("access.directory", "users", "Users, their roles and reviewer domains."),
    "webhook": (
        "notifications",
        "app",
        "Webhook subscriptions, dead letters and delivery (admin).",
    ),
    "jit": (
        "access.jit",
        "app",
        "Just-in-time access: time-bound elevated roles on one experiment stage.",
    ),
    "flags": (
        "flags",
        "app",
        "Feature-flag sets: export, import, diff, history, rollback, approvals.",
    ),
    "process": (
        "gates.processes",
        "app",
        "Promotion processes as code: validate, apply (versioned), show, diff; the selector, "
        "the review board, environments and pins.",
    ),
    "gate": ("gates.decisions", "app", "Gate checks and decision records."),
    "override": (
        "gates.decisions",
        "overrides",
        "Justified, expiring overrides of soft-mandatory gates.",
    ),
    "evidence": (
        "gates.evidence",
        "app",
        "Attach evidence (JUnit, coverage, SARIF, k6, ...) to an experiment.",
    ),
    "policy": ("gates.policy", "app", "Work on policy bundles locally (no server needed)."),
    "rollout": (
        "rollouts.commands",
        "app",
        "Progressive delivery: start, watch and steer rollouts.",
    ),
    "controller": ("rollouts.commands", "controller_app", "The rollout controller process."),
    "risk": (
        "risk",
        "risk",
        "The risk matrix: show it, replace it (admin), preview an assessment.",
    ),
    "priority": ("risk", "priority", "The weights of the priority score that ranks the queue."),
    "metrics": (
        "metrics",
        "app",
        "Metric samples pushed for rollout analysis (docs/metrics.md).",
    ),
    "deploy": ("delivery.events", "deploy_app", "Deployments reported by CI (docs/delivery.md)."),
    "incident": (
        "delivery.events",
        "incident_app",
        "Incidents: open, acknowledge, resolve (docs/delivery.md).",
    ),
    "change": (
        "delivery.events",
        "change_app",
        "Commits and pull requests, for lead time and rework (docs/delivery.md).",
    ),
    "delivery": (
        "delivery.importer",
        "delivery_app",
        "Backfill delivery events from a JSONL or CSV export; check the webhook sources "
        "(docs/delivery.md).",
    ),
    "dora": (
        "delivery.metrics",
        "dora_app",
        "The five DORA metrics, each with the facts behind it (docs/delivery-metrics.md).",
    ),
    "kpi": (
        "delivery.metrics",
        "kpi_app",
        "Innovation KPIs beside delivery (docs/delivery-metrics.md).",
    ),
    "slo": (
        "slo",
        "app",
        "SLOs as code: validate OpenSLO v1 or Sloth specs and generate their Prometheus rules, "
        "offline; apply, list and show the SLOs stored on the server (docs/slo.md).",
    ),
    "judge": (
        "rollouts.judge",
        "judge_command",
        "Compare canary samples with baseline samples, metric by metric, and print a verdict.",
    ),
}


def _offered(name: str) -> bool:
    """``sluice judge`` needs the server extra (numpy/scipy); it is offered only when installed.

    The check looks the packages up without importing them, so that no other command pays for
    loading SciPy (about a second per start).
    """
    if name != "judge":
        return True
    return importlib.util.find_spec("numpy") is not None and (
        importlib.util.find_spec("scipy") is not None
    )


def load(name: str) -> Command:
    """The command ``name`` of :data:`COMMANDS`, its module imported now."""
    module, attribute, _ = COMMANDS[name]
    target = getattr(importlib.import_module(_CLI + module), attribute)
    if isinstance(target, typer.Typer):
        command: Command = typer.main.get_group(target)
    else:
        holder = typer.Typer(rich_markup_mode=None)
        holder.command(name)(target)
        command = typer.main.get_command(holder)
    command.name = name
    return command


class LazyGroup(typer.core.TyperGroup):
    """The top-level group: commands load on first use; help lists them from :data:`COMMANDS`."""

    def list_commands(self, ctx: Context) -> list[str]:  # noqa: ARG002 (Click's signature)
        return [*self.commands, *(n for n in COMMANDS if n not in self.commands and _offered(n))]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:  # noqa: ARG002
        if cmd_name not in self.commands and cmd_name in COMMANDS and _offered(cmd_name):
            self.commands[cmd_name] = load(cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        """Typer's resolution, with "Did you mean" drawn from every command, loaded or not."""
        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as e:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches:
                names = ", ".join(repr(m) for m in matches)
                e.message = f"{e.message.rstrip('.')}. Did you mean {names}?"
            raise

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        rows = [(n, COMMANDS[n][2]) for n in self.list_commands(ctx) if n in COMMANDS]
        rows += [
            (n, c.get_short_help_str(formatter.width))
            for n, c in self.commands.items()
            if n not in COMMANDS and not c.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


app = typer.Typer(
    name="sluice",
    cls=LazyGroup,
    help=(
        "Sluicegate: governed experiments, gates, flags and a tamper-evident audit ledger.\n\n"
        "Client commands talk to SLUICE_URL (default http://127.0.0.1:8080) with SLUICE_TOKEN. "
        "Exit codes: 0 ok, 1 unexpected, 2 usage/invalid input, 3 denied, 4 analysis failed, "
        "5 pending, 6 not found, 7 conflict, 130 interrupted."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback(invoke_without_command=True)
def _main(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit(0)


def run() -> None:
    app()
