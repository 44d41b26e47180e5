"""Exit codes: one enum, and the one table that maps error classes to them.

Like ``sluicegate.api.problems.STATUS`` for HTTP, :data:`EXIT` maps error classes and a class
inherits its parent's entry. Errors raised in the CLI process map by class; problem+json bodies
from the server carry a ``code``, which maps to its class through :func:`error_class` (derived
from the classes' own ``code`` attributes, nothing restated here). A code no class here defines
(``payload-too-large``, or a class whose module needs the server extra) falls back on the HTTP
status in the client.
"""

from __future__ import annotations

from enum import IntEnum

from sluicegate.domain import errors as e
from sluicegate.domain.gates.errors import GateBlocked, GateDenied, GatePending

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


#: Error class -> exit code. The first class of an error's MRO that is listed wins.
EXIT: dict[type[e.SluicegateError], ExitCode] = {
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


def exit_code_for_class(cls: type[e.SluicegateError]) -> ExitCode:
    return next(EXIT[c] for c in cls.__mro__ if c in EXIT)


def _subclasses(cls: type[e.SluicegateError]) -> list[type[e.SluicegateError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_subclasses(sub))
    return found


def error_class(code: str) -> type[e.SluicegateError] | None:
    """The loaded error class whose ``code`` is ``code`` (a subclass wins over its parent)."""
    by_code: dict[str, type[e.SluicegateError]] = {}
    for cls in _subclasses(e.SluicegateError):
        if cls is not e.SluicegateError:
            by_code[cls.code] = cls
    return by_code.get(code)


def exit_code_for(code: str) -> ExitCode:
    """The exit code of a problem ``code``; UNEXPECTED when no loaded class has that code."""
    cls = error_class(code)
    return ExitCode.UNEXPECTED if cls is None else exit_code_for_class(cls)
