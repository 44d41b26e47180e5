"""Mapping from the engine's ``Resolution`` to OpenFeature's ``FlagResolutionDetails``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, Reason

if TYPE_CHECKING:
    from sluicegate.flags import Resolution

__all__ = ["error_details", "to_details"]

_REASONS: Final[Mapping[str, Reason]] = {reason.value: reason for reason in Reason}
_ERROR_CODES: Final[Mapping[str, ErrorCode]] = {code.value: code for code in ErrorCode}
_NO_METADATA: Final[Mapping[str, bool | int | float | str]] = {}
_TYPE_NAMES: Final[Mapping[type, str]] = {
    bool: "boolean",
    str: "string",
    int: "integer",
    float: "float",
    object: "object",
}


def error_details(default: Any, code: ErrorCode, message: str | None) -> FlagResolutionDetails[Any]:
    return FlagResolutionDetails(
        value=default, reason=Reason.ERROR, error_code=code, error_message=message
    )


def _conforms(value: Any, kind: type) -> bool:
    if kind is object:
        return isinstance(value, dict | list)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def to_details(
    resolution: Resolution, default: Any, kind: type, flag_key: str
) -> FlagResolutionDetails[Any]:
    """Translate one engine result; errors and type mismatches carry the caller's default."""
    metadata = resolution.flag_metadata or _NO_METADATA
    code = resolution.error_code
    if code is not None:
        return FlagResolutionDetails(
            value=default,
            reason=Reason.ERROR,
            error_code=_ERROR_CODES.get(code, ErrorCode.GENERAL),
            error_message=resolution.error_message,
            flag_metadata=metadata,
        )
    reason = _REASONS.get(resolution.reason, Reason.UNKNOWN)
    value = resolution.value
    if value is None:
        # A disabled flag, or one without a default variant: the caller's default stands.
        return FlagResolutionDetails(value=default, reason=reason, flag_metadata=metadata)
    if not _conforms(value, kind):
        if kind is float and type(value) is int:
            value = float(value)
        else:
            return FlagResolutionDetails(
                value=default,
                reason=Reason.ERROR,
                error_code=ErrorCode.TYPE_MISMATCH,
                error_message=(
                    f"flag {flag_key!r} is not a {_TYPE_NAMES.get(kind, kind.__name__)} flag "
                    f"(resolved a {type(value).__name__})"
                ),
                flag_metadata=metadata,
            )
    return FlagResolutionDetails(
        value=value, reason=reason, variant=resolution.variant, flag_metadata=metadata
    )
