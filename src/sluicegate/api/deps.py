"""FastAPI dependencies: the container, and the authenticated request context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from sluicegate.api.documents import check_tree
from sluicegate.api.singleflight import single_flight
from sluicegate.bootstrap import Container
from sluicegate.service.access.identity import authenticate, cached_principal, hash_token
from sluicegate.service.context import Deps, RequestContext

__all__ = ["Ctx", "ServiceDeps", "container", "context", "service_deps"]


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


async def _service_deps(request: Request) -> Deps:
    # async, so that FastAPI calls it on the event loop instead of in the thread pool
    return service_deps(request)


def service_deps(request: Request) -> Deps:
    return container(request).deps


async def context(request: Request) -> RequestContext:
    """Authenticate the bearer token on every request (health is the only exception).

    A token this process looked up within ``SLUICE_AUTH_CACHE_SECONDS`` is answered on the event
    loop; any other goes to the database on a worker thread.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    presented = token.strip() if scheme.lower() == "bearer" else None
    deps = service_deps(request)
    principal = cached_principal(deps, presented)
    if principal is None:
        principal = await single_flight(
            request.app,
            ("api", hash_token(presented or "")),
            lambda: run_in_threadpool(authenticate, deps, presented),
        )
    # FastAPI parsed a JSON body before the dependencies ran; judge it only now, after the token.
    body = getattr(request, "_json", None)
    if body is not None:
        check_tree(body, dotted=True)
    return RequestContext(principal, request_id=getattr(request.state, "request_id", None))


ServiceDeps = Annotated[Deps, Depends(_service_deps)]
Ctx = Annotated[RequestContext, Depends(context)]
