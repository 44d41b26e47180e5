"""``GET /api/v1/health``: no authentication; database reachability and the version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from sluicegate import __version__
from sluicegate.api.deps import container
from sluicegate.api.schemas.health import Health

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    summary="Liveness and database reachability (no auth)",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database is unreachable"}},
)
def health(request: Request) -> JSONResponse:
    c = container(request)
    body: dict[str, Any] = {"status": "ok", "version": __version__, "database": "ok"}
    try:
        with c.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        body.update(status="degraded", database=f"unreachable: {type(exc).__name__}")
        return JSONResponse(body, status_code=503)
    body["dialect"] = c.engine.dialect.name
    return JSONResponse(body)
