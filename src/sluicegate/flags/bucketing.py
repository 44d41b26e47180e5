"""Bucketing algorithms for flagd's ``fractional`` operator.

* ``cbor`` (flagd "v3", the default): the bucketing value - the first argument, or the array
  ``[flagKey, targetingKey]`` - is number-normalised, encoded as deterministic CBOR and hashed
  with unsigned MurmurHash3 x86 32; ``bucket = (hash * totalWeight) >> 32`` over integer weights
  whose sum is at most 2**31 - 1.
* ``high-precision`` (flagd "v2"): the same integer mapping over the UTF-8 bytes of a string
  bucketing value (or ``flagKey + targetingKey``).
* ``legacy`` (flagd "v1"): ``abs(int32 hash) / (2**31 - 1) * 100`` compared against cumulative
  percentages ``100 * weight / totalWeight``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

import mmh3

from .cbor import encode_canonical, encode_text, normalize_numbers

__all__ = ["MAX_WEIGHT_SUM", "Bucketing", "Distribution", "parse_bucketing"]

MAX_WEIGHT_SUM = 2**31 - 1


class Bucketing(StrEnum):
    """Selectable ``fractional`` bucketing algorithms."""

    CBOR = "cbor"
    HIGH_PRECISION = "high-precision"
    LEGACY = "legacy"


_ALIASES = {
    "cbor": Bucketing.CBOR,
    "v3": Bucketing.CBOR,
    "high-precision": Bucketing.HIGH_PRECISION,
    "v2": Bucketing.HIGH_PRECISION,
    "legacy": Bucketing.LEGACY,
    "v1": Bucketing.LEGACY,
}


def parse_bucketing(name: str) -> Bucketing | None:
    return _ALIASES.get(name.strip().lower())


class Distribution:
    """Variants with integer weights, precomputed for one bucketing algorithm and flag."""

    __slots__ = ("_algorithm", "_ends", "_flag_prefix", "_flag_utf8", "_variants", "total")

    def __init__(
        self, algorithm: Bucketing, flag_key: str, variants: Sequence[Any], weights: Sequence[int]
    ) -> None:
        self._algorithm = algorithm
        self._variants = tuple(variants)
        self.total = sum(weights)
        ends: list[float] = []
        if algorithm is Bucketing.LEGACY:
            acc = 0.0
            for weight in weights:
                acc += weight * 100 / self.total if self.total else 0.0
                ends.append(acc)
        else:
            running = 0
            for weight in weights:
                running += weight
                ends.append(running)
        self._ends = tuple(ends)
        self._flag_prefix = b"\x82" + encode_text(flag_key)
        self._flag_utf8 = flag_key

    def _pick(self, hashed: int) -> Any:
        if self._algorithm is Bucketing.LEGACY:
            signed = hashed - (1 << 32) if hashed >= 1 << 31 else hashed
            position: float = abs(signed) / MAX_WEIGHT_SUM * 100
        else:
            position = (hashed * self.total) >> 32
        index = bisect_right(self._ends, position)
        return self._variants[index] if index < len(self._variants) else None

    def targeting_key_picker(self) -> Callable[[dict[str, Any]], Any]:
        """A flattened closure for the shorthand form over the root context (hot path)."""
        variants, ends, total, count = self._variants, self._ends, self.total, len(self._variants)
        murmur = mmh3.hash
        if self._algorithm is not Bucketing.CBOR:
            by_key = self.by_targeting_key
            return lambda data: by_key(data.get("targetingKey"))
        # prefix + CBOR text head for every short length, so one concatenation builds the key
        heads = tuple(self._flag_prefix + bytes((0x60 | n,)) for n in range(24))
        prefix = self._flag_prefix

        def pick_cbor(data: dict[str, Any]) -> Any:
            targeting_key = data.get("targetingKey")
            if type(targeting_key) is not str or not targeting_key:
                return None
            raw = targeting_key.encode()
            size = len(raw)
            key = heads[size] + raw if size < 24 else prefix + encode_text(targeting_key)
            index = bisect_right(ends, (murmur(key, 0, False) * total) >> 32)
            return variants[index] if index < count else None

        return pick_cbor

    def by_targeting_key(self, targeting_key: Any) -> Any:
        """Shorthand form: bucket by the flag key and the context's targeting key."""
        if type(targeting_key) is not str:
            return None
        if self._algorithm is Bucketing.CBOR:
            if not targeting_key:
                return None
            key = self._flag_prefix + encode_text(targeting_key)
        else:
            key = (self._flag_utf8 + targeting_key).encode()
        return self._pick(mmh3.hash(key, signed=False))

    def by_value(self, value: Any) -> Any:
        """Explicit form: bucket by the evaluated first argument."""
        if self._algorithm is Bucketing.CBOR:
            if value is None:
                return None
            if type(value) is str:
                key = encode_text(value)
            else:
                try:
                    key = encode_canonical(normalize_numbers(value))
                except (TypeError, ValueError):
                    return None
            return self._pick(mmh3.hash(key, signed=False))
        return self._pick(mmh3.hash(value.encode(), signed=False))


def parse_weights(
    buckets: Sequence[Any], algorithm: Bucketing
) -> tuple[list[Any], list[int]] | None:
    """Validate evaluated ``[variant, weight?]`` buckets at run time, as flagd does."""
    variants: list[Any] = []
    weights: list[int] = []
    for bucket in buckets:
        if not isinstance(bucket, list | tuple) or not bucket or len(bucket) > 2:
            return None
        weight = 1
        if len(bucket) == 2:
            raw = bucket[1]
            if isinstance(raw, bool) or not isinstance(raw, int):
                return None
            weight = max(0, raw)
        variants.append(bucket[0])
        weights.append(weight)
    total = sum(weights)
    if total <= 0 or (algorithm is not Bucketing.LEGACY and total > MAX_WEIGHT_SUM):
        return None
    return variants, weights


Picker = Callable[[Any], Any]
