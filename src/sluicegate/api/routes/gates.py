"""Gates: processes (validate, apply, show, diff, selector), gate checks, decisions, evidence and
overrides. The check endpoint answers 200 with the decision whatever its outcome, so that CI
(e.g. an Azure Pipelines "Invoke REST API" check) can test ``outcome`` in the JSON.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from sluicegate.api.deps import Ctx, ServiceDeps, container
from sluicegate.api.documents import MAX_ROW_INT, parse_document
from sluicegate.api.schemas.gates import (
    AppliedProcess,
    Decision,
    Evidence,
    EvidenceList,
    GateSetting,
    Override,
    OverrideList,
    Pin,
    Process,
    ProcessDiff,
    ProcessValidation,
    Selector,
    StoredDecision,
)
from sluicegate.api.schemas.numbers import JsonDatetime, NotBoolean
from sluicegate.api.schemas.problems import READ, WRITE, problem_responses
from sluicegate.domain.errors import FieldError, InvalidInput, MalformedDocument
from sluicegate.domain.gates import render_junit, render_sarif
from sluicegate.domain.gates.evidence.dispatcher import EVIDENCE_KINDS
from sluicegate.service import gates as svc
from sluicegate.service.gates import evidence as evidence_svc
from sluicegate.service.gates import processes as proc_svc
from sluicegate.service.gates.processes import GateRuntime, ProcessSource

router = APIRouter(tags=["gates"])

Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Text = Annotated[str, StringConstraints(max_length=2000)]


def _runtime(request: Request) -> GateRuntime:
    return container(request).gates


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    source: str


class ProcessIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    filename: Name = "process.yaml"
    templates: list[TemplateIn] = []


_PROCESS_BODY = {
    "requestBody": {
        "required": True,
        "description": "JSON {source, filename, templates: [{name, source}]}, or the raw YAML.",
        "content": {
            "application/json": {"schema": ProcessIn.model_json_schema()},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


async def _process_source(request: Request) -> ProcessSource:
    raw = await request.body()
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        try:
            return ProcessSource(
                raw.decode("utf-8"), request.query_params.get("filename", "process.yaml")
            )
        except UnicodeDecodeError as exc:
            raise MalformedDocument(
                "the body is not UTF-8", errors=[FieldError("body", str(exc))]
            ) from exc
    doc = parse_document(raw, ctype)
    try:
        body = ProcessIn.model_validate(doc)
    except ValueError as exc:
        raise InvalidInput(
            "the process request is invalid", errors=[FieldError("body", str(exc))]
        ) from exc
    return ProcessSource(body.source, body.filename, [(t.name, t.source) for t in body.templates])


@router.post(
    "/processes/validate",
    openapi_extra=_PROCESS_BODY,
    response_model=ProcessValidation,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
async def validate(request: Request, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    source = await _process_source(request)
    return await run_in_threadpool(proc_svc.validate_process, deps, ctx, _runtime(request), source)


@router.put(
    "/processes/{name}",
    openapi_extra=_PROCESS_BODY,
    response_model=AppliedProcess,
    response_model_exclude_unset=True,
    responses={
        201: {"model": AppliedProcess, "description": "A new version was stored"},
        **problem_responses(*WRITE),
    },
)
async def apply(
    name: str, request: Request, response: Response, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    source = await _process_source(request)
    rec, created, warnings = await run_in_threadpool(
        proc_svc.apply_process, deps, ctx, _runtime(request), name, source
    )
    response.status_code = 201 if created else 200
    return {
        **proc_svc.process_dict(rec, with_source=False),
        "created": created,
        "warnings": warnings,
    }


@router.get(
    "/processes/{name}",
    response_model=Process,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def show(
    name: str,
    deps: ServiceDeps,
    ctx: Ctx,
    version: Annotated[int | None, Query(ge=1, le=MAX_ROW_INT)] = None,
) -> dict[str, Any]:
    return proc_svc.process_dict(proc_svc.show_process(deps, ctx, name, version))


@router.get(
    "/processes/{name}/diff",
    response_model=ProcessDiff,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def diff(
    name: str,
    request: Request,
    deps: ServiceDeps,
    ctx: Ctx,
    from_: Annotated[int | None, Query(alias="from", ge=1, le=MAX_ROW_INT)] = None,
    to: Annotated[int | None, Query(ge=1, le=MAX_ROW_INT)] = None,
) -> dict[str, Any]:
    return proc_svc.diff_versions(deps, ctx, _runtime(request), name, from_, to)


class SelectorRuleIn(BaseModel):
    """One rule: the process for experiments matching every non-empty condition."""

    model_config = ConfigDict(extra="forbid")
    process: Name
    kinds: list[str] = []
    teams: list[str] = []
    risk_levels: list[str] = []


class SelectorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[SelectorRuleIn] = []
    default: Name


@router.put(
    "/process-selector",
    summary="Which process each experiment follows",
    response_model=Selector,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def put_selector(body: SelectorIn, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return proc_svc.set_selector(deps, ctx, body.model_dump())


@router.put(
    "/gate-settings/{name}",
    summary="The review board (review_board) or environment settings (environments)",
    response_model=GateSetting,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def put_gate_setting(
    name: str, body: dict[str, Any], deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    value = svc.set_gate_setting(deps, ctx, name.replace("-", "_"), body.get("value"))
    return {"name": name, "value": value}


class MigrateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    process: Name
    version: Annotated[int, Field(ge=1, le=MAX_ROW_INT), NotBoolean] | None = None
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


@router.post(
    "/experiments/{key}/process",
    summary="Pin an experiment to a process version",
    response_model=Pin,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def migrate(key: str, body: MigrateIn, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    pin = proc_svc.migrate_experiment(deps, ctx, key, body.process, body.version, body.reason)
    return {
        "experiment": key,
        "process": pin.process_name,
        "version": pin.process_version,
        "pinned_by": pin.pinned_by,
        "pinned_at": pin.pinned_at.isoformat(),
    }


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ci_run_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


# The check is a hot path (benchmarks/): response_model=Any serialises the dict as before, without
# validating it; the Decision model in ``responses`` is the documentation of its body.
@router.post(
    "/experiments/{key}/gates/{stage}/check",
    response_model=Any,
    responses={200: {"model": Decision}, **problem_responses(*WRITE)},
)
def check(
    key: str, stage: str, request: Request, deps: ServiceDeps, ctx: Ctx, body: CheckIn | None = None
) -> dict[str, Any]:
    ci_run_id = body.ci_run_id if body is not None else None
    decision = svc.check_gate(deps, ctx, _runtime(request), key, stage, ci_run_id=ci_run_id)
    return svc.decision_dict(decision, ci_run_id)


_DECISION_FORMATS = {
    "description": "The decision as JSON (replay=true adds `replay`), JUnit XML or SARIF",
    "content": {
        "application/xml": {"schema": {"type": "string"}},
        "application/sarif+json": {"schema": {"type": "object"}},
    },
}


@router.get(
    "/decisions/{decision_id}",
    response_model=StoredDecision,
    response_model_exclude_unset=True,
    responses={200: _DECISION_FORMATS, **problem_responses(*READ)},
)
def decision(
    decision_id: str,
    request: Request,
    deps: ServiceDeps,
    ctx: Ctx,
    replay: bool = False,
    format: Literal["json", "junit", "sarif"] = "json",
) -> dict[str, Any] | Response:
    runtime = _runtime(request)
    if format == "junit":
        xml = render_junit(svc.rebuild(deps, ctx, runtime, decision_id))
        return Response(xml, media_type="application/xml")
    if format == "sarif":
        sarif = render_sarif(svc.rebuild(deps, ctx, runtime, decision_id))
        return Response(json.dumps(sarif, indent=2), media_type="application/sarif+json")
    if replay:
        return svc.explain(deps, ctx, runtime, decision_id)
    return svc.get_decision(deps, ctx, decision_id)


@router.post(
    "/experiments/{key}/evidence",
    status_code=201,
    response_model=Evidence,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
async def add_evidence(
    key: str,
    request: Request,
    deps: ServiceDeps,
    ctx: Ctx,
    kind: Annotated[
        str, Query(min_length=1, max_length=32, json_schema_extra={"enum": list(EVIDENCE_KINDS)})
    ],
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> dict[str, Any]:
    data = await request.body()
    limit = container(request).settings.max_body_bytes
    rec = await run_in_threadpool(
        evidence_svc.add_evidence, deps, ctx, key, kind, data, filename, max_bytes=limit
    )
    return evidence_svc.evidence_dict(rec)


@router.get(
    "/experiments/{key}/evidence",
    response_model=EvidenceList,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def list_evidence(key: str, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    items = evidence_svc.list_evidence(deps, ctx, key)
    return {
        "items": [evidence_svc.evidence_dict(e) for e in items],
        "facts": evidence_svc.facts_of(items),
    }


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: Name
    gate: Name
    justification: Text = ""
    expires_at: JsonDatetime | None = None


@router.post(
    "/experiments/{key}/overrides",
    status_code=201,
    response_model=Override,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def create_override(
    key: str, body: OverrideIn, request: Request, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    expires = body.expires_at
    if expires is not None and expires.tzinfo is None:
        raise InvalidInput(
            "expires_at must carry a time zone",
            errors=[FieldError("expires_at", "use e.g. 2026-11-23T12:00:00Z")],
        )
    rec = svc.create_override(
        deps,
        ctx,
        _runtime(request),
        key,
        stage=body.stage,
        gate=body.gate,
        justification=body.justification,
        expires_at=expires,
    )
    return svc.override_dict(rec, key)


@router.get(
    "/experiments/{key}/overrides",
    response_model=OverrideList,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def list_overrides(key: str, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return {"items": [svc.override_dict(o, key) for o in svc.list_overrides(deps, ctx, key)]}


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"\S")]


@router.post(
    "/overrides/{override_id}/revoke",
    response_model=Override,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def revoke_override(
    override_id: str, body: RevokeIn, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    rec, key = svc.revoke_override(deps, ctx, override_id, body.reason)
    return svc.override_dict(rec, key)
