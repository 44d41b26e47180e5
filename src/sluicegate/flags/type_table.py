"""Precomputed resolutions per variant and expected type, so evaluation allocates nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .resolution import ErrorCode, Reason, Resolution

__all__ = ["COMMON_TYPES", "TypeTable", "check_type"]

_OBJECT_TYPES = (dict, list, object)
COMMON_TYPES: tuple[Any, ...] = (None, bool, str, int, float, dict, list, object)


def check_type(value: Any, expected: Any) -> tuple[bool, Any]:  # noqa: PLR0911 - one return per JSON type keeps the table readable
    """Whether ``value`` fits ``expected`` (OpenFeature typed resolution), and the value to use."""
    if expected is None:
        return True, value
    if expected is bool:
        return isinstance(value, bool), value
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if expected is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if expected is str:
        return isinstance(value, str), value
    if expected in _OBJECT_TYPES or expected is Mapping:
        return isinstance(value, dict | list), value
    try:
        return isinstance(value, expected), value
    except TypeError:
        return False, value


def _type_name(expected: Any) -> str:
    return getattr(expected, "__name__", repr(expected))


class TypeTable:
    """Resolutions for one flag, built lazily for each expected type seen."""

    __slots__ = ("_metadata", "_reason", "_variant", "_variants", "defaults", "tables")

    def __init__(
        self,
        variants: Mapping[str, Any],
        default_variant: str | None,
        metadata: Mapping[str, Any],
        has_targeting: bool,
    ) -> None:
        self._variants = dict(variants)
        self._variant = default_variant
        self._metadata = metadata
        self._reason = Reason.DEFAULT if has_targeting else Reason.STATIC
        # Exposed so that hot paths can do one dict lookup instead of a method call.
        self.tables: dict[Any, dict[str, Resolution]] = {}
        self.defaults: dict[Any, Resolution] = {}
        for expected in COMMON_TYPES:
            self.default(expected)
            if has_targeting:
                self.matches(expected)

    def _resolution(self, variant: str, reason: Reason, expected: Any) -> Resolution:
        value = self._variants[variant]
        ok, value = check_type(value, expected)
        if not ok:
            message = f"flag value {value!r} is not of type {_type_name(expected)}"
            return Resolution(
                None, None, Reason.ERROR, ErrorCode.TYPE_MISMATCH, message, self._metadata
            )
        return Resolution(value, variant, reason, flag_metadata=self._metadata)

    def default(self, expected: Any) -> Resolution:
        try:
            return self.defaults[expected]
        except KeyError:
            pass
        if self._variant is None:
            resolution = Resolution(None, None, Reason.DEFAULT, flag_metadata=self._metadata)
        elif self._variant not in self._variants:  # as flagd: an error when the default applies
            message = f"default variant {self._variant!r} not in variants"
            resolution = Resolution(
                None, None, Reason.ERROR, ErrorCode.GENERAL, message, self._metadata
            )
        else:
            resolution = self._resolution(self._variant, self._reason, expected)
        self.defaults[expected] = resolution
        return resolution

    def matches(self, expected: Any) -> dict[str, Resolution]:
        try:
            return self.tables[expected]
        except KeyError:
            pass
        table = {
            name: self._resolution(name, Reason.TARGETING_MATCH, expected)
            for name in self._variants
        }
        self.tables[expected] = table
        return table
