"""Parsing request bodies that may be YAML or JSON, and the limits every parsed body is held to.

A parsed body is refused (naming the field) when it nests deeper than :data:`MAX_DEPTH`, expands
(through YAML aliases) to more than :data:`MAX_NODES` values, holds an integer of more than
:data:`MAX_INT_DIGITS` digits, or holds a string (or key) with a lone UTF-16 surrogate or a NUL
character: none of these can be stored, serialised or signed, and each once ended in a 500.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import yaml

from sluicegate.domain.errors import FieldError, InvalidInput, MalformedDocument

__all__ = [
    "JSON_TYPES",
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "MAX_NODES",
    "MAX_ROW_INT",
    "YAML_TYPES",
    "UnsupportedMediaType",
    "check_tree",
    "is_json",
    "loads_json",
    "media_type",
    "parse_document",
]

#: Deeper than any document Sluicegate reads (proposals, processes, flag sets are < 20).
MAX_DEPTH = 64
#: A float's range ends near 1.8e308; a longer integer is no number anyone means.
MAX_INT_DIGITS = 310

#: The largest version, revision or sequence number a request may name: PostgreSQL's INTEGER
#: (a bigger one could only be "not found", and would overflow the column's type on the way).
MAX_ROW_INT = 2**31 - 1
#: Values a document may expand to, counting each YAML alias use again.
MAX_NODES = 1_000_000

JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


class UnsupportedMediaType(MalformedDocument):
    """A body in a media type the endpoint does not read (415)."""

    code = "unsupported-media-type"
    default_hint = "Send application/json (or, where the endpoint says so, application/yaml)."


class _HugeInt(str):
    """An integer literal too long to convert; :func:`check_tree` refuses it with its path."""

    __slots__ = ()


def _parse_int(text: str) -> int | _HugeInt:
    digits = len(text) - (text[0] in "+-")
    return _HugeInt(text) if digits > MAX_INT_DIGITS else int(text)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def is_json(ctype: str) -> bool:
    """``application/json`` or any ``application/*+json``."""
    return ctype in JSON_TYPES or (ctype.startswith("application/") and ctype.endswith("+json"))


def _path(parts: tuple[str | int, ...], dotted: bool = False) -> str:
    """``a.b[0].c``, the documents' style; ``dotted`` gives ``a.b.0.c``, request validation's
    (pydantic-bodied endpoints name their fields that way)."""
    out = ""
    for part in parts:
        if isinstance(part, int) and not dotted:
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "body"


def _bad_string(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone UTF-16 surrogate (not valid Unicode)"
    return None


def _walk(doc: object) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, reason) of the first problem found; an iterative walk (no recursion)."""
    stack: list[tuple[object, tuple[str | int, ...]]] = [(doc, ())]
    seen = 0
    while stack:
        value, path = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            yield path, f"the document expands to more than {MAX_NODES} values"
            return
        if len(path) > MAX_DEPTH:
            yield path, f"nested more than {MAX_DEPTH} levels deep"
            return
        if isinstance(value, _HugeInt):
            yield path, f"an integer of more than {MAX_INT_DIGITS} digits"
            return
        if isinstance(value, float) and not math.isfinite(value):
            # 1e400 (JSON) and .inf/.nan (YAML) parse to floats no record can hold
            yield path, "a number out of range (not finite)"
            return
        if isinstance(value, str):
            reason = _bad_string(value)
            if reason:
                yield path, reason
                return
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and (reason := _bad_string(key)):
                    yield (*path, key), f"the key {reason}"
                    return
                stack.append((item, (*path, key if isinstance(key, str) else str(key))))
        elif isinstance(value, list | tuple):
            stack.extend((item, (*path, i)) for i, item in enumerate(value))


def check_tree(doc: object, *, dotted: bool = False) -> None:
    """Raise :class:`InvalidInput` naming the field if ``doc`` breaks one of the body limits
    (``dotted``: name list items ``a.0.b``, as request validation does)."""
    for path, reason in _walk(doc):
        where = _path(path, dotted)
        raise InvalidInput(f"{where}: {reason}", errors=[FieldError(where, reason)])


def loads_json(text: str | bytes) -> Any:
    """``json.loads`` with the body limits; :class:`MalformedDocument` or InvalidInput."""
    try:
        doc = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise MalformedDocument(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            errors=[FieldError("body", f"line {exc.lineno} column {exc.colno}: {exc.msg}")],
        ) from exc
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedDocument(
            f"the body is not valid JSON: {exc}", errors=[FieldError("body", str(exc))]
        ) from exc
    check_tree(doc)
    return doc


def _too_deep() -> MalformedDocument:
    return MalformedDocument(
        "the document is nested too deeply",
        errors=[FieldError("body", f"nested more than {MAX_DEPTH} levels deep")],
    )


class _Loader(yaml.SafeLoader):
    """The safe loader, with over-long integers left for :func:`check_tree` to name."""


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if sum(c.isdigit() for c in text) > MAX_INT_DIGITS:
        return _HugeInt(text)
    return loader.construct_yaml_int(node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def parse_document(raw: bytes, content_type: str | None) -> object:
    """Parse JSON or YAML; the content type decides, and YAML (a JSON superset) is the fallback
    for a body sent without one. Any other media type is refused with 415."""
    ctype = media_type(content_type)
    if ctype and not is_json(ctype) and ctype not in YAML_TYPES:
        raise UnsupportedMediaType(
            f"unsupported content type {ctype!r}",
            errors=[FieldError("content-type", "use application/json or application/yaml")],
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedDocument(
            "the body is not UTF-8", errors=[FieldError("body", str(exc))]
        ) from exc
    if not text.strip():
        raise MalformedDocument("the body is empty", errors=[FieldError("body", "empty")])
    if is_json(ctype):
        return loads_json(text)
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise _too_deep() from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc)
        raise MalformedDocument(
            f"malformed YAML at {where}: {problem}",
            errors=[FieldError("body", f"{where}: {problem}")],
        ) from exc
    except ValueError as exc:  # a constructor's conversion (a timestamp out of range...)
        raise MalformedDocument(
            f"the YAML holds a value that cannot be read: {exc}",
            errors=[FieldError("body", str(exc))],
        ) from exc
    check_tree(doc)
    return doc
