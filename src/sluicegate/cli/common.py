"""Shared option types and the error boundary for CLI commands."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

import typer

from sluicegate.cli.client import Client, from_env
from sluicegate.cli.output import CliError, fail

__all__ = ["JsonOpt", "client_session", "guard"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


@contextlib.contextmanager
def client_session(as_json: bool) -> Iterator[Client]:
    client = from_env()
    try:
        with guard(as_json):
            yield client
    finally:
        client.close()


@contextlib.contextmanager
def guard(as_json: bool) -> Iterator[None]:
    """Turn CliError and Sluicegate errors into a message on stderr and the mapped exit code."""
    from sluicegate.cli.exits import ExitCode, exit_code_for_class
    from sluicegate.errors import SluicegateError

    try:
        yield
    except CliError as exc:
        fail(exc, as_json)
    except SluicegateError as exc:
        fail(
            CliError(
                str(exc),
                exit_code_for_class(type(exc)),
                hint=exc.hint,
                code=exc.code,
                details=[f"{e.field}: {e.reason}" for e in exc.errors],
                body={
                    "code": exc.code,
                    "detail": str(exc),
                    "errors": [e.to_dict() for e in exc.errors],
                },
            ),
            as_json,
        )
    except KeyboardInterrupt:
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
