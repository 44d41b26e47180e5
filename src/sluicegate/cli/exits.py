"""Exit codes: one enum, and the one table that maps error codes to them."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode", "exit_code_for"]


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


_BY_CODE = {
    "invalid-input": ExitCode.USAGE,
    "malformed-document": ExitCode.USAGE,
    "missing-rollback-plan": ExitCode.USAGE,
    "missing-risk-assessment": ExitCode.USAGE,
    "invalid-risk-matrix": ExitCode.USAGE,
    "payload-too-large": ExitCode.USAGE,
    "not-found": ExitCode.NOT_FOUND,
    "conflict": ExitCode.CONFLICT,
    "invalid-transition": ExitCode.DENIED,
    "approvals-missing": ExitCode.DENIED,
    "self-approval": ExitCode.DENIED,
    "forbidden": ExitCode.DENIED,
    "unauthenticated": ExitCode.DENIED,
    "audit-verification-failed": ExitCode.DENIED,
    "gate-blocked": ExitCode.DENIED,
    "gate-pending": ExitCode.PENDING,
}


def exit_code_for(code: str) -> ExitCode:
    return _BY_CODE.get(code, ExitCode.UNEXPECTED)
