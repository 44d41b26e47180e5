"""Output: data on stdout (tables for people, JSON for machines), diagnostics on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from sluicegate.cli.exits import ExitCode

__all__ = ["CliError", "emit_json", "err", "fail", "out", "table"]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class CliError(Exception):
    """An error to report on stderr with an exit code (raised by the client and the commands)."""

    def __init__(
        self,
        message: str,
        exit_code: ExitCode,
        *,
        hint: str = "",
        code: str = "",
        details: list[str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.hint = hint
        self.code = code
        self.details = details or []
        self.body = body


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c)
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    out.print(t)


def fail(error: CliError, as_json: bool = False) -> NoReturn:
    if as_json:
        payload = error.body or {"code": error.code or "error", "detail": error.message}
        sys.stdout.write(json.dumps(payload, sort_keys=True) + "\n")
    err.print(f"[bold red]error[/]: {error.message}" + (f" ({error.code})" if error.code else ""))
    for line in error.details:
        err.print(f"  - {line}")
    if error.hint:
        err.print(f"[dim]hint[/]: {error.hint}")
    raise typer.Exit(int(error.exit_code))
