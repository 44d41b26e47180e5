"""Semantic versions for the flagd ``sem_ver`` operator (SemVer 2.0.0 precedence).

Inputs are stringified, a leading ``v``/``V`` is dropped and partial versions are padded
(``1`` -> ``1.0.0``), as flagd does; build metadata never affects precedence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["SEMVER_OPERATORS", "Version", "parse_version"]

_IDENT = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
_PATTERN = re.compile(
    rf"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    rf"(?:-({_IDENT}(?:\.{_IDENT})*))?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?\Z",
    re.ASCII,
)
_CACHE_LIMIT = 4096

# A version is (major, minor, patch, release_rank, prerelease key); release_rank is 1 for a
# release so that it sorts above any pre-release of the same core version.
Version = tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]

_cache: dict[str, Version | None] = {}


def _prerelease_key(identifier: str) -> tuple[int, int, str]:
    if identifier.isdigit():
        normalized = identifier.lstrip("0") or "0"
        return (0, len(normalized), normalized)
    return (1, 0, identifier)


def _parse(text: str) -> Version | None:
    if text[:1] in ("v", "V"):
        text = text[1:]
    numeric = text.split("-", 1)[0].split("+", 1)[0]
    dots = numeric.count(".")
    if dots < 2:
        text = numeric + ".0" * (2 - dots) + text[len(numeric) :]
    match = _PATTERN.match(text)
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    if pre is None:
        return (int(major), int(minor), int(patch), 1, ())
    key = tuple(_prerelease_key(part) for part in pre.split("."))
    return (int(major), int(minor), int(patch), 0, key)


def parse_version(value: Any) -> Version | None:
    """Parse ``str(value)`` leniently; ``None`` when it is not a semantic version."""
    text = value if type(value) is str else str(value)
    try:
        return _cache[text]
    except KeyError:
        pass
    parsed = _parse(text)
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[text] = parsed
    return parsed


SEMVER_OPERATORS: dict[str, Callable[[Version, Version], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "^": lambda a, b: a[0] == b[0],
    "~": lambda a, b: a[0] == b[0] and a[1] == b[1],
}
