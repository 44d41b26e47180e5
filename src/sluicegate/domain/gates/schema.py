"""The published process JSON Schema and a small validator for the subset of it we use.

The schema lives in ``sluicegate/resources/process.schema.json`` (editors and CI can use it
directly). There is no jsonschema dependency: :func:`validate` understands the keywords that
file uses (``$ref`` to ``#/$defs``, ``type``, ``const``, ``enum``, ``required``, ``properties``,
``additionalProperties``, ``propertyNames``, ``items``, ``uniqueItems``, ``pattern``,
``minLength``, ``minItems``, ``minimum``, ``maximum``) and reports each violation with the path
of the offending value, which :class:`~sluicegate.domain.gates.source.MarkedDocument` turns
into a line and column. The schema file is package data read once, lazily; no other I/O
happens here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from sluicegate.domain.gates.source import Path

__all__ = ["SchemaViolation", "process_schema", "validate"]

_TYPES: Mapping[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
    "integer": (int,),
    "number": (int, float),
}


@dataclass(frozen=True, slots=True)
class SchemaViolation:
    """``at_key`` marks violations about a mapping key (unknown property, bad name)."""

    path: Path
    reason: str
    at_key: bool = False


@cache
def process_schema() -> Mapping[str, Any]:
    """The published process schema (package data, parsed once)."""
    text = resources.files("sluicegate").joinpath("resources/process.schema.json").read_text()
    schema: Mapping[str, Any] = json.loads(text)
    return schema


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def _describe(value: Any) -> str:
    for name in ("boolean", "integer", "number", "string", "array", "object", "null"):
        if _is_type(value, name):
            return name
    return type(value).__name__


class _Validator:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.out: list[SchemaViolation] = []

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            ref = str(schema["$ref"])
            if not ref.startswith("#/"):
                raise ValueError(f"only local $ref is supported, got {ref!r}")
            node: Any = self.root
            for part in ref[2:].split("/"):
                node = node[part]
            schema = node
        return schema

    def check(self, value: Any, schema: Mapping[str, Any], path: Path) -> None:
        schema = self.resolve(schema)
        if "const" in schema and value != schema["const"]:
            self.fail(path, f"must be {json.dumps(schema['const'])}")
            return
        if "enum" in schema and value not in schema["enum"]:
            allowed = ", ".join(json.dumps(v) for v in schema["enum"])
            self.fail(path, f"{json.dumps(value, default=str)} is not one of {allowed}")
            return
        expected = schema.get("type")
        if expected is not None:
            names = [expected] if isinstance(expected, str) else list(expected)
            if not any(_is_type(value, n) for n in names):
                self.fail(path, f"expected {' or '.join(names)}, got {_describe(value)}")
                return
        if isinstance(value, str):
            self.string(value, schema, path)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                self.fail(path, f"must be >= {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                self.fail(path, f"must be <= {schema['maximum']}")
        elif isinstance(value, list):
            self.array(value, schema, path)
        elif isinstance(value, dict):
            self.object(value, schema, path)

    def string(self, value: str, schema: Mapping[str, Any], path: Path) -> None:
        if len(value) < schema.get("minLength", 0):
            self.fail(path, "must not be empty")
        pattern = schema.get("pattern")
        if pattern is not None and re.search(pattern, value) is None:
            self.fail(path, f"{value!r} does not match {pattern}")

    def array(self, value: list[Any], schema: Mapping[str, Any], path: Path) -> None:
        if len(value) < schema.get("minItems", 0):
            self.fail(path, f"needs at least {schema['minItems']} item(s)")
        items = schema.get("items")
        if isinstance(items, Mapping):
            for i, item in enumerate(value):
                self.check(item, items, (*path, i))
        if schema.get("uniqueItems"):
            seen: list[Any] = []
            for i, item in enumerate(value):
                if item in seen:
                    self.fail((*path, i), f"duplicate item {json.dumps(item, default=str)}")
                seen.append(item)

    def object(self, value: dict[str, Any], schema: Mapping[str, Any], path: Path) -> None:
        for name in schema.get("required", ()):
            if name not in value:
                self.fail(path, f"missing required property {name!r}")
        props: Mapping[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        names = schema.get("propertyNames")
        for key, item in value.items():
            child = (*path, key)
            if names is not None:
                before = len(self.out)
                self.check(key, names, child)
                for i in range(before, len(self.out)):
                    v = self.out[i]
                    self.out[i] = SchemaViolation(v.path, f"property name: {v.reason}", True)
            if key in props:
                self.check(item, props[key], child)
            elif extra is False:
                known = ", ".join(sorted(props))
                self.out.append(
                    SchemaViolation(child, f"unknown property {key!r} (known: {known})", True)
                )
            elif isinstance(extra, Mapping):
                self.check(item, extra, child)

    def fail(self, path: Path, reason: str) -> None:
        self.out.append(SchemaViolation(path, reason))


def validate(
    value: Any, schema: Mapping[str, Any] | None = None, path: Path = ()
) -> list[SchemaViolation]:
    """Every violation of ``schema`` (default: the process schema) by ``value``."""
    root = process_schema() if schema is None else schema
    validator = _Validator(root)
    validator.check(value, root, path)
    return validator.out
