"""The FastAPI app factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from sluicegate import __version__
from sluicegate.api import problems
from sluicegate.api.middleware import BodyLimitMiddleware, RequestIdMiddleware
from sluicegate.api.routes import audit, experiments, health, identity, settings
from sluicegate.bootstrap import Container
from sluicegate.service.experiments import expire_due

__all__ = ["create_app"]

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


def create_app(container: Container, *, run_jobs: bool = True) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = None
        if run_jobs and container.settings.expiry_interval_seconds > 0:
            task = asyncio.create_task(
                _expiry_loop(container, container.settings.expiry_interval_seconds)
            )
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="Sluicegate",
        version=__version__,
        description="Control plane for governed innovation in DevOps.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.container = container
    problems.install(app)
    for router in (
        health.router,
        identity.router,
        experiments.router,
        settings.router,
        audit.router,
    ):
        app.include_router(router, prefix="/api/v1")
    app.add_middleware(BodyLimitMiddleware, max_bytes=container.settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    return app
