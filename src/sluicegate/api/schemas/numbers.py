"""Body numbers, booleans and times as JSON Schema reads them, stricter than Pydantic's lax mode.

JSON Schema's ``integer`` takes ``3`` and ``3.0`` but never ``true``; its ``boolean`` takes
only ``true`` and ``false``; a ``date-time`` is a string. Pydantic's lax mode also reads
``true`` as 1, ``0`` as false and ``0`` as 1970-01-01, so requests the published schema
refuses were accepted (schemathesis ST201). Request bodies use these instead. A constrained
integer puts :data:`NotBoolean` after its ``Field`` so that the bounds stay in the schema:
``Annotated[int, Field(ge=1), NotBoolean]``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, StrictBool

__all__ = ["JsonAwareDatetime", "JsonBool", "JsonDatetime", "JsonInt", "NotBoolean"]


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    return value


def _a_string(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time string")
    return value


NotBoolean = BeforeValidator(_not_a_boolean)

#: An integer: ``3`` or ``3.0``, not ``true`` nor ``3.5``.
JsonInt = Annotated[int, NotBoolean]

#: ``true`` or ``false`` only.
JsonBool = StrictBool

#: An RFC 3339 string with a time zone; a number is not a time.
JsonAwareDatetime = Annotated[AwareDatetime, BeforeValidator(_a_string)]

#: An RFC 3339 string (the service decides what a missing time zone means).
JsonDatetime = Annotated[datetime, BeforeValidator(_a_string)]
