"""Shared option types and the error boundary for CLI commands."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any

import typer

from sluicegate.cli.client import Client, from_env
from sluicegate.cli.output import CliError, fail

__all__ = ["JsonOpt", "client_session", "guard", "read_bytes", "read_document"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def read_bytes(path: str) -> bytes:
    """The bytes of ``path`` ('-' = stdin); an unreadable file is a usage error (exit 2)."""
    import sys
    from pathlib import Path

    from sluicegate.cli.exits import ExitCode

    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", ExitCode.USAGE) from exc


def read_document(path: str) -> Any:
    """A YAML or JSON document from ``path`` ('-' = stdin), parsed; bad syntax exits 2."""
    import yaml

    from sluicegate.cli.exits import ExitCode

    try:
        return yaml.safe_load(read_bytes(path))
    except yaml.YAMLError as exc:
        raise CliError(
            f"{path} is not valid YAML or JSON: {exc}", ExitCode.USAGE, code="malformed-document"
        ) from exc


@contextlib.contextmanager
def client_session(as_json: bool) -> Iterator[Client]:
    with guard(as_json):
        client = from_env()
        try:
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
