"""Body numbers and booleans as JSON Schema reads them, which is stricter than Pydantic's lax mode.

JSON Schema's ``integer`` takes ``3`` and ``3.0`` but never ``true``; its ``boolean`` takes
only ``true`` and ``false``. Pydantic's lax mode also reads ``true`` as 1 and ``0`` as false,
so a request the published schema refuses was accepted (schemathesis ST201). Request bodies
use these instead.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, StrictBool

__all__ = ["JsonBool", "JsonInt"]


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    return value


#: An integer: ``3`` or ``3.0``, not ``true`` nor ``3.5``.
JsonInt = Annotated[int, BeforeValidator(_not_a_boolean)]

#: ``true`` or ``false`` only.
JsonBool = StrictBool
