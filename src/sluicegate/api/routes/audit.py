"""The audit ledger over HTTP: paging with filters, export, checkpoints, verification."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from sluicegate.api.deps import Ctx, ServiceDeps, container
from sluicegate.api.schemas.audit import AuditPage, CheckpointList, NewCheckpoint, Verify
from sluicegate.api.schemas.problems import LIST, WRITE, problem_responses
from sluicegate.domain.access.identity import Action, authorize
from sluicegate.service import audit as svc
from sluicegate.service.audit.ports import AuditFilter

if TYPE_CHECKING:
    from sluicegate.bootstrap import Container

router = APIRouter(tags=["audit"])
log = logging.getLogger("sluicegate.audit")


def sign_and_publish(container: Container, *, force: bool = False) -> None:
    """One run of the tree-head job: a checkpoint if one is due (``force``: whenever events are
    uncovered, as at start-up and shutdown), then every new signed head to the publishers."""
    if container.signer is None:
        return
    interval = container.settings.checkpoint_interval_seconds
    cp = (
        svc.checkpoint_due(container.deps, interval, force=force) if force or interval > 0 else None
    )
    if cp is not None:
        log.info("signed the tree head at size %d", cp.tree_size)
    container.heads.run(container.deps)


async def heads_loop(container: Container, tick: float) -> None:
    """The tree-head job, started in the app lifespan: timed checkpoints while events arrive
    (``SLUICE_AUDIT_CHECKPOINT_INTERVAL``) and publishing of every new head."""
    while True:
        await asyncio.sleep(tick)
        try:
            await run_in_threadpool(sign_and_publish, container)
        except Exception:
            log.exception("the tree-head job failed; it runs again in %.1f s", tick)


@router.get(
    "/audit",
    summary="Page the audit log (filters: entity, actor, time)",
    response_model=AuditPage,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def page(
    deps: ServiceDeps,
    ctx: Ctx,
    entity_type: Annotated[str | None, Query(max_length=64)] = None,
    entity_id: Annotated[str | None, Query(max_length=200)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[str | None, Query(max_length=40, description="ISO time, inclusive")] = None,
    until: Annotated[str | None, Query(max_length=40, description="ISO time, exclusive")] = None,
    after_seq: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    flt = AuditFilter(entity_type, entity_id, actor, since, until, after_seq, limit)
    events = svc.page(deps, ctx, flt)
    return {
        "items": [e.to_export() for e in events],
        "next_after_seq": events[-1].seq if len(events) == limit else None,
    }


_NDJSON = {
    "description": (
        "JSON lines: the checkpoint keys first ({key}), then one audit event a line, and "
        "{checkpoint} after the event it covers"
    ),
    "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
}


@router.get(
    "/audit/export",
    response_class=StreamingResponse,
    summary="The whole log as JSON lines (events and checkpoints)",
    responses={200: _NDJSON, **problem_responses(*LIST)},
)
def export(deps: ServiceDeps, ctx: Ctx) -> StreamingResponse:
    authorize(ctx.principal, Action.AUDIT_READ)
    with deps.uow(readonly=True) as uow:
        checkpoints = {c.tree_size: c for c in uow.audit.checkpoints()}
        keys = uow.audit.key_records()

    def lines() -> Iterator[bytes]:
        for key in keys:  # first, so a verifier can follow rotations before it meets them
            yield (json.dumps({"key": key.to_dict()}) + "\n").encode()
        for event in svc.export(deps, ctx):
            yield (json.dumps(event.to_export(), ensure_ascii=False) + "\n").encode()
            cp = checkpoints.get(event.seq)
            if cp is not None:
                yield (json.dumps({"checkpoint": cp.to_dict()}) + "\n").encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@router.get(
    "/audit/checkpoints",
    response_model=CheckpointList,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def list_checkpoints(deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    authorize(ctx.principal, Action.AUDIT_READ)
    with deps.uow(readonly=True) as uow:
        return {"items": [c.to_dict() for c in uow.audit.checkpoints()]}


@router.post(
    "/audit/checkpoints",
    status_code=201,
    summary="Sign a checkpoint now (admin)",
    response_model=NewCheckpoint,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def create_checkpoint(deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    cp = svc.checkpoint(deps, ctx)
    return {"checkpoint": cp.to_dict() if cp else None}


@router.get(
    "/audit/public-keys", response_class=PlainTextResponse, responses=problem_responses(*LIST)
)
def public_keys(request: Request, deps: ServiceDeps, ctx: Ctx) -> str:
    authorize(ctx.principal, Action.AUDIT_READ)
    del request
    with deps.uow(readonly=True) as uow:
        return "".join(uow.audit.public_keys())


@router.post(
    "/audit/verify",
    summary="Verify the whole chain and every checkpoint signature",
    response_model=Verify,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def verify(request: Request, ctx: Ctx) -> dict[str, Any]:
    authorize(ctx.principal, Action.AUDIT_READ)
    c = container(request)
    return svc.verify(c.deps, c.verifier(), policy=c.settings.coverage()).to_dict()
