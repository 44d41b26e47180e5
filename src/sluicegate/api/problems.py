"""RFC 9457 problem+json: the one table that maps domain errors to HTTP statuses."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from sluicegate.api.documents import UnsupportedMediaType, is_json, media_type
from sluicegate.api.ratelimit import RateLimited
from sluicegate.domain import errors as e

__all__ = ["STATUS", "install", "problem", "status_for"]

log = logging.getLogger("sluicegate.api")

#: Error class -> HTTP status. Subclasses inherit their parent's status (the first class of the
#: MRO that is listed wins); the root maps to 400 as before.
STATUS: dict[type[e.SluicegateError], int] = {
    e.SluicegateError: 400,
    e.InvalidInput: 422,
    e.MalformedDocument: 400,
    UnsupportedMediaType: 415,
    e.NotFound: 404,
    e.Conflict: 409,
    e.InvalidTransition: 409,
    e.ApprovalRequired: 409,
    e.SelfApproval: 403,
    e.Unauthenticated: 401,
    e.Forbidden: 403,
    e.Unavailable: 503,
    RateLimited: 429,
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


#: Paths that answer without a token; everything else authenticates before its input is judged.
_OPEN = ("/api/v1/health", "/api/v1/openapi.json", "/api/v1/docs")
_FLAG_TOKEN_PATHS = ("/ofrep/", "/api/v1/sync/")


async def _authentication_problem(request: Request) -> e.SluicegateError | None:
    """The Unauthenticated error of a request whose input was refused before its token was
    looked at (FastAPI validates a body before it runs the dependencies), else None.

    So an anonymous client learns only that it needs a token, never how a body is judged.
    """
    from sluicegate.service.access.identity import authenticate

    path = request.url.path
    if path in _OPEN:
        return None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    presented = token.strip() if scheme.lower() == "bearer" else None
    if presented and presented.startswith("sgf_") and path.startswith(_FLAG_TOKEN_PATHS):
        return None  # a flag-scoped token: the flag routes authenticate it themselves
    try:
        await run_in_threadpool(authenticate, request.app.state.container.deps, presented)
    except e.SluicegateError as exc:
        return exc
    return None


def _allowed_methods(request: Request) -> list[str]:
    """Every method the OpenAPI document lists at this request's path (plus HEAD with GET)."""
    app = request.app
    table: list[tuple[re.Pattern[str], bool, set[str]]] | None = getattr(
        app.state, "allow_table", None
    )
    if table is None:
        table = []
        for template, ops in app.openapi()["paths"].items():
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            methods = {m.upper() for m in ops}
            if "GET" in methods:
                methods.add("HEAD")
            table.append((re.compile(pattern), "{" not in template, methods))
        app.state.allow_table = table
    path = request.url.path
    matches = [(literal, methods) for pattern, literal, methods in table if pattern.fullmatch(path)]
    # a literal path (/processes/validate) is its own resource, not an instance of /processes/{name}
    chosen = [methods for literal, methods in matches if literal] or [m for _, m in matches]
    return sorted({m for methods in chosen for m in methods})


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
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after)}
            extra["retry_after"] = exc.retry_after
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
        unauthenticated = await _authentication_problem(request)
        if unauthenticated is not None:
            return await _domain(request, unauthenticated)
        ctype = media_type(request.headers.get("content-type"))
        if not is_json(ctype) and await request.body():
            return await _domain(
                request,
                UnsupportedMediaType(
                    f"unsupported content type {ctype or '(none)'!r}: this endpoint reads JSON",
                    errors=[e.FieldError("content-type", "use application/json")],
                ),
            )
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
        headers = dict(exc.headers or {})
        errors = None
        if exc.status_code == 400:
            # FastAPI's own body parser failed (nesting too deep, an over-long integer...)
            unauthenticated = await _authentication_problem(request)
            if unauthenticated is not None:
                return await _domain(request, unauthenticated)
            cause = exc.__cause__
            reason = "nested too deeply" if isinstance(cause, RecursionError) else str(cause)
            errors = [{"field": "body", "reason": reason or "not valid JSON"}]
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        code = {
            400: "malformed-document",
            404: "not-found",
            405: "method-not-allowed",
            413: "payload-too-large",
        }.get(exc.status_code, "http-error")
        return problem(
            exc.status_code,
            code,
            code.replace("-", " ").capitalize(),
            str(exc.detail),
            errors=errors,
            request_id=_request_id(request),
            headers=headers or None,
        )

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _exc: ClientDisconnect) -> JSONResponse:
        # The client left before it sent its whole body: nothing failed here, and no one is
        # left to read an answer. One line at INFO, no traceback.
        log.info(
            "client disconnected before the request was read: %s %s",
            request.method,
            request.url.path,
            extra={"request_id": _request_id(request)},
        )
        return problem(
            400,
            "client-disconnected",
            "ClientDisconnected",
            "the client disconnected before the request body was read",
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
