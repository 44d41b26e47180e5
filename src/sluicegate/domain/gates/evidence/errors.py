"""Errors raised by the evidence parsers."""

from __future__ import annotations

from sluicegate.domain.errors import InvalidInput

__all__ = ["DEFAULT_MAX_BYTES", "EvidenceError"]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


class EvidenceError(InvalidInput, ValueError):
    """An artifact could not be parsed as the evidence kind it claims to be."""

    code = "unparseable-evidence"

    def __init__(self, kind: str, reason: str) -> None:
        self.kind = kind
        self.reason = reason
        super().__init__(f"{kind}: {reason}")
