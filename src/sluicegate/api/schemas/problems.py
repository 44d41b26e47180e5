"""RFC 9457 problem+json bodies (``sluicegate.api.problems``) for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import Field

from sluicegate.api.schemas import Schema
from sluicegate.api.schemas.strings import document_string_rules

__all__ = ["LIST", "READ", "WRITE", "FieldProblem", "Problem", "install", "problem_responses"]

_REF = "#/components/schemas/{model}"

_DESCRIPTIONS = {
    400: "Malformed request (problem+json)",
    401: "No valid API token (problem+json; WWW-Authenticate: Bearer)",
    403: "Not allowed for this principal (problem+json)",
    404: "Not found (problem+json)",
    409: "Conflict with the current state (problem+json)",
    413: "Request body too large (problem+json)",
    422: "Invalid input: the named fields and why (problem+json)",
    429: "Rate limited: Retry-After says when to send again (problem+json)",
    503: "A dependency is unavailable (problem+json)",
}


class FieldProblem(Schema):
    field: str
    reason: str


class Problem(Schema):
    """An error: ``code`` is the stable kebab-case code, ``hint`` says what to do next."""

    type: str = Field(description="urn:sluicegate:problem:<code>")
    title: str
    status: int
    detail: str
    code: str
    hint: str | None = None
    errors: list[FieldProblem] | None = None
    request_id: str | None = None
    allowed: list[str] | None = Field(None, description="invalid transition: the allowed states")
    missing: list[str] | None = Field(None, description="approval required: the missing domains")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries: each status answers with a :class:`Problem`."""
    schema = {"$ref": _REF.format(model="Problem")}
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, "Error (problem+json)"),
            "content": {"application/problem+json": {"schema": schema}},
        }
        for status in statuses
    }


#: The statuses of an authenticated listing, of a read by key or id, and of a write.
LIST = (401, 403, 422)
READ = (401, 403, 404, 422)
WRITE = (400, 401, 403, 404, 409, 422)


def install(app: FastAPI) -> None:
    """Register :class:`Problem` in the document's components (the responses refer to it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = build()
        schema = Problem.model_json_schema(ref_template=_REF)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(schema.pop("$defs", {}))
        schemas["Problem"] = schema
        _lift_defs(doc, schemas)
        document_string_rules(doc)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def _lift_defs(doc: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Move the ``$defs`` of hand-written request bodies (``model_json_schema()`` in
    ``openapi_extra``) into the components, and point their ``#/$defs/X`` refs there: in an
    OpenAPI document ``#/$defs`` resolves against the document root, where nothing is."""

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            defs = node.pop("$defs", None)
            if isinstance(defs, dict):
                for name, sub in defs.items():
                    schemas.setdefault(name, rewrite(sub))
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                node["$ref"] = _REF.format(model=ref.removeprefix("#/$defs/"))
            for key, value in node.items():
                node[key] = rewrite(value)
        elif isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    for ops in doc.get("paths", {}).values():
        for op in ops.values():
            if isinstance(op, dict) and "requestBody" in op:
                op["requestBody"] = rewrite(op["requestBody"])
