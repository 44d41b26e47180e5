"""Just-in-time access: requests, decisions and grants (docs/jit-access.md)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, StringConstraints, WithJsonSchema
from starlette.concurrency import run_in_threadpool

from sluicegate.api.deps import Ctx, ServiceDeps, container
from sluicegate.api.schemas.access.jit import JitRequest, JitRequestList
from sluicegate.api.schemas.problems import LIST, WRITE, problem_responses
from sluicegate.bootstrap import Container
from sluicegate.domain.access.jit import JitState
from sluicegate.service.access import jit as svc

__all__ = ["expiry_loop", "router"]

router = APIRouter(tags=["jit"])
log = logging.getLogger("sluicegate.jobs")

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    experiment: Short
    stage: Short
    role: Literal["contributor", "reviewer", "admin"]
    # validated by the domain (one error naming "duration"); the schema documents the limits
    duration: Annotated[
        int | str,
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "integer", "minimum": 1, "maximum": 10**9},
                    {
                        # at least one part that is not zero
                        "type": "string",
                        "pattern": (
                            "^([0-9]{1,9}[smhdw])*0{0,8}[1-9][0-9]{0,8}[smhdw]([0-9]{1,9}[smhdw])*$"
                        ),
                    },
                ],
                "description": "Whole seconds, or 30m, 2h, 1h30m; at most SLUICE_JIT_MAX_HOURS",
            }
        ),
    ]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: Text = ""


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text | None = None


@router.post(
    "/jit/requests",
    status_code=201,
    summary="Request time-bound elevated access",
    response_model=JitRequest,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def request_access(
    body: RequestIn, request: Request, deps: ServiceDeps, ctx: Ctx
) -> dict[str, Any]:
    hours = container(request).settings.jit_max_hours
    req = svc.request_access(
        deps,
        ctx,
        experiment=body.experiment,
        stage=body.stage,
        role=body.role,
        duration=body.duration,
        reason=body.reason,
        max_duration=timedelta(hours=hours),
    )
    return svc.jit_dict(req)


@router.get(
    "/jit/requests",
    summary="Requests and grants (your own unless reviewer or admin)",
    response_model=JitRequestList,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def list_requests(
    deps: ServiceDeps,
    ctx: Ctx,
    state: Annotated[JitState | None, Query()] = None,
    experiment: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    items = svc.list_requests(deps, ctx, state=state, experiment=experiment)
    return {"items": [svc.jit_dict(r) for r in items]}


@router.post(
    "/jit/requests/{req_id}/approve",
    summary="Grant a pending request",
    response_model=JitRequest,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def approve(req_id: str, body: DecisionIn, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.jit_dict(svc.approve(deps, ctx, req_id, body.comment))


@router.post(
    "/jit/requests/{req_id}/deny",
    summary="Refuse a pending request",
    response_model=JitRequest,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def deny(req_id: str, body: DecisionIn, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.jit_dict(svc.deny(deps, ctx, req_id, body.comment))


@router.post(
    "/jit/grants/{grant_id}/revoke",
    summary="End an active grant early",
    response_model=JitRequest,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def revoke(grant_id: str, body: RevokeIn, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.jit_dict(svc.revoke(deps, ctx, grant_id, body.reason))


async def expiry_loop(container_: Container, interval: float) -> None:
    """Mark expired grants (and grants whose experiment left the stage), audited."""
    while True:
        try:
            ended = await run_in_threadpool(svc.expire_due, container_.deps)
            if ended:
                log.info("ended just-in-time grants: %s", ", ".join(ended))
        except Exception:
            log.exception("the grant expiry job failed; it runs again in %.0f s", interval)
        await asyncio.sleep(interval)
