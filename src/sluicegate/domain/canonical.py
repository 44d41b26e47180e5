"""Canonical JSON in the style of RFC 8785 (JCS), used for every hashed or signed document.

Keys are sorted, there is no insignificant white space, strings are UTF-8 with only the escapes JSON
requires, and numbers use the shortest round-trip form with integral floats written as integers.
Differences from RFC 8785 proper (documented in docs/adr/0002-audit-ledger-format.md): keys are
sorted by code point rather than UTF-16 code unit, which differs only for keys mixing characters
above U+FFFF with U+E000..U+FFFF; exponents follow Python's ``repr`` for floats outside 1e-7..1e21.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from json import encoder as _json_encoder
from typing import Any

__all__ = ["canonical_json", "normalize"]

# The C encoder called directly: json.dumps adds microseconds of Python overhead per call, and
# the audit ledger canonicalises two documents per event on its hot path.
_make: Callable[..., Callable[[Any, int], list[str]]] | None = getattr(
    _json_encoder, "c_make_encoder", None
)
if _make is None:  # pragma: no cover - CPython always ships the C accelerator
    raise ImportError("canonical JSON needs CPython's _json accelerator")
_encode = _make(None, None, _json_encoder.encode_basestring, None, ":", ",", True, False, False)


def normalize(value: Any) -> Any:
    """Return ``value`` with integral floats turned into ints, recursively (JCS number form)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("canonical JSON has no NaN or Infinity")
        if value.is_integer() and abs(value) < 1e21:
            return int(value)
        return value
    if isinstance(value, dict):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalize(v) for v in value]
    return value


_SCALARS = frozenset({str, int, bool, type(None)})


def _has_float(value: Any) -> bool:
    # Explicit loops (not any() over a generator): this runs twice per audit event.
    kind = type(value)
    if kind in _SCALARS:
        return False
    if kind is dict:
        for item in value.values():  # noqa: SIM110
            if type(item) not in _SCALARS and _has_float(item):
                return True
        return False
    if kind is list or kind is tuple:
        for item in value:  # noqa: SIM110
            if type(item) not in _SCALARS and _has_float(item):
                return True
        return False
    return isinstance(value, float)


def _floats_normalized(value: Any) -> Any:
    """Like :func:`normalize`, but containers without floats are returned as they are (only the
    paths down to a float are copied), which is most of a gate input or an audit document."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        out: dict[str, Any] | None = None
        for key, item in value.items():
            if type(item) in _SCALARS:
                continue
            fixed = _floats_normalized(item)
            if fixed is not item:
                if out is None:
                    out = {str(k): v for k, v in value.items()}
                out[str(key)] = fixed
        return value if out is None else out
    if kind is list or kind is tuple:
        items = [_floats_normalized(item) for item in value]
        if kind is list and all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return items
    return normalize(value)


def canonical_json(value: Any) -> str:
    if value is None:
        return "null"
    if _has_float(value):
        value = _floats_normalized(value)
    return "".join(_encode(value, 0))
