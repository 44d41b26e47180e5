"""Validation of flag set definitions against the flagd ``flags.json`` schema.

A hand-written validator (no jsonschema dependency). What stops a document from loading at all
(flagd refuses it too: a flag without a valid ``state`` or ``variants``, bad metadata) raises
:class:`FlagDefinitionError` listing every such problem, one per flag, with its JSON pointer. What
flagd loads anyway (unknown properties, an unknown ``defaultVariant``, mixed variant types, a
targeting that is not an object) becomes a :class:`Finding`. Targeting rules are checked while
they are compiled.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import Finding, FlagDefinitionError, pointer

__all__ = ["FlagSpec", "SetSpec", "load_definition", "validate_definition"]

_TOP_LEVEL = frozenset({"$schema", "flags", "$evaluators", "metadata"})
_FLAG_FIELDS = frozenset(
    {"state", "variants", "defaultVariant", "targeting", "metadata", "source", "selector", "key"}
)
_STATES = frozenset({"ENABLED", "DISABLED"})


@dataclass(frozen=True, slots=True)
class FlagSpec:
    key: str
    enabled: bool
    variants: dict[str, Any]
    default_variant: str | None
    targeting: Any  # a rule object, None (static), or another value (a PARSE_ERROR at evaluation)
    metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SetSpec:
    flags: dict[str, FlagSpec]
    evaluators: dict[str, Any]
    metadata: dict[str, Any]
    document: dict[str, Any]


def _fail(reason: str, *tokens: str | int) -> FlagDefinitionError:
    return FlagDefinitionError(pointer(*tokens), reason)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def load_definition(definition: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(definition, str | bytes):
        try:
            loaded = json.loads(definition, parse_constant=_reject_constant)
        except ValueError as exc:
            raise _fail(f"invalid JSON: {exc}") from exc
    else:
        loaded = definition
    if not isinstance(loaded, Mapping):
        raise _fail("a flag set definition must be a JSON object")
    return dict(loaded)


def _metadata(value: Any, *at: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail("metadata must be an object", *at)
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise _fail("metadata keys must be non-empty strings", *at, str(key))
        if item is None or not isinstance(item, str | int | float | bool):
            raise _fail("metadata values must be strings, numbers or booleans", *at, key)
    return dict(value)


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, Mapping):
        return "object"
    return None


def _variants(value: Any, key: str, findings: list[Finding]) -> dict[str, Any]:
    at = ("flags", key, "variants")
    if value is None:
        raise _fail("variants is required", "flags", key)
    if not isinstance(value, Mapping) or not value:
        raise _fail("variants must be a non-empty object", *at)
    first_kind: str | None = None
    for name, variant in value.items():
        if not isinstance(name, str) or not name:
            raise _fail("variant names must be non-empty strings", *at, str(name))
        kind = _kind(variant)
        if kind is None:
            raise _fail("a variant value must be a boolean, string, number or object", *at, name)
        if first_kind is None:
            first_kind = kind
        elif kind != first_kind:
            findings.append(
                Finding(
                    pointer(*at, name),
                    f"mixed variant types: {kind} in a {first_kind} flag",
                    "TYPE_MISMATCH for callers that expect the other type",
                )
            )
    return dict(value)


def _flag(key: Any, body: Any, findings: list[Finding]) -> FlagSpec:
    if not isinstance(key, str) or not key:
        raise _fail("flag keys must be non-empty strings", "flags", str(key))
    if not isinstance(body, Mapping):
        raise _fail("a flag must be an object", "flags", key)
    for field in body:
        if field not in _FLAG_FIELDS:
            findings.append(
                Finding(
                    pointer("flags", key, str(field)), f"unknown flag property {field!r}", "ignored"
                )
            )
    state = body.get("state")
    if state is None:
        raise _fail("state is required", "flags", key)
    if state not in _STATES:
        raise _fail("state must be ENABLED or DISABLED", "flags", key, "state")
    variants = _variants(body.get("variants"), key, findings)
    default = body.get("defaultVariant")
    if default is not None and not isinstance(default, str):
        raise _fail("defaultVariant must be a string or null", "flags", key, "defaultVariant")
    if default == "":
        default = None
    if default is not None and default not in variants:
        findings.append(
            Finding(
                pointer("flags", key, "defaultVariant"),
                f"unknown variant {default!r}",
                "GENERAL whenever the default variant applies",
            )
        )
    targeting = body.get("targeting")
    if targeting and not isinstance(targeting, Mapping):
        findings.append(
            Finding(
                pointer("flags", key, "targeting"), "targeting must be an object", "PARSE_ERROR"
            )
        )
    elif targeting:
        targeting = dict(targeting)
    return FlagSpec(
        key=key,
        enabled=state == "ENABLED",
        variants=variants,
        default_variant=default,
        targeting=targeting or None,
        metadata=_metadata(body.get("metadata"), "flags", key, "metadata"),
    )


def validate_definition(document: dict[str, Any], findings: list[Finding]) -> SetSpec:
    """Check the document's structure; lenient problems are appended to ``findings``."""
    fatal: list[Finding] = []

    def attempt(check: Any, *args: Any) -> Any:
        try:
            return check(*args)
        except FlagDefinitionError as exc:
            fatal.extend(exc.findings)
            return None

    for field in document:
        if field not in _TOP_LEVEL:
            findings.append(
                Finding(pointer(str(field)), f"unknown top-level property {field!r}", "ignored")
            )
    flags = document.get("flags", {})
    if not isinstance(flags, Mapping):
        raise _fail("flags must be an object", "flags")
    evaluators = document.get("$evaluators", {}) or {}
    if not isinstance(evaluators, Mapping):
        fatal.append(Finding("/$evaluators", "$evaluators must be an object", "not loaded", True))
        evaluators = {}
    for name in evaluators:
        if not isinstance(name, str) or not name:
            fatal.append(
                Finding(
                    pointer("$evaluators", str(name)),
                    "evaluator names must be non-empty strings",
                    "not loaded",
                    True,
                )
            )
    metadata = attempt(_metadata, document.get("metadata"), "metadata") or {}
    for field in ("flagSetId", "version"):
        if field in metadata and not isinstance(metadata[field], str):
            fatal.append(
                Finding(pointer("metadata", field), f"{field} must be a string", "not loaded", True)
            )
    specs: dict[str, FlagSpec] = {}
    for key, body in flags.items():
        spec = attempt(_flag, key, body, findings)
        if spec is not None:
            specs[key] = spec
    if fatal:
        raise FlagDefinitionError(fatal[0].pointer, fatal[0].reason, tuple(fatal))
    return SetSpec(flags=specs, evaluators=dict(evaluators), metadata=metadata, document=document)
