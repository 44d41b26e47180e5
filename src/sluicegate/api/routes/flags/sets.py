"""Flag sets per environment: documents, revisions, rollback, change requests and scoped tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from sluicegate.api.deps import Ctx, ServiceDeps
from sluicegate.api.documents import MAX_ROW_INT, parse_document
from sluicegate.api.routes.experiments import IF_MATCH_PATTERN
from sluicegate.api.routes.flags.runtime import runtime_for
from sluicegate.api.schemas.flags.sets import (
    ChangeRequest,
    ChangeRequestList,
    Diff,
    FlagChange,
    FlagSet,
    FlagSetList,
    FlagToken,
    FlagTokenList,
    IssuedFlagToken,
    Revision,
    RevisionList,
)
from sluicegate.api.schemas.numbers import JsonDatetime, NotBoolean
from sluicegate.api.schemas.problems import LIST, READ, WRITE, problem_responses
from sluicegate.domain.errors import FieldError, InvalidInput, MalformedDocument
from sluicegate.domain.flags import NAME_PATTERN, ChangeRequestState
from sluicegate.domain.text import Name
from sluicegate.service import flags as svc

router = APIRouter(tags=["flags"])

Text = Annotated[str, StringConstraints(max_length=2000)]
_BASE = "/flag-sets/{name}/{environment}"

_DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "description": "A flagd flag set definition (docs/flags.md).",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FlagSetIn(_Body):
    name: Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
    environment: Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
    owner_team: Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
    experiment: str | None = None
    policy: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    reason: Text | None = None


class SettingsIn(_Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    policy: dict[str, Any] | None = None
    experiment: str | None = None


class RollbackIn(_Body):
    to: Annotated[int, Field(ge=1, le=MAX_ROW_INT), NotBoolean]
    reason: Text | None = None
    apply_at: JsonDatetime | None = None


class DecisionIn(_Body):
    comment: Text = ""


class TokenIn(_Body):
    name: Name
    expires_in_days: Annotated[int, Field(ge=1), NotBoolean] | None = None


def _change(request: Request, change: svc.Change) -> JSONResponse:
    """200 with the new revision (or ``unchanged``), 202 with a change request awaiting approval."""
    body: dict[str, Any] = {"flag_set": svc.flag_set_dict(change.flag_set, document=False)}
    status = 200
    if change.change_request is not None:
        body["outcome"] = "change-request"
        body["change_request"] = svc.change_request_dict(change.change_request)
        status = 202
    elif change.revision is not None:
        body["outcome"] = "revised"
        body["revision"] = svc.revision_dict(change.revision)
        runtime_for(request.app).hub.notify((change.flag_set.name, change.flag_set.environment))
    else:
        body["outcome"] = "unchanged"
    body["findings"] = svc.findings_list(change.findings, change.new_findings)
    return JSONResponse(body, status_code=status)


async def _document(request: Request) -> object:
    """The request body as JSON (or YAML); nesting too deep for the parser is malformed too."""
    try:
        return parse_document(await request.body(), request.headers.get("content-type"))
    except RecursionError as exc:
        raise MalformedDocument(
            "the document is nested too deeply", errors=[FieldError("body", "nesting too deep")]
        ) from exc


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise InvalidInput(
            "If-Match must carry the revision number",
            errors=[FieldError("If-Match", 'expected a revision number such as "3"')],
        )
    return int(raw)


@router.get(
    "/flag-sets",
    summary="Flag sets in every environment",
    response_model=FlagSetList,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def list_sets(
    deps: ServiceDeps,
    ctx: Ctx,
    name: Annotated[str | None, Query(max_length=64)] = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    items = svc.list_sets(deps, ctx, name=name, team=team)
    return {"items": [svc.flag_set_dict(fs, document=False) for fs in items]}


@router.post(
    "/flag-sets",
    status_code=201,
    summary="Create a flag set in one environment",
    response_model=FlagChange,
    responses={
        202: {"model": FlagChange, "description": "A change request awaiting approval"},
        **problem_responses(*WRITE),
    },
)
async def create(body: FlagSetIn, request: Request, deps: ServiceDeps, ctx: Ctx) -> JSONResponse:
    change = await run_in_threadpool(
        lambda: svc.create(
            deps,
            ctx,
            name=body.name,
            environment=body.environment,
            owner_team=body.owner_team,
            experiment=body.experiment,
            policy=body.policy,
            document=body.document,
            reason=body.reason,
        )
    )
    response = _change(request, change)
    response.status_code = 201
    return response


@router.get(
    _BASE,
    summary="A flag set with its current document and revision",
    response_model=FlagSet,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def show(name: str, environment: str, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.flag_set_dict(svc.get(deps, ctx, name, environment))


@router.patch(
    _BASE,
    summary="Change the policy (admin) or the linked experiment",
    response_model=FlagSet,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def update_settings(
    name: str,
    environment: str,
    body: SettingsIn,
    deps: ServiceDeps,
    ctx: Ctx,
    reason: Annotated[str | None, Query(max_length=2000)] = None,
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    fs = svc.update_settings(deps, ctx, name, environment, changes, reason=reason)
    return svc.flag_set_dict(fs, document=False)


@router.put(
    _BASE + "/document",
    summary="Replace the document (import); governed or scheduled changes become requests",
    openapi_extra=_DOCUMENT_BODY,
    response_model=FlagChange,
    responses={
        202: {"model": FlagChange, "description": "A change request awaiting approval"},
        **problem_responses(*WRITE),
    },
)
async def put_document(
    name: str,
    environment: str,
    request: Request,
    deps: ServiceDeps,
    ctx: Ctx,
    reason: Annotated[str | None, Query(max_length=2000)] = None,
    apply_at: datetime | None = None,
    if_match: Annotated[str | None, Header(pattern=IF_MATCH_PATTERN)] = None,
) -> JSONResponse:
    document = await _document(request)
    expected = _if_match(if_match)
    change = await run_in_threadpool(
        lambda: svc.put_document(
            deps,
            ctx,
            name,
            environment,
            document,
            reason=reason,
            expected_revision=expected,
            apply_at=apply_at,
        )
    )
    return _change(request, change)


@router.post(
    _BASE + "/diff",
    summary="What a document would change (nothing is stored)",
    openapi_extra=_DOCUMENT_BODY,
    response_model=Diff,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
async def diff(
    name: str, environment: str, request: Request, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    document = await _document(request)
    return await run_in_threadpool(svc.diff_preview, deps, ctx, name, environment, document)


@router.get(
    _BASE + "/revisions",
    summary="The rollback inventory, newest first",
    response_model=RevisionList,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def history(
    name: str,
    environment: str,
    deps: ServiceDeps,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    revisions = svc.history(deps, ctx, name, environment, limit)
    return {"items": [svc.revision_dict(r) for r in revisions]}


@router.get(
    _BASE + "/revisions/{number}",
    summary="One revision with its document",
    response_model=Revision,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def revision(
    name: str,
    environment: str,
    number: Annotated[int, Path(ge=1, le=MAX_ROW_INT)],
    deps: ServiceDeps,
    ctx: Ctx,
) -> dict[str, Any]:
    rev = svc.get_revision(deps, ctx, name, environment, number)
    return svc.revision_dict(rev, document=True)


@router.post(
    _BASE + "/rollback",
    summary="Back to an earlier revision (a new revision)",
    response_model=FlagChange,
    responses={
        202: {"model": FlagChange, "description": "A change request awaiting approval"},
        **problem_responses(*WRITE),
    },
)
async def rollback(
    name: str, environment: str, body: RollbackIn, request: Request, deps: ServiceDeps, ctx: Ctx
) -> JSONResponse:
    change = await run_in_threadpool(
        lambda: svc.rollback(
            deps, ctx, name, environment, body.to, reason=body.reason, apply_at=body.apply_at
        )
    )
    return _change(request, change)


@router.get(
    _BASE + "/change-requests",
    summary="Change requests, oldest first",
    response_model=ChangeRequestList,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def list_requests(
    name: str,
    environment: str,
    deps: ServiceDeps,
    ctx: Ctx,
    state: Annotated[ChangeRequestState | None, Query()] = None,
) -> dict[str, Any]:
    items = svc.list_change_requests(deps, ctx, name, environment, state)
    return {"items": [svc.change_request_dict(cr) for cr in items]}


@router.get(
    _BASE + "/change-requests/{request_id}",
    response_model=ChangeRequest,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def show_request(
    name: str, environment: str, request_id: str, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    cr = svc.get_change_request(deps, ctx, name, environment, request_id)
    return svc.change_request_dict(cr, document=True)


@router.post(
    _BASE + "/change-requests/{request_id}/approve",
    summary="Approve (not the author)",
    response_model=ChangeRequest,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def approve(
    name: str, environment: str, request_id: str, body: DecisionIn, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    cr = svc.approve(deps, ctx, name, environment, request_id, body.comment)
    return svc.change_request_dict(cr)


@router.post(
    _BASE + "/change-requests/{request_id}/reject",
    summary="Reject or withdraw",
    response_model=ChangeRequest,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def reject(
    name: str, environment: str, request_id: str, body: DecisionIn, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    cr = svc.reject(deps, ctx, name, environment, request_id, body.comment)
    return svc.change_request_dict(cr)


@router.post(
    _BASE + "/change-requests/{request_id}/apply",
    summary="Apply an approved request",
    response_model=FlagChange,
    responses={
        202: {"model": FlagChange, "description": "A change request awaiting approval"},
        **problem_responses(*WRITE),
    },
)
async def apply_request(
    name: str, environment: str, request_id: str, request: Request, deps: ServiceDeps, ctx: Ctx
) -> JSONResponse:
    change = await run_in_threadpool(
        svc.apply_change_request, deps, ctx, name, environment, request_id
    )
    return _change(request, change)


@router.get(
    _BASE + "/tokens",
    summary="Tokens scoped to this flag set and environment",
    response_model=FlagTokenList,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def list_tokens(name: str, environment: str, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    tokens, fs = svc.list_tokens(deps, ctx, name, environment)
    return {"items": [svc.token_dict(t, fs) for t in tokens]}


@router.post(
    _BASE + "/tokens",
    status_code=201,
    summary="Issue a token for OFREP and sync of this flag set only; the secret is shown once",
    response_model=IssuedFlagToken,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def issue_token(
    name: str, environment: str, body: TokenIn, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    token, fs, secret = svc.issue_token(
        deps, ctx, name, environment, body.name, body.expires_in_days
    )
    return {**svc.token_dict(token, fs), "token": secret}


@router.post(
    _BASE + "/tokens/{token_id}/revoke",
    response_model=FlagToken,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def revoke_token(
    name: str, environment: str, token_id: str, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    token, fs = svc.revoke_token(deps, ctx, name, environment, token_id)
    return svc.token_dict(token, fs)
