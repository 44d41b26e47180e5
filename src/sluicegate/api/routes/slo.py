"""SLOs as code on the server: ``/api/v1/slos`` (issue 14 §1, docs/slo.md).

``POST /slos`` takes the SLO file itself (OpenSLO v1 or Sloth, YAML or JSON, several documents
separated by ``---``), stores a revision of each SLO that changed and answers what it did; an
invalid input answers 422 naming every field, and stores nothing.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import StringConstraints
from starlette.concurrency import run_in_threadpool

from sluicegate.api.deps import Ctx, ServiceDeps
from sluicegate.api.documents import (
    MAX_ROW_INT,
    YAML_TYPES,
    UnsupportedMediaType,
    is_json,
    media_type,
)
from sluicegate.api.schemas.problems import READ, WRITE, problem_responses
from sluicegate.api.schemas.slo import SloApplyResult, SloDetail, SloList
from sluicegate.domain.errors import FieldError, MalformedDocument
from sluicegate.domain.slo.stored import rules_yaml
from sluicegate.service import slo as svc

__all__ = ["router"]

router = APIRouter(tags=["slo"])

_NAME = r"^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,126}[a-zA-Z0-9])?$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=_NAME)]
Filename = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Revision = Annotated[int | None, Query(ge=1, le=MAX_ROW_INT)]

_SLO_BODY = {
    "requestBody": {
        "required": True,
        "description": "The SLO file: OpenSLO v1 or Sloth prometheus/v1 documents, as YAML "
        "(documents separated by ---) or JSON (a document, or a list of documents).",
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": ["object", "array"]}},
        },
    }
}


async def _text(request: Request) -> str:
    ctype = media_type(request.headers.get("content-type"))
    if ctype and not is_json(ctype) and ctype not in YAML_TYPES:
        raise UnsupportedMediaType(
            f"unsupported content type {ctype!r}",
            errors=[FieldError("content-type", "use application/yaml or application/json")],
        )
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedDocument(
            "the body is not UTF-8", errors=[FieldError("body", str(exc))]
        ) from exc
    if not text.strip():
        raise MalformedDocument("the body is empty", errors=[FieldError("body", "empty")])
    return text


@router.post(
    "/slos",
    summary="Apply SLOs: store a new revision of each SLO that changed",
    openapi_extra=_SLO_BODY,
    response_model=SloApplyResult,
    responses=problem_responses(*WRITE, 415),
)
async def apply_slos(
    request: Request,
    deps: ServiceDeps,
    ctx: Ctx,
    dry_run: bool = False,
    filename: Annotated[Filename | None, Query()] = None,
) -> dict[str, Any]:
    text = await _text(request)
    applied = await run_in_threadpool(svc.apply_slos, deps, ctx, text, filename, dry_run=dry_run)
    return {"dry_run": dry_run, "slos": applied}


@router.get(
    "/slos",
    summary="List SLOs (the latest revision of each)",
    response_model=SloList,
    responses=problem_responses(*READ),
)
def list_slos(
    deps: ServiceDeps, ctx: Ctx, service: Annotated[Name | None, Query()] = None
) -> dict[str, Any]:
    found = svc.list_slos(deps, ctx, service)
    return {"slos": found, "count": len(found)}


@router.get(
    "/slos/{service}/{name}",
    summary="One SLO revision (the latest by default), with its source and rules",
    response_model=SloDetail,
    responses=problem_responses(*READ),
)
def get_slo(
    service: Name, name: Name, deps: ServiceDeps, ctx: Ctx, revision: Revision = None
) -> dict[str, Any]:
    return svc.get_slo(deps, ctx, service, name, revision)


_RULE_FORMATS = {
    "description": "The Prometheus rule file: YAML (format=yaml, the default) or JSON",
    "content": {
        "application/yaml": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "object"}},
    },
}


@router.get(
    "/slos/{service}/{name}/rules",
    summary="The Prometheus rule file of one SLO revision",
    response_class=Response,
    responses={200: _RULE_FORMATS, **problem_responses(*READ)},
)
def get_slo_rules(
    service: Name,
    name: Name,
    deps: ServiceDeps,
    ctx: Ctx,
    revision: Revision = None,
    format: Literal["yaml", "json"] = "yaml",
) -> Response:
    rules = svc.get_slo(deps, ctx, service, name, revision)["rules"]
    if format == "json":
        return Response(
            json.dumps(rules, indent=2, ensure_ascii=False) + "\n", media_type="application/json"
        )
    return Response(rules_yaml(rules), media_type="application/yaml")
