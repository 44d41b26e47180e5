"""Errors raised by the evidence parsers."""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_BYTES", "EvidenceError"]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


class EvidenceError(ValueError):
    """An artifact could not be parsed as the evidence kind it claims to be."""

    def __init__(self, kind: str, reason: str) -> None:
        self.kind = kind
        self.reason = reason
        super().__init__(f"{kind}: {reason}")
