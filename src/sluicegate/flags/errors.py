"""Problems in flag definitions: the error that stops compiling, and findings that do not.

flagd loads a flag set whose rules have problems and turns each problem into an evaluation-time
error or default. The engine does the same; every problem it meets while compiling is also
recorded as a :class:`Finding` with its JSON pointer, so that a write path can warn about it or
refuse it (``check_flag_set``). Only a document that cannot be loaded at all raises
:class:`FlagDefinitionError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sluicegate.errors import InvalidInput

__all__ = ["Finding", "FlagDefinitionError", "InvalidRule", "pointer"]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """Build an RFC 6901 JSON pointer from reference tokens."""
    return "".join("/" + _escape(str(token)) for token in tokens)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a flag set definition.

    ``fatal`` findings stop the set from loading at all (flagd refuses such documents too).
    The others load: ``effect`` says what evaluation does, as flagd does (``PARSE_ERROR``,
    ``GENERAL``, ``DEFAULT``, ...).
    """

    pointer: str
    reason: str
    effect: str
    fatal: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "pointer": self.pointer,
            "reason": self.reason,
            "effect": self.effect,
            "fatal": self.fatal,
        }


class FlagDefinitionError(InvalidInput, ValueError):
    """A flag set definition cannot be loaded; ``pointer`` locates the (first) offending value.

    ``findings`` lists every fatal problem found, each with its pointer.
    """

    code = "invalid-flag-definition"

    def __init__(self, pointer: str, reason: str, findings: tuple[Finding, ...] = ()) -> None:
        super().__init__(f"{pointer or '/'}: {reason}")
        self.pointer = pointer
        self.reason = reason
        self.findings = findings or (Finding(pointer, reason, "not loaded", fatal=True),)


class InvalidRule(Exception):
    """Raised at evaluation by a rule flagd cannot parse (unknown operator, missing ``$ref``)."""
