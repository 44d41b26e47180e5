"""RFC 9457 problem+json: the one table that maps domain errors to HTTP statuses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sluicegate.domain import errors as e

__all__ = ["STATUS", "install", "problem", "status_for"]

log = logging.getLogger("sluicegate.api")

#: Error class -> HTTP status. Subclasses inherit their parent's status (the first class of the
#: MRO that is listed wins); the root maps to 400 as before.
STATUS: dict[type[e.SluicegateError], int] = {
    e.SluicegateError: 400,
    e.InvalidInput: 422,
    e.MalformedDocument: 400,
    e.NotFound: 404,
    e.Conflict: 409,
    e.InvalidTransition: 409,
    e.ApprovalRequired: 409,
    e.SelfApproval: 403,
    e.Unauthenticated: 401,
    e.Forbidden: 403,
    e.Unavailable: 503,
}

MEDIA_TYPE = "application/problem+json"


def status_for(cls: type[e.SluicegateError]) -> int:
    """The HTTP status of an error class: the entry of the first listed class in its MRO."""
    return next(STATUS[c] for c in cls.__mro__ if c in STATUS)


def _status_for(exc: e.SluicegateError) -> int:
    return status_for(type(exc))


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    hint: str = "",
    errors: list[dict[str, str]] | None = None,
    request_id: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:sluicegate:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if hint:
        body["hint"] = hint
    if errors:
        body["errors"] = errors
    if request_id:
        body["request_id"] = request_id
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def install(app: FastAPI) -> None:
    @app.exception_handler(e.SluicegateError)
    async def _domain(request: Request, exc: e.SluicegateError) -> JSONResponse:
        status = _status_for(exc)
        extra: dict[str, Any] = {}
        if isinstance(exc, e.InvalidTransition):
            extra["allowed"] = list(exc.allowed)
        if isinstance(exc, e.ApprovalRequired):
            extra["missing"] = list(exc.missing)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return problem(
            status,
            exc.code,
            exc.title or type(exc).__name__,
            exc.message,
            hint=exc.hint,
            errors=[fe.to_dict() for fe in exc.errors],
            request_id=_request_id(request),
            extra=extra,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
            errors.append({"field": ".".join(loc) or "body", "reason": str(err.get("msg"))})
        return problem(
            422,
            "invalid-input",
            "InvalidInput",
            f"the request is invalid: {len(errors)} problem(s)",
            hint="Fix the named fields and send the request again.",
            errors=errors,
            request_id=_request_id(request),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(
            exc.status_code, "http-error"
        )
        return problem(
            exc.status_code,
            code,
            code.replace("-", " ").capitalize(),
            str(exc.detail),
            request_id=_request_id(request),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error", exc_info=exc, extra={"request_id": _request_id(request)})
        return problem(
            500,
            "internal-error",
            "InternalError",
            "an unexpected error occurred; it has been logged",
            hint="Quote the request_id when you report it.",
            request_id=_request_id(request),
        )
