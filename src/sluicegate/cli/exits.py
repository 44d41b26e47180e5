"""Exit codes: one enum, and the one table that maps error classes to them.

Like ``sluicegate.api.problems.STATUS`` for HTTP, :data:`EXIT` maps error classes and a class
inherits its parent's entry. Errors raised in the CLI process map by class; problem+json bodies
from the server carry a ``code``, which maps to its class through :func:`error_class` (derived
from the classes' own ``code`` attributes, nothing restated here). A code no class here defines
(``payload-too-large``, or a class whose module needs the server extra) falls back on the HTTP
status in the client.

The table is built on first use: the gate errors live in ``sluicegate.domain.gates``, whose
package import costs about a tenth of a second, and no command that succeeds should pay it
(``sluice --help`` and client commands start in <= 0.3 s, ``benchmarks/cli_startup.py``).
"""

from __future__ import annotations

import functools
from enum import IntEnum
from typing import TYPE_CHECKING

from sluicegate.domain import errors as e

__all__ = ["EXIT", "ExitCode", "error_class", "exit_code_for", "exit_code_for_class"]


class ExitCode(IntEnum):
    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    DENIED = 3
    ANALYSIS_FAILED = 4
    PENDING = 5
    NOT_FOUND = 6
    CONFLICT = 7
    INTERRUPTED = 130


if TYPE_CHECKING:
    #: Error class -> exit code (built on first use, see :func:`_exit_table`).
    EXIT: dict[type[e.SluicegateError], ExitCode]


@functools.cache
def _exit_table() -> dict[type[e.SluicegateError], ExitCode]:
    """Error class -> exit code. The first class of an error's MRO that is listed wins."""
    from sluicegate.domain.gates.errors import GateBlocked, GateDenied, GatePending

    return {
        e.SluicegateError: ExitCode.UNEXPECTED,
        e.InvalidInput: ExitCode.USAGE,
        e.NotFound: ExitCode.NOT_FOUND,
        e.Conflict: ExitCode.CONFLICT,
        e.StageNotReached: ExitCode.DENIED,
        e.InvalidTransition: ExitCode.DENIED,
        e.ApprovalRequired: ExitCode.DENIED,
        e.SelfApproval: ExitCode.DENIED,
        e.Unauthenticated: ExitCode.DENIED,
        e.Forbidden: ExitCode.DENIED,
        e.Unavailable: ExitCode.UNEXPECTED,
        GateBlocked: ExitCode.DENIED,
        GateDenied: ExitCode.DENIED,
        GatePending: ExitCode.PENDING,
    }


def __getattr__(name: str) -> object:
    if name == "EXIT":
        return _exit_table()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def exit_code_for_class(cls: type[e.SluicegateError]) -> ExitCode:
    table = _exit_table()
    return next(table[c] for c in cls.__mro__ if c in table)


def _subclasses(cls: type[e.SluicegateError]) -> list[type[e.SluicegateError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_subclasses(sub))
    return found


def error_class(code: str) -> type[e.SluicegateError] | None:
    """The loaded error class whose ``code`` is ``code`` (a subclass wins over its parent)."""
    _exit_table()  # loads the gate errors, so that their codes are known
    by_code: dict[str, type[e.SluicegateError]] = {}
    for cls in _subclasses(e.SluicegateError):
        if cls is not e.SluicegateError:
            by_code[cls.code] = cls
    return by_code.get(code)


def exit_code_for(code: str) -> ExitCode:
    """The exit code of a problem ``code``; UNEXPECTED when no loaded class has that code."""
    cls = error_class(code)
    return ExitCode.UNEXPECTED if cls is None else exit_code_for_class(cls)
