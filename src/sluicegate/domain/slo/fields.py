"""Reading parsed YAML/JSON (dicts, lists, scalars) field by field, collecting every problem.

Each reader takes the value found at a dotted path (``spec.objectives[0].target``) and returns
it checked, or None after recording a :class:`~sluicegate.errors.FieldError` for that path. A
parser calls the readers for every field it knows and raises one error listing all problems at
the end, so that a user fixes a file in one pass. Nothing here raises on odd input: a list
where a mapping belongs, a number where a string belongs, a key that is not a string are all
problems to report, never a KeyError or a TypeError.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import NoReturn

from sluicegate.errors import FieldError

__all__ = [
    "ALERT_NAME",
    "ALERT_RULE",
    "LABEL_NAME",
    "NAME",
    "NAME_RULE",
    "SELECTOR",
    "Problems",
    "at",
    "kind_of",
]

#: A Prometheus label name (the classic charset: the rules we write must load everywhere).
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
#: A service or SLO name: letters, digits, ``.``, ``_``, ``-``; alphanumeric at both ends.
NAME = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9._-]{0,126}[a-zA-Z0-9])?")
NAME_RULE = "a name (letters, digits, '.', '_', '-'; alphanumeric at both ends; <= 128)"
#: An alert name, spelled like a metric name.
ALERT_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,199}")
ALERT_RULE = "an alert name ([a-zA-Z_][a-zA-Z0-9_]*)"
#: A bare series selector: ``name`` or ``name{matchers}`` (group 1: name, 2: matchers).
SELECTOR = re.compile(r"\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{([^{}]*)\})?\s*")


def at(path: str, key: str | int) -> str:
    """``path`` extended by a key (``spec.service``) or a list index (``objectives[0]``)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def kind_of(value: object) -> str:  # noqa: PLR0911 - one return per YAML type
    """What ``value`` is, in the words of YAML: a mapping, a list, a string, a number, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


class Problems:
    """The problems found so far; :meth:`raise_if_any` raises them all at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, path: str, reason: str) -> None:
        self.errors.append(FieldError(path, reason))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_now(self) -> NoReturn:
        from sluicegate.domain.slo.spec import SloSpecError

        raise SloSpecError(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            self.raise_now()

    # -- readers ---------------------------------------------------------------------------

    def mapping(
        self, value: object, path: str, *, required: bool = True
    ) -> Mapping[str, object] | None:
        """``value`` as a mapping with string keys; None (and a problem) otherwise."""
        if value is None:
            if required:
                self.add(path, "required")
            return None
        if not isinstance(value, Mapping):
            self.add(path, f"expected a mapping, not {kind_of(value)}")
            return None
        bad = [k for k in value if not isinstance(k, str)]
        for key in bad:
            self.add(at(path, str(key)), f"keys are strings, not {kind_of(key)}")
        return {k: v for k, v in value.items() if isinstance(k, str)}

    def sequence(self, value: object, path: str, *, required: bool = True) -> list[object] | None:
        if value is None:
            if required:
                self.add(path, "required")
            return None
        if not isinstance(value, list | tuple):
            self.add(path, f"expected a list, not {kind_of(value)}")
            return None
        return list(value)

    def string(
        self,
        value: object,
        path: str,
        *,
        required: bool = True,
        pattern: re.Pattern[str] | None = None,
        rule: str = "",
        max_length: int = 100_000,
    ) -> str | None:
        """A non-empty string (matching ``pattern`` in full, when given: ``rule`` says how)."""
        if value is None:
            if required:
                self.add(path, "required")
            return None
        if not isinstance(value, str):
            self.add(path, f"expected a string, not {kind_of(value)}")
            return None
        if not value.strip():
            self.add(path, "must not be empty")
            return None
        if len(value) > max_length:
            self.add(path, f"at most {max_length} characters")
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.add(path, f"{value[:80]!r} is not {rule}")
            return None
        return value

    def number(self, value: object, path: str, *, required: bool = True) -> float | None:
        """A finite number (a boolean is not one)."""
        if value is None:
            if required:
                self.add(path, "required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(path, f"expected a number, not {kind_of(value)}")
            return None
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            self.add(path, "must be a finite number")
            return None
        return number

    def boolean(self, value: object, path: str) -> bool | None:
        if value is None:
            return None
        if not isinstance(value, bool):
            self.add(path, f"expected true or false, not {kind_of(value)}")
            return None
        return value

    def unknown(self, mapping: Mapping[str, object], known: Iterable[str], path: str) -> None:
        """A problem for each key of ``mapping`` that is not in ``known`` (a typo, mostly)."""
        allowed = set(known)
        for key in mapping:
            if key not in allowed:
                self.add(
                    at(path, key), f"unknown field (expected one of {', '.join(sorted(allowed))})"
                )

    def strings(self, value: object, path: str) -> dict[str, str]:
        """A mapping of strings to strings (annotations); the bad entries are problems."""
        found = self.mapping(value, path, required=False)
        out: dict[str, str] = {}
        for key, item in (found or {}).items():
            if not isinstance(item, str):
                self.add(at(path, key), f"expected a string, not {kind_of(item)}")
            else:
                out[key] = item
        return out

    def labels(self, value: object, path: str, *, lists: bool = False) -> dict[str, str]:
        """Prometheus labels: names of the classic charset, string values.

        With ``lists`` (OpenSLO's ``metadata.labels``, whose values may be lists of strings)
        a list is joined with commas into one label value.
        """
        found = self.mapping(value, path, required=False)
        out: dict[str, str] = {}
        for key, item in (found or {}).items():
            where = at(path, key)
            if not LABEL_NAME.fullmatch(key):
                self.add(where, "not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)")
                continue
            if key.startswith("__") or key.startswith("sluicegate_"):
                self.add(where, "names starting with __ or sluicegate_ are reserved")
                continue
            if lists and isinstance(item, list | tuple):
                if all(isinstance(x, str) for x in item):
                    out[key] = ",".join(str(x) for x in item)
                else:
                    self.add(where, "expected a string or a list of strings")
                continue
            if not isinstance(item, str):
                self.add(where, f"expected a string, not {kind_of(item)}")
                continue
            out[key] = item
        return out
