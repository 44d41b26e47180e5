"""Deterministic CBOR (RFC 8949 section 4.2.1) encoding of JSON-like values for bucketing.

flagd's hashing-consistency ADR hashes the canonical CBOR bytes of the bucketing value, after
normalising integral floats in the signed/unsigned 64-bit range to integers.
"""

from __future__ import annotations

import math
import struct
from datetime import datetime
from typing import Any

__all__ = ["encode_canonical", "encode_text", "normalize_numbers"]

_HALF = struct.Struct(">e")
_SINGLE = struct.Struct(">f")
_DOUBLE = struct.Struct(">d")
_INT64_MIN = -(2**63)
_UINT64_MAX = 2**64 - 1


_FLOAT64_EXACT = 2**53


def normalize_numbers(value: Any) -> Any:
    """Integral floats within ``[-2**63, 2**64-1]`` become ints, recursively.

    flagd's Go server reads every JSON number as a float64, so an integer beyond 2**53 (such as
    the ``100000000000000000000`` JavaScript writes for ``1e20``) is first rounded to the float64
    it would read: ``2**53 + 1`` hashes as ``2**53`` and ``10**20`` as the float ``1e20``. An
    integer too large for a float64 cannot be hashed (``ValueError``): no bucket, the default.
    """
    if type(value) is int and not -_FLOAT64_EXACT <= value <= _FLOAT64_EXACT:
        try:
            value = float(value)
        except OverflowError as exc:
            raise ValueError("number out of float64 range") from exc
    if isinstance(value, float):
        if value.is_integer() and _INT64_MIN <= value <= _UINT64_MAX:
            return int(value)
        return value
    if isinstance(value, dict):
        return {k: normalize_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalize_numbers(v) for v in value]
    return value


def _head(major: int, argument: int) -> bytes:
    major <<= 5
    if argument < 24:
        return bytes((major | argument,))
    if argument < 0x100:
        return bytes((major | 24, argument))
    if argument < 0x10000:
        return bytes((major | 25,)) + argument.to_bytes(2, "big")
    if argument < 0x100000000:
        return bytes((major | 26,)) + argument.to_bytes(4, "big")
    return bytes((major | 27,)) + argument.to_bytes(8, "big")


def encode_text(text: str) -> bytes:
    raw = text.encode("utf-8")
    return _head(3, len(raw)) + raw


def _encode_int(value: int) -> bytes:
    if 0 <= value <= _UINT64_MAX:
        return _head(0, value)
    if -(2**64) <= value < 0:
        return _head(1, -1 - value)
    # Bignums: tag 2 (positive) / tag 3 (negative) over the big-endian magnitude.
    tag, magnitude = (2, value) if value > 0 else (3, -1 - value)
    raw = magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "big")
    return _head(6, tag) + _head(2, len(raw)) + raw


def _encode_float(value: float) -> bytes:
    if math.isnan(value):
        return b"\xf9\x7e\x00"
    if math.isinf(value):
        return b"\xf9\x7c\x00" if value > 0 else b"\xf9\xfc\x00"
    try:
        half = _HALF.pack(value)
        if _HALF.unpack(half)[0] == value:
            return b"\xf9" + half
    except OverflowError:
        pass
    try:
        single = _SINGLE.pack(value)
        if _SINGLE.unpack(single)[0] == value:
            return b"\xfa" + single
    except OverflowError:
        pass
    return b"\xfb" + _DOUBLE.pack(value)


def encode_canonical(value: Any) -> bytes:  # noqa: PLR0911 - one return per JSON type keeps the table readable
    """Encode ``value`` (already number-normalised) to deterministic CBOR bytes."""
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, str):
        return encode_text(value)
    if isinstance(value, int):
        return _encode_int(value)
    if isinstance(value, float):
        return _encode_float(value)
    if isinstance(value, list | tuple):
        return _head(4, len(value)) + b"".join(encode_canonical(v) for v in value)
    if isinstance(value, dict):
        items = sorted((encode_canonical(k), encode_canonical(v)) for k, v in value.items())
        return _head(5, len(items)) + b"".join(k + v for k, v in items)
    if isinstance(value, datetime):
        stamp = value.timestamp()
        body = _encode_int(int(stamp)) if stamp.is_integer() else _encode_float(stamp)
        return _head(6, 1) + body
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")
