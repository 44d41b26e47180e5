"""The outcome of one flag evaluation: value, variant, reason, error code and flag metadata."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

__all__ = ["EMPTY_METADATA", "ErrorCode", "Reason", "Resolution"]

EMPTY_METADATA: Mapping[str, Any] = MappingProxyType({})


class Reason(StrEnum):
    """OpenFeature resolution reasons used by flagd."""

    STATIC = "STATIC"
    TARGETING_MATCH = "TARGETING_MATCH"
    DEFAULT = "DEFAULT"
    DISABLED = "DISABLED"
    ERROR = "ERROR"


class ErrorCode(StrEnum):
    """OpenFeature error codes."""

    FLAG_NOT_FOUND = "FLAG_NOT_FOUND"
    PARSE_ERROR = "PARSE_ERROR"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    TARGETING_KEY_MISSING = "TARGETING_KEY_MISSING"
    INVALID_CONTEXT = "INVALID_CONTEXT"
    GENERAL = "GENERAL"


@dataclass(frozen=True, slots=True)
class Resolution:
    """A resolved flag.

    ``value`` and ``variant`` are ``None`` when the caller's default applies: a disabled flag, a
    flag whose ``defaultVariant`` is null and whose targeting did not match, or an error.
    """

    value: Any
    variant: str | None
    reason: Reason
    error_code: ErrorCode | None = None
    error_message: str | None = None
    flag_metadata: Mapping[str, Any] = field(default_factory=lambda: EMPTY_METADATA)

    @property
    def is_error(self) -> bool:
        return self.reason is Reason.ERROR
