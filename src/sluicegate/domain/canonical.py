"""Canonical JSON in the style of RFC 8785 (JCS), used for every hashed or signed document.

Keys are sorted, there is no insignificant white space, strings are UTF-8 with only the escapes JSON
requires, and numbers use the shortest round-trip form with integral floats written as integers.
Differences from RFC 8785 proper (documented in docs/adr/0002-audit-ledger-format.md): keys are
sorted by code point rather than UTF-16 code unit, which differs only for keys mixing characters
above U+FFFF with U+E000..U+FFFF; exponents follow Python's ``repr`` for floats outside 1e-7..1e21.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["canonical_json", "normalize"]

_encoder = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
)


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


def canonical_json(value: Any) -> str:
    return _encoder.encode(normalize(value))
