"""The error raised for a flag definition that cannot be compiled."""

from __future__ import annotations

from sluicegate.errors import InvalidInput

__all__ = ["FlagDefinitionError", "pointer"]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """Build an RFC 6901 JSON pointer from reference tokens."""
    return "".join("/" + _escape(str(token)) for token in tokens)


class FlagDefinitionError(InvalidInput, ValueError):
    """A flag set definition is invalid; ``pointer`` locates the offending JSON value."""

    code = "invalid-flag-definition"

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer or '/'}: {reason}")
        self.pointer = pointer
        self.reason = reason
