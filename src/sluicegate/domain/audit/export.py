"""Reading ``sluice audit export`` lines back: each line is checked for shape before it is hashed.

A line with a missing, renamed or mistyped field is not an input error of the verifier: it is a
record that does not verify. :func:`parse_line` raises :class:`MalformedRecord` naming the line,
the sequence number (when it can be read) and the field, and the verifier reports it as a
verification failure at that sequence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sluicegate.domain.audit.chain import Checkpoint, EventRow
from sluicegate.domain.canonical import canonical_json

__all__ = ["KEY_FIELDS", "MalformedRecord", "Parsed", "parse_line"]

_HEX64 = frozenset("0123456789abcdef")

# field -> (accepted types, may be null)
_EVENT_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "seq": ((int,), False),
    "ts": ((str,), False),
    "actor": ((str,), False),
    "action": ((str,), False),
    "entity_type": ((str,), False),
    "entity_id": ((str,), False),
    "before": ((object,), True),
    "after": ((object,), True),
    "reason": ((str,), True),
    "request_id": ((str,), True),
    "prev_hash": ((str,), False),
    "hash": ((str,), False),
}
_CHECKPOINT_FIELDS: dict[str, tuple[type, ...]] = {
    "tree_size": (int,),
    "root": (str,),
    "last_hash": (str,),
    "ts": (str,),
    "key_id": (str,),
    "signature": (str,),
}
#: the fields of a ``{"key": ...}`` line: a registered checkpoint key and its endorsement
KEY_FIELDS = ("key_id", "public_key", "endorsed_by", "statement", "signature")


class MalformedRecord(ValueError):
    def __init__(self, line: int, seq: int | None, message: str) -> None:
        where = f"line {line}" + (f" (event {seq})" if seq is not None else "")
        super().__init__(f"{where}: {message}")
        self.line = line
        self.seq = seq


@dataclass(frozen=True, slots=True)
class Parsed:
    event: EventRow | None = None
    checkpoint: Checkpoint | None = None
    key: dict[str, str | None] | None = None


def _is(value: object, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):  # JSON true/false is not a number here
        return object in types
    return isinstance(value, types)


def parse_line(text: str, line: int) -> Parsed:
    """One export line: an event, ``{"checkpoint": ...}`` or ``{"key": ...}``."""
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise MalformedRecord(line, None, f"not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise MalformedRecord(line, None, "not a JSON object")
    if "checkpoint" in doc:
        return Parsed(checkpoint=_checkpoint(doc["checkpoint"], line))
    if "key" in doc:
        return Parsed(key=_key(doc["key"], line))
    raw_seq = doc.get("seq")
    seq = raw_seq if isinstance(raw_seq, int) and not isinstance(raw_seq, bool) else None
    for name, (types, nullable) in _EVENT_FIELDS.items():
        if name not in doc:
            raise MalformedRecord(line, seq, f"field {name!r} is missing")
        value = doc[name]
        if value is None and nullable:
            continue
        if not _is(value, types):
            raise MalformedRecord(
                line, seq, f"field {name!r} must be {' or '.join(t.__name__ for t in types)}"
            )
    extra = sorted(set(doc) - set(_EVENT_FIELDS))
    if extra:
        raise MalformedRecord(line, seq, f"unknown field {extra[0]!r}")
    for name in ("prev_hash", "hash"):
        if len(doc[name]) != 64 or not set(doc[name]) <= _HEX64:
            raise MalformedRecord(line, seq, f"field {name!r} must be 64 lowercase hex digits")
    try:
        before, after = canonical_json(doc["before"]), canonical_json(doc["after"])
    except (TypeError, ValueError) as exc:
        raise MalformedRecord(line, seq, f"before/after cannot be canonicalised: {exc}") from None
    return Parsed(
        event=(
            doc["seq"],
            doc["ts"],
            doc["actor"],
            doc["action"],
            doc["entity_type"],
            doc["entity_id"],
            before,
            after,
            doc["reason"],
            doc["request_id"],
            doc["prev_hash"],
            doc["hash"],
        )
    )


def _checkpoint(value: Any, line: int) -> Checkpoint:
    if not isinstance(value, dict):
        raise MalformedRecord(line, None, "field 'checkpoint' must be an object")
    size = value.get("tree_size")
    seq = size if isinstance(size, int) and not isinstance(size, bool) else None
    for name, types in _CHECKPOINT_FIELDS.items():
        if name not in value:
            raise MalformedRecord(line, seq, f"checkpoint field {name!r} is missing")
        if not _is(value[name], types):
            raise MalformedRecord(line, seq, f"checkpoint field {name!r} has the wrong type")
    return Checkpoint(**{name: value[name] for name in _CHECKPOINT_FIELDS})


def _key(value: Any, line: int) -> dict[str, str | None]:
    if not isinstance(value, dict):
        raise MalformedRecord(line, None, "field 'key' must be an object")
    out: dict[str, str | None] = {}
    for name in KEY_FIELDS:
        item = value.get(name)
        if name in ("key_id", "public_key") and not isinstance(item, str):
            raise MalformedRecord(line, None, f"key field {name!r} must be a string")
        if item is not None and not isinstance(item, str):
            raise MalformedRecord(line, None, f"key field {name!r} must be a string or null")
        out[name] = item
    return out
