"""The one JSON encoding of document columns (Text columns that hold JSON)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dump_json"]


def dump_json(value: Any, *, ascii_only: bool = False) -> str:
    """Compact JSON with sorted keys, so equal documents store equal text.

    ``ascii_only`` escapes non-ASCII characters (``\\u00e9``). The gate tables have always been
    written that way and keep it, so that a row written today is byte-identical to the same row
    written before (stored decision inputs and bundles are replayed as stored); every other
    table stores UTF-8 text as is.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)
