"""What the OpenAPI document says about strings, so that it says what the server checks.

Every body is refused when one of its strings holds a NUL (``api/documents.check_tree``), and
labels (names, titles: ``domain/text.Label``) also refuse the other control characters and the
bidirectional controls. Pydantic's schema cannot see either rule (they are validators), so the
generated document gets them as ``pattern``s here: a request body's string schema with no
pattern, enum, const or format gets :data:`NO_NUL`; labels declare their own pattern
(``domain/text.LABEL_PATTERN``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["NO_NUL", "document_string_rules"]

#: No NUL character (ECMA-262 and Python regular expressions alike).
NO_NUL = r"^[^\x00]*$"

_COMPONENT = "#/components/schemas/"
_DECLARED = ("pattern", "enum", "const", "format", "contentEncoding", "contentMediaType")


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_COMPONENT):
            found.add(ref.removeprefix(_COMPONENT))
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _refs(item, found)


def _rule(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and not any(k in node for k in _DECLARED):
            node["pattern"] = NO_NUL
        if _open_object(node) and "propertyNames" not in node:
            node["propertyNames"] = {"pattern": NO_NUL}  # keys are checked like values
        for key, value in node.items():
            if key not in ("example", "examples", "default"):
                _rule(value)
    elif isinstance(node, list):
        for item in node:
            _rule(item)


def _open_object(node: dict[str, Any]) -> bool:
    """An object schema that takes keys it does not list (a map, or ``additionalProperties``)."""
    extra = node.get("additionalProperties", node.get("type") == "object")
    return node.get("type") == "object" and extra is not False


def _not_null(parameter: dict[str, Any]) -> None:
    """An optional header, query or path parameter is absent, never ``null``: a header of
    ``null`` is the four letters. FastAPI writes ``anyOf: [X, {type: null}]``; keep X."""
    schema = parameter.get("schema", {})
    options = schema.get("anyOf")
    if not isinstance(options, list):
        return
    kept = [o for o in options if o != {"type": "null"}]
    if len(kept) == 1 and len(kept) < len(options):
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        parameter["schema"] = {**kept[0], **rest}


def document_string_rules(doc: dict[str, Any]) -> None:
    """Add :data:`NO_NUL` to the plain string schemas of request bodies: inline, and in the
    components they refer to (transitively). Response schemas are left alone: an error answer
    may quote the refused input, NUL and all."""
    schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    bodies = [
        op["requestBody"]
        for ops in doc.get("paths", {}).values()
        for op in ops.values()
        if isinstance(op, dict) and "requestBody" in op
    ]
    reached: set[str] = set()
    _refs(bodies, reached)
    pending = list(reached)
    while pending:
        found: set[str] = set()
        _refs(schemas.get(pending.pop(), {}), found)
        pending += sorted(found - reached)
        reached |= found
    for ops in doc.get("paths", {}).values():
        for op in ops.values():
            if isinstance(op, dict):
                for parameter in op.get("parameters", []):
                    _not_null(parameter)
    for body in bodies:
        _rule(body)
    for name in sorted(reached & set(schemas)):
        _rule(schemas[name])
