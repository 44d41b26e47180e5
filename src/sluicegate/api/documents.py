"""Parsing request bodies that may be YAML or JSON (proposals, risk matrices)."""

from __future__ import annotations

import json

import yaml

from sluicegate.domain.errors import FieldError, MalformedDocument

__all__ = ["parse_document"]

_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


def parse_document(raw: bytes, content_type: str | None) -> object:
    """Parse JSON or YAML; the content type decides, and YAML (a JSON superset) is the fallback."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedDocument(
            "the body is not UTF-8", errors=[FieldError("body", str(exc))]
        ) from exc
    if not text.strip():
        raise MalformedDocument("the body is empty", errors=[FieldError("body", "empty")])
    if ctype == "application/json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise MalformedDocument(
                f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                errors=[FieldError("body", f"line {exc.lineno} column {exc.colno}: {exc.msg}")],
            ) from exc
    if ctype and ctype not in _YAML_TYPES and not ctype.startswith("text/"):
        raise MalformedDocument(
            f"unsupported content type {ctype!r}",
            errors=[FieldError("content-type", "use application/json or application/yaml")],
        )
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc)
        raise MalformedDocument(
            f"malformed YAML at {where}: {problem}",
            errors=[FieldError("body", f"{where}: {problem}")],
        ) from exc
