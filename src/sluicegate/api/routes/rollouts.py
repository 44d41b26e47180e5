"""Rollouts: plans attached to experiments, manual controls, weights for routers, incidents."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.concurrency import run_in_threadpool

from sluicegate.api.deps import Ctx, ServiceDeps
from sluicegate.api.documents import parse_document
from sluicegate.api.schemas.problems import LIST, READ, WRITE, problem_responses
from sluicegate.api.schemas.rollouts import (
    BreakerList,
    IncidentList,
    Rollout,
    RolloutList,
    RolloutStatus,
    Weights,
)
from sluicegate.service import rollouts as svc

__all__ = ["router"]

router = APIRouter(tags=["rollouts"])

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

_PLAN_BODY = {
    "requestBody": {
        "required": True,
        "description": "{experiment, name?, plan} as JSON or YAML (docs/rollouts.md).",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason | None = None


class AbortIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


@router.post(
    "/rollouts",
    status_code=201,
    openapi_extra=_PLAN_BODY,
    summary="Attach a plan",
    response_model=Rollout,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
async def create(request: Request, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    document = parse_document(await request.body(), request.headers.get("content-type"))
    rollout = await run_in_threadpool(svc.create, deps, ctx, document)
    return svc.rollout_dict(rollout)


@router.get(
    "/rollouts",
    summary="Rollouts, newest first",
    response_model=RolloutList,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def list_rollouts(
    deps: ServiceDeps,
    ctx: Ctx,
    status: Annotated[str | None, Query(max_length=16)] = None,
    experiment: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    items = svc.list_rollouts(deps, ctx, status=status, experiment=experiment)
    return {"items": [svc.rollout_dict(r) for r in items]}


@router.get(
    "/rollouts/breakers",
    summary="Circuit breakers per service and per rollout",
    response_model=BreakerList,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def breakers(deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return {"items": svc.breakers(deps, ctx)}


@router.get(
    "/incidents",
    summary="Incidents opened by rolled-back rollouts",
    response_model=IncidentList,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def incidents(
    deps: ServiceDeps,
    ctx: Ctx,
    experiment: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    items = svc.list_incidents(deps, ctx, experiment=experiment)
    return {"items": [svc.incident_dict(i) for i in items]}


@router.get(
    "/rollouts/{rollout_id}",
    summary="Steps, weights, verdicts, history, incidents",
    response_model=RolloutStatus,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def show(rollout_id: str, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.status(deps, ctx, rollout_id)


@router.get(
    "/rollouts/{rollout_id}/weights",
    summary="Desired canary/stable weights",
    response_model=Weights,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def weights(rollout_id: str, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.weights(deps, ctx, rollout_id)


@router.post(
    "/rollouts/{rollout_id}/start",
    response_model=Rollout,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def start(rollout_id: str, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.rollout_dict(svc.start(deps, ctx, rollout_id))


@router.post(
    "/rollouts/{rollout_id}/pause",
    response_model=Rollout,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def pause(rollout_id: str, body: ReasonIn, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.rollout_dict(svc.pause(deps, ctx, rollout_id, body.reason))


@router.post(
    "/rollouts/{rollout_id}/resume",
    response_model=Rollout,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def resume(rollout_id: str, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.rollout_dict(svc.resume(deps, ctx, rollout_id))


@router.post(
    "/rollouts/{rollout_id}/promote",
    summary="Approve the current pause or analysis",
    response_model=Rollout,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def promote(rollout_id: str, body: ReasonIn, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.rollout_dict(svc.promote(deps, ctx, rollout_id, body.reason))


@router.post(
    "/rollouts/{rollout_id}/abort",
    summary="Roll back by hand",
    response_model=Rollout,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def abort(rollout_id: str, body: AbortIn, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.rollout_dict(svc.abort(deps, ctx, rollout_id, body.reason))
