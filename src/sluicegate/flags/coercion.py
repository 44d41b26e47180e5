"""JsonLogic value semantics: truthiness, number/string coercion, loose equality and ordering.

The rules follow the JsonLogic reference as implemented by the Python library the flagd reference
evaluator builds on, so that both engines agree value for value.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "NAN",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "loose_equals",
    "to_number",
    "to_string",
    "truthy",
]

NAN = float("nan")
_NUMERIC = (int, float)
_INFINITIES = frozenset({"inf", "-inf", "+inf"})


def truthy(value: Any) -> bool:
    """JsonLogic truthiness (``!!``): empty strings, lists, zero, NaN and null are false."""
    if value is None:
        return False
    if value is True or value is False:
        return bool(value)
    if isinstance(value, float):
        return not math.isnan(value) and value != 0.0
    if isinstance(value, str | int | list):
        return bool(value)
    return True


def to_number(value: Any) -> float | int:  # noqa: PLR0911 - one return per JSON type keeps the table readable
    if isinstance(value, _NUMERIC):
        return value
    if value is None:
        return 0
    if isinstance(value, list):
        if not value:
            return 0
        if len(value) > 1:
            return NAN
        return to_number(value[0])
    if isinstance(value, str):
        if value.strip().lower() in _INFINITIES:
            return NAN
        try:
            return float(value)
        except ValueError:
            return NAN
    return NAN


def to_string(value: Any) -> str:  # noqa: PLR0911 - one return per JSON type keeps the table readable
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:.15g}"
    if isinstance(value, int):
        # bools are ints here, so they print as "True"/"False" exactly like the reference
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, list):
        return ",".join(to_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def loose_equals(a: Any, b: Any) -> bool:  # noqa: PLR0911 - one return per JSON type keeps the table readable
    """JsonLogic ``==`` (JavaScript-like abstract equality)."""
    a_type = type(a)
    if a_type is type(b):
        if a_type is list or a_type is dict:
            return a is b
        return bool(a == b)
    if isinstance(a, _NUMERIC):
        return bool(a == (b if isinstance(b, _NUMERIC) else to_number(b)))
    if isinstance(b, _NUMERIC):
        return bool(to_number(a) == b)
    if a is None or b is None:
        return False
    if isinstance(a, str):
        if isinstance(b, list | dict):
            return a == to_string(b)
        raise TypeError(f"cannot compare {a_type.__name__} with {type(b).__name__}")
    if isinstance(a, list | dict):
        if isinstance(b, list | dict):
            return False
        if isinstance(b, str):
            return to_string(a) == b
    raise TypeError(f"cannot compare {a_type.__name__} with {type(b).__name__}")


def less(a: Any, b: Any) -> bool:
    if isinstance(a, _NUMERIC):
        return bool(a < to_number(b))
    if isinstance(b, _NUMERIC):
        return bool(to_number(a) < b)
    if isinstance(a, str):
        return a < to_string(b)
    if isinstance(b, str):
        return to_string(a) < b
    return bool(to_number(a) < to_number(b))


def greater(a: Any, b: Any) -> bool:
    if isinstance(a, _NUMERIC):
        return bool(a > to_number(b))
    if isinstance(b, _NUMERIC):
        return bool(to_number(a) > b)
    if isinstance(a, str):
        return a > to_string(b)
    if isinstance(b, str):
        return to_string(a) > b
    return bool(to_number(a) > to_number(b))


def less_equal(a: Any, b: Any) -> bool:
    if isinstance(a, _NUMERIC):
        return bool(a <= to_number(b))
    if isinstance(b, _NUMERIC):
        return bool(to_number(a) <= b)
    if isinstance(a, str):
        return a <= to_string(b)
    if isinstance(b, str):
        return to_string(a) <= b
    return bool(to_number(a) <= to_number(b))


def greater_equal(a: Any, b: Any) -> bool:
    if isinstance(a, _NUMERIC):
        return bool(a >= to_number(b))
    if isinstance(b, _NUMERIC):
        return bool(to_number(a) >= b)
    if isinstance(a, str):
        return a >= to_string(b)
    if isinstance(b, str):
        return to_string(a) >= b
    return bool(to_number(a) >= to_number(b))
