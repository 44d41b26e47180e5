"""Experiments: intake (YAML or JSON), the ranked queue, approvals and transitions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from sluicegate.api.deps import Ctx, ServiceDeps, container
from sluicegate.api.documents import MAX_ROW_INT, parse_document
from sluicegate.api.schemas.experiments import Experiment, ExperimentList
from sluicegate.api.schemas.numbers import NotBoolean
from sluicegate.api.schemas.problems import LIST, READ, WRITE, problem_responses
from sluicegate.domain.access.identity import ReviewerDomain
from sluicegate.domain.errors import FieldError, InvalidInput
from sluicegate.domain.experiments.lifecycle import State
from sluicegate.domain.experiments.proposal import Proposal
from sluicegate.service import experiments as svc

#: A version as an entity tag: 3, "3" or W/"3".
IF_MATCH_PATTERN = r'^(W/)?"?[0-9]{1,9}"?$'

router = APIRouter(tags=["experiments"])

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

_PROPOSAL_BODY = {
    "requestBody": {
        "required": True,
        "description": "An experiment proposal (docs/proposal.md), as JSON or YAML.",
        "content": {
            "application/json": {"schema": Proposal.model_json_schema()},
            "application/yaml": {"schema": Proposal.model_json_schema()},
        },
    }
}


class ApprovalIn(BaseModel):
    # The intake sign-off (no stage) names its reviewer domain; a stage review names the stage.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["domain"], "properties": {"domain": {"type": "string"}}},
                {"required": ["stage"], "properties": {"stage": {"type": "string"}}},
            ]
        },
    )
    domain: ReviewerDomain | None = None  # required for the intake sign-off (no stage)
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""
    stage: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,62}$")] | None = None
    decision: Literal["approve", "reject"] = "approve"


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: State
    reason: Reason | None = None
    expected_version: Annotated[int, Field(ge=1, le=MAX_ROW_INT), NotBoolean] | None = None


@router.get(
    "/experiments",
    summary="The intake queue, ranked by weighted priority score",
    response_model=ExperimentList,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def list_experiments(
    deps: ServiceDeps,
    ctx: Ctx,
    state: Annotated[State | None, Query()] = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    items = svc.list_queue(deps, ctx, state=state, team=team)
    return {"items": [svc.experiment_dict(e) for e in items]}


@router.post(
    "/experiments",
    status_code=201,
    openapi_extra=_PROPOSAL_BODY,
    response_model=Experiment,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
async def propose(request: Request, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    document = parse_document(await request.body(), request.headers.get("content-type"))
    exp = await run_in_threadpool(svc.propose, deps, ctx, document)
    return svc.experiment_dict(exp, [])


@router.get(
    "/experiments/{key}",
    response_model=Experiment,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def show(key: str, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    exp, approvals = svc.get(deps, ctx, key)
    return svc.experiment_dict(exp, approvals)


@router.patch(
    "/experiments/{key}",
    summary="Change proposal fields (JSON merge); If-Match carries the expected version",
    response_model=Experiment,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def update(
    key: str,
    body: Annotated[dict[str, Any], Body(json_schema_extra={"minProperties": 1})],
    deps: ServiceDeps,
    ctx: Ctx,
    if_match: Annotated[str | None, Header(pattern=IF_MATCH_PATTERN)] = None,
    reason: Annotated[str | None, Query(max_length=2000)] = None,
) -> dict[str, Any]:
    svc.update(deps, ctx, key, body, expected_version=_if_match(if_match), reason=reason)
    exp, approvals = svc.get(deps, ctx, key)
    return svc.experiment_dict(exp, approvals)


@router.post(
    "/experiments/{key}/approvals",
    status_code=201,
    response_model=Experiment,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def approve(
    key: str, body: ApprovalIn, request: Request, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    svc.approve(
        deps,
        ctx,
        key,
        body.domain,
        body.comment,
        stage=body.stage,
        decision=body.decision,
        gates=container(request).gates,
    )
    exp, approvals = svc.get(deps, ctx, key)
    return svc.experiment_dict(exp, approvals)


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise InvalidInput(
            "If-Match must carry the experiment version",
            errors=[FieldError("If-Match", 'expected a version such as "3"')],
        )
    return int(raw)


@router.post(
    "/experiments/{key}/transitions",
    response_model=Experiment,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def transition(
    key: str,
    body: TransitionIn,
    request: Request,
    deps: ServiceDeps,
    ctx: Ctx,
    if_match: Annotated[str | None, Header(pattern=IF_MATCH_PATTERN)] = None,
) -> dict[str, Any]:
    expected = body.expected_version if body.expected_version is not None else _if_match(if_match)
    svc.transition(
        deps,
        ctx,
        key,
        body.to,
        reason=body.reason,
        expected_version=expected,
        gates=container(request).gates,
    )
    exp, approvals = svc.get(deps, ctx, key)
    return svc.experiment_dict(exp, approvals)
