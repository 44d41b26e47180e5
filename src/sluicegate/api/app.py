"""The FastAPI app factory."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool

from sluicegate import __version__
from sluicegate.api import problems
from sluicegate.api.middleware import (
    EdgeMiddleware,
    install_access_log_redaction,
)
from sluicegate.api.routes import alerts as alert_routes
from sluicegate.api.routes import audit, experiments, health, home, risk
from sluicegate.api.routes import delivery as delivery_routes
from sluicegate.api.routes import gates as gate_routes
from sluicegate.api.routes import metrics as metric_routes
from sluicegate.api.routes import notifications as webhook_routes
from sluicegate.api.routes import rollouts as rollout_routes
from sluicegate.api.routes import slo as slo_routes
from sluicegate.api.routes.access import identity
from sluicegate.api.routes.access import jit as jit_routes
from sluicegate.api.routes.flags import ofrep, runtime, sync
from sluicegate.api.routes.flags import sets as flags
from sluicegate.api.schemas import problems as problem_schemas
from sluicegate.bootstrap import Container
from sluicegate.service.experiments import expire_due
from sluicegate.service.flags import apply_due

__all__ = ["create_app", "create_app_from_env"]

log = logging.getLogger("sluicegate.jobs")


async def _expiry_loop(container: Container, interval: float) -> None:
    """The time-box job: move experiments past their expiry to expired."""
    while True:
        try:
            expired = await run_in_threadpool(expire_due, container.deps)
            if expired:
                log.info("expired experiments: %s", ", ".join(expired))
        except Exception:
            log.exception("the expiry job failed; it runs again in %.0f s", interval)
        await asyncio.sleep(interval)


async def _flag_schedule_loop(container: Container, app: FastAPI, interval: float) -> None:
    """The flag scheduler: apply approved change requests whose apply_at has passed."""
    while True:
        try:
            changed = await run_in_threadpool(apply_due, container.deps)
            for key in changed:
                runtime.runtime_for(app).hub.notify(key)
            if changed:
                log.info(
                    "applied scheduled flag changes: %s", ", ".join("/".join(k) for k in changed)
                )
        except Exception:
            log.exception("the flag scheduler failed; it runs again in %.0f s", interval)
        await asyncio.sleep(interval)


def _head_tick(container: Container) -> float:
    """Publish new heads every few seconds; timed checkpoints follow their own interval."""
    interval = container.settings.checkpoint_interval_seconds
    return min(interval, 5.0) if interval > 0 else 5.0


async def _tree_heads(container: Container) -> None:
    try:
        await run_in_threadpool(audit.sign_and_publish, container, force=True)
    except Exception:
        log.exception("signing or publishing the audit tree head failed")


def create_app(container: Container, *, run_jobs: bool = True) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        tasks = []
        if run_jobs and container.settings.expiry_interval_seconds > 0:
            tasks.append(
                asyncio.create_task(
                    _expiry_loop(container, container.settings.expiry_interval_seconds)
                )
            )
        flag_interval = runtime.runtime_for(app_).settings.schedule_interval
        if run_jobs and flag_interval > 0:
            tasks.append(asyncio.create_task(_flag_schedule_loop(container, app_, flag_interval)))
        webhook_interval = container.settings.webhook_interval_seconds
        if run_jobs and webhook_interval > 0:
            tasks.append(
                asyncio.create_task(webhook_routes.dispatch_loop(container, webhook_interval))
            )
        if run_jobs and container.settings.expiry_interval_seconds > 0:
            tasks.append(
                asyncio.create_task(
                    jit_routes.expiry_loop(container, container.settings.expiry_interval_seconds)
                )
            )
        prune_interval = container.settings.metrics_prune_interval_seconds
        if run_jobs and prune_interval > 0:
            tasks.append(asyncio.create_task(metric_routes.prune_loop(container, prune_interval)))
        if run_jobs:
            # Sign what a crash left uncovered and publish the head before serving.
            await _tree_heads(container)
            tasks.append(asyncio.create_task(audit.heads_loop(container, _head_tick(container))))
        # What start-up built lives as long as the process: move it out of the collector's way,
        # so that full collections under load scan only what requests make (benchmarks/server.py:
        # the p99 of an OFREP evaluation; the pattern of gc.freeze's documentation).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            runtime.runtime_for(app_).hub.close()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if run_jobs:
                await _tree_heads(container)  # the shutdown checkpoint

    app = FastAPI(
        title="Sluicegate",
        version=__version__,
        description="Control plane for governed innovation in DevOps.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served by routes/home.py with local assets
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.container = container
    install_access_log_redaction()
    problems.install(app)
    _document_served_routes(app)
    problem_schemas.install(app)
    home.install(app)
    # Routes match in order and OFREP is the hottest path: first, so that an evaluation does
    # not test ~90 API routes before its own (its prefix overlaps none of them).
    ofrep.install(app)
    for router in (
        health.router,
        identity.router,
        experiments.router,
        risk.router,
        audit.router,
        flags.router,
        sync.router,
    ):
        app.include_router(router, prefix="/api/v1")
    app.include_router(webhook_routes.router, prefix="/api/v1")
    app.include_router(jit_routes.router, prefix="/api/v1")
    app.include_router(gate_routes.router, prefix="/api/v1")
    app.include_router(rollout_routes.router, prefix="/api/v1")
    app.include_router(metric_routes.router, prefix="/api/v1")
    app.include_router(delivery_routes.router, prefix="/api/v1")
    app.include_router(alert_routes.router, prefix="/api/v1")
    from sluicegate.web.app import router as dashboard  # the one api -> web import (.importlinter)

    app.include_router(dashboard)  # /ui, outside the OpenAPI document
    app.include_router(slo_routes.router, prefix="/api/v1")
    app.add_middleware(
        EdgeMiddleware,
        max_bytes=container.settings.max_body_bytes,
        refusals=(ofrep.scoped_token_refusal,),
    )
    return app


def _document_served_routes(app: FastAPI) -> None:
    """FastAPI documents only the routes it serves itself; also document those declared on an
    APIRouter but served as Starlette routes (``app.state.documented_routes``, ofrep.install)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                summary=app.summary,
                description=app.description,
                routes=[*getattr(app.state, "documented_routes", []), *app.routes],
                tags=app.openapi_tags,
                servers=app.servers,
                separate_input_output_schemas=app.separate_input_output_schemas,
            )
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def create_app_from_env() -> FastAPI:
    """``uvicorn --factory sluicegate.api.app:create_app_from_env``: one app per worker process.

    Reads the same ``SLUICE_*`` settings as ``sluice serve`` but does not migrate: prepare the
    database first (``sluice init`` or one ``sluice serve``), so that workers never race to.
    """
    from sluicegate.bootstrap import Settings, build

    settings = Settings.from_env()
    return create_app(build(settings), run_jobs=_take_jobs_lock(settings.home))


#: Held for the life of the worker that runs the background jobs (see create_app_from_env).
_JOBS_LOCK: list[int] = []


def _take_jobs_lock(home: Path) -> bool:
    """Whether this process runs the background jobs: the first worker to lock the home's
    ``jobs.lock`` does (the lock goes with the process, so a restarted worker can take it)."""
    if _JOBS_LOCK:
        return True
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(home / "jobs.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    _JOBS_LOCK.append(fd)
    return True
