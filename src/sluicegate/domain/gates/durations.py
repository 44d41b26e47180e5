"""Durations in process definitions: ``90s``, ``30m``, ``12h``, ``7d``, ``2w`` or ``1d12h``."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["format_duration", "parse_duration", "seconds_to_timedelta"]

_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"^(?:\d+[smhdw])+$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


#: A hundred years: longer is a mistake, not a duration (and would overflow a datetime).
_MAX_SECONDS = int(timedelta(days=36_525).total_seconds())


def parse_duration(text: object) -> timedelta:
    """Parse a duration; raise ValueError naming the accepted forms."""
    if not isinstance(text, str) or _WHOLE.fullmatch(text.strip()) is None:
        raise ValueError(f"{text!r} is not a duration such as 30m, 12h, 7d, 2w or 1d12h")
    seconds = sum(int(n) * _SECONDS[unit] for n, unit in _PART.findall(text))
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return seconds_to_timedelta(seconds, text)


def seconds_to_timedelta(seconds: int, text: object = None) -> timedelta:
    """``timedelta(seconds=...)``, with a ValueError (not an OverflowError) past its range."""
    if seconds > _MAX_SECONDS:
        raise ValueError(f"{text if text is not None else seconds!r} is too long a duration")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    parts: list[str] = []
    for unit in ("w", "d", "h", "m", "s"):
        size = _SECONDS[unit]
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
