"""Output: data on stdout (tables for people, JSON for machines), diagnostics on stderr.

Both consoles print strings as they are: Rich markup is off, so a server-supplied string such as
``'^[a-z0-9][a-z0-9-]{1,62}$'`` keeps its brackets. Styling goes through :func:`styled`, whose
template is ours and whose values are escaped, and table cells are plain :class:`Text`.

Rich is imported on first use, not with this module: a command that prints only JSON, or only
an error, does not pay for it (the CLI start-up budget, issue 12).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, cast

import typer

from sluicegate.cli.exits import ExitCode

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

__all__ = ["CliError", "emit_json", "err", "fail", "out", "styled", "table"]


class _LazyConsole:
    """A Rich console made on first use (stdout or stderr), with markup off.

    Rich fixes the width from ``COLUMNS`` when a console is made, so a change of ``COLUMNS``
    (in-process test runners set it per invocation) makes a new one.
    """

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None
        self._columns: str | None = None

    def __getattr__(self, name: str) -> Any:
        columns = os.environ.get("COLUMNS")
        if self._console is None or columns != self._columns:
            from rich.console import Console

            self._console = Console(
                stderr=self._stderr, highlight=False, soft_wrap=True, markup=False, emoji=False
            )
            self._columns = columns
        return getattr(self._console, name)


out = cast("Console", _LazyConsole(stderr=False))
err = cast("Console", _LazyConsole(stderr=True))


def styled(template: str, *values: object) -> Text:
    """``template`` (Rich markup, ``{}`` fields) with ``values`` escaped into the fields."""
    from rich.markup import escape
    from rich.text import Text

    return Text.from_markup(template.format(*(escape(str(v)) for v in values)), emoji=False)


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


def table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    keep: Sequence[str] = (),
    flex: Sequence[str] = (),
) -> None:
    """A table on stdout. The ``keep`` columns (keys, ids) are never cut or wrapped, whatever
    the terminal's width; the ``flex`` columns (titles, reasons) take the room that is left and
    wrap (or are cut) first; the others are cut with an ellipsis only when that is not enough."""
    from rich.table import Table
    from rich.text import Text

    cells = [[Text("" if v is None else str(v)) for v in row] for row in rows]
    t = Table(title=Text(title), title_justify="left")
    for n, c in enumerate(columns):
        if c in keep:
            widest = max([len(c), *(row[n].cell_len for row in cells)])
            t.add_column(Text(c), no_wrap=True, min_width=widest, overflow="fold")
        elif c in flex:
            t.add_column(Text(c), ratio=1, overflow="ellipsis")
        else:
            t.add_column(Text(c), no_wrap=True, overflow="ellipsis")
    for row in cells:
        t.add_row(*row)
    out.print(t)


def fail(error: CliError, as_json: bool = False) -> NoReturn:
    if as_json:
        payload = error.body or {"code": error.code or "error", "detail": error.message}
        sys.stdout.write(json.dumps(payload, sort_keys=True) + "\n")
    code = f" ({error.code})" if error.code else ""
    err.print(styled("[bold red]error[/]: {}", error.message + code))
    for line in error.details:
        err.print(f"  - {line}")
    if error.hint:
        err.print(styled("[dim]hint[/]: {}", error.hint))
    raise typer.Exit(int(error.exit_code))
