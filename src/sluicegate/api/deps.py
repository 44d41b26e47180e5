"""FastAPI dependencies: the container, and the authenticated request context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sluicegate.api.documents import check_tree
from sluicegate.bootstrap import Container
from sluicegate.service.access.identity import authenticate
from sluicegate.service.context import Deps, RequestContext

__all__ = ["Ctx", "ServiceDeps", "container", "context", "service_deps"]


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


def service_deps(request: Request) -> Deps:
    return container(request).deps


def context(request: Request) -> RequestContext:
    """Authenticate the bearer token on every request (health is the only exception)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    presented = token.strip() if scheme.lower() == "bearer" else None
    principal = authenticate(service_deps(request), presented)
    # FastAPI parsed a JSON body before the dependencies ran; judge it only now, after the token.
    body = getattr(request, "_json", None)
    if body is not None:
        check_tree(body)
    return RequestContext(principal, request_id=getattr(request.state, "request_id", None))


ServiceDeps = Annotated[Deps, Depends(service_deps)]
Ctx = Annotated[RequestContext, Depends(context)]
