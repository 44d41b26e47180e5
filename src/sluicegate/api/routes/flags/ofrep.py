"""OFREP, the OpenFeature Remote Evaluation Protocol (open-feature/protocol, service/openapi.yaml).

* ``POST /ofrep/v1/evaluate/flags/{key}``: 200 with ``key``/``value``/``reason``/``variant``/
  ``metadata``; 400 ``{key, errorCode, errorDetails}`` for PARSE_ERROR, INVALID_CONTEXT,
  TARGETING_KEY_MISSING and GENERAL; 404 ``{key, errorCode: FLAG_NOT_FOUND, errorDetails}``.
* ``POST /ofrep/v1/evaluate/flags``: 200 ``{flags: [...]}`` with an ``ETag`` over the flag-set
  revision and the evaluation context (``If-None-Match`` gives 304); 400 ``{errorCode,
  errorDetails}`` for a body that is not JSON (PARSE_ERROR) or a bad context (INVALID_CONTEXT).
* Error bodies also carry ``code``, Sluicegate's kebab-case error code (``flag-not-found``...).
* 401 and 403 (the spec gives them no body) answer with problem+json; 429 with ``Retry-After``
  (seconds) when the token's bucket is empty.

A result whose value is the caller's default (DISABLED, or no default variant) carries no
``value`` and ``"variant": null``, so clients fall back to their default.

Which flag set: a flag-scoped token names its own; an unscoped token (viewer and up) names it with
the ``X-Sluicegate-Flag-Set`` header and optionally ``X-Sluicegate-Environment`` (or the query
parameters ``flag_set`` and ``environment``).

The rate limit is a token bucket per API token and per process: with N replicas (or uvicorn
workers) a token may get up to N times ``SLUICE_OFREP_RATE`` requests per second.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route
from starlette.types import ASGIApp, Scope

from sluicegate.api.deps import service_deps
from sluicegate.api.documents import check_tree
from sluicegate.api.problems import problem
from sluicegate.api.routes.flags.runtime import bearer, etag_matches, runtime_for
from sluicegate.api.schemas.flags.ofrep import BulkEvaluation, Evaluation, OfrepError, RateLimited
from sluicegate.api.schemas.problems import problem_responses
from sluicegate.api.singleflight import single_flight
from sluicegate.domain.access.identity import Action
from sluicegate.domain.errors import InvalidInput, NotFound
from sluicegate.flags import ErrorCode, Reason, Resolution
from sluicegate.service import flags as svc
from sluicegate.service.access.identity import hash_token
from sluicegate.service.context import Deps

__all__ = ["install", "router", "scoped_token_refusal"]

#: The OFREP operations as FastAPI declares and documents them (OpenAPI). They are served by
#: :func:`install` through plain Starlette routes instead: FastAPI's per-request machinery
#: (dependency solving, exit stacks) made an evaluation about 1.5x slower than the same
#: function behind a Starlette route (benchmarks/server.py; ADR 0021).
router = APIRouter(prefix="/ofrep/v1", tags=["OFREP"])

_FLAG_SET_HEADER = "x-sluicegate-flag-set"
_ENVIRONMENT_HEADER = "x-sluicegate-environment"
_JSON = "application/json"

# Hot paths (benchmarks/): the bodies are pre-serialised, so these describe them for OpenAPI only.
_AUTH = problem_responses(401, 403, 422)
_RATE: dict[int | str, dict[str, Any]] = {
    429: {"model": RateLimited, "description": "Rate limited; Retry-After says when to retry"}
}
_SINGLE: dict[int | str, dict[str, Any]] = {
    200: {"model": Evaluation},
    400: {"model": OfrepError, "description": "Bad context, or the flag failed to evaluate"},
    404: {"model": OfrepError, "description": "FLAG_NOT_FOUND"},
    **_AUTH,
    **_RATE,
}
_BULK: dict[int | str, dict[str, Any]] = {
    200: {
        "model": BulkEvaluation,
        "description": "Every flag; the ETag covers revision and context",
    },
    304: {"description": "Not modified (If-None-Match matched the ETag)"},
    400: {"model": OfrepError, "description": "Bad body or context, or an unknown flag set"},
    **_AUTH,
    **_RATE,
}


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(data, status_code=status, media_type=_JSON, headers=headers)


def _failure(status: int, code: str, details: str, key: str | None = None) -> Response:
    # ``code`` is Sluicegate's kebab-case error code (as in problem+json, so that one client
    # handles both formats); OFREP clients read errorCode and ignore the extra property.
    body: dict[str, Any] = {
        "errorCode": code,
        "errorDetails": details,
        "code": code.lower().replace("_", "-"),
    }
    if key is not None:
        body = {"key": key, **body}
    return _json(status, body)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _context(raw: bytes) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
    """The evaluation context of a request body, or (error code, details)."""
    if not raw.strip():
        return {}, None
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        return None, (ErrorCode.PARSE_ERROR.value, f"the request body is not valid JSON: {exc}")
    if not isinstance(body, dict):
        return None, (ErrorCode.PARSE_ERROR.value, "the request body must be a JSON object")
    context = body.get("context", {})
    if context is None:
        context = {}
    if not isinstance(context, dict):
        return None, (ErrorCode.INVALID_CONTEXT.value, "context must be a JSON object")
    targeting_key = context.get("targetingKey")
    if targeting_key is not None and not isinstance(targeting_key, str):
        return None, (ErrorCode.INVALID_CONTEXT.value, "context.targetingKey must be a string")
    return context, _unencodable(raw, body)


def _unencodable(raw: bytes, body: dict[str, Any]) -> tuple[str, str] | None:
    """A lone surrogate or NUL in the body, which only a ``\\u`` escape can smuggle in."""
    if b"\\u" not in raw:
        return None
    try:
        check_tree(body)
    except InvalidInput as exc:
        return ErrorCode.INVALID_CONTEXT.value, exc.message
    return None


def _success(key: str, result: Resolution) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key, "reason": result.reason.value, "variant": result.variant}
    if result.value is not None:
        out["value"] = result.value
    out["metadata"] = dict(result.flag_metadata)
    return out


def _outcome(key: str, result: Resolution) -> dict[str, Any]:
    if result.reason is Reason.ERROR:
        code = result.error_code or ErrorCode.GENERAL
        return {"key": key, "errorCode": code.value, "errorDetails": result.error_message or ""}
    return _success(key, result)


async def _prepare(
    request: Request, deps: Deps, key: str | None
) -> tuple[svc.Access, dict[str, Any]] | Response:
    """Authenticate, rate-limit and parse; a Response means the request is answered already."""
    headers = request.headers
    flag_set = headers.get(_FLAG_SET_HEADER) or request.query_params.get("flag_set")
    environment = headers.get(_ENVIRONMENT_HEADER) or request.query_params.get("environment")
    try:
        secret = bearer(request)
        # a flag token seen within SLUICE_AUTH_CACHE_SECONDS: no database, no worker thread
        access = svc.cached_access(deps, secret, flag_set, environment)
        if access is None:
            access = await single_flight(
                request.app,
                ("ofrep", hash_token(secret or ""), flag_set, environment),
                lambda: run_in_threadpool(
                    svc.resolve_access, deps, secret, flag_set, environment, Action.FLAG_EVALUATE
                ),
            )
    except InvalidInput as exc:
        return _failure(400, ErrorCode.GENERAL.value, f"{exc.message}. {exc.hint}", key)
    except NotFound as exc:  # the named flag set does not exist in any environment
        if key is None:
            return _failure(400, ErrorCode.GENERAL.value, exc.message)
        return _failure(404, ErrorCode.FLAG_NOT_FOUND.value, exc.message, key)
    retry = runtime_for(request.app).limiter.retry_after(access.rate_key)
    if retry is not None:
        return _json(
            429,
            {"errorDetails": f"rate limit reached; retry in {retry} s"},
            headers={"Retry-After": str(retry)},
        )
    context, error = _context(await request.body())
    if error is not None or context is None:
        code, details = error or (ErrorCode.GENERAL.value, "no context")
        return _failure(400, code, details, key)
    return access, context


@router.post("/evaluate/flags/{key}", summary="OFREP single flag evaluation", responses=_SINGLE)
async def evaluate_flag(key: str, request: Request) -> Response:
    deps = service_deps(request)  # not a FastAPI dependency: solving one costs every request
    prepared = await _prepare(request, deps, key)
    if isinstance(prepared, Response):
        return prepared
    access, context = prepared
    if access.head is None:
        details = f"flag set {access.flag_set!r} not found in {access.environment!r}"
        return _failure(404, ErrorCode.FLAG_NOT_FOUND.value, details, key)
    compiled = await runtime_for(request.app).cache.compiled(deps, access.head)
    result = compiled.evaluate(key, context)
    if result.reason is not Reason.ERROR:
        return _json(200, _success(key, result))
    code = result.error_code or ErrorCode.GENERAL
    status = 404 if code is ErrorCode.FLAG_NOT_FOUND else 400
    return _failure(status, code.value, result.error_message or code.value, key)


def _bulk_etag(revision: str, context: dict[str, Any]) -> str:
    canonical = json.dumps(context, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(f"{revision}\n{canonical}".encode()).hexdigest()
    return f'"{digest[:40]}"'


@router.post(
    "/evaluate/flags",
    summary="OFREP bulk evaluation (ETag over revision and context)",
    responses=_BULK,
)
async def evaluate_flags(request: Request) -> Response:
    deps = service_deps(request)
    prepared = await _prepare(request, deps, None)
    if isinstance(prepared, Response):
        return prepared
    access, context = prepared
    if access.head is None:
        details = f"flag set {access.flag_set!r} not found in {access.environment!r}"
        return _failure(400, ErrorCode.GENERAL.value, details)
    compiled = await runtime_for(request.app).cache.compiled(deps, access.head)
    etag = _bulk_etag(compiled.revision, context)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers={"ETag": etag})
    flags = [_outcome(k, r) for k, r in compiled.evaluate_all(context).items()]
    return _json(200, {"flags": flags}, headers={"ETag": etag})


def _served(endpoint: Any) -> Any:
    """``endpoint(**path_params, request=request)`` as a Starlette endpoint."""

    async def serve(request: Request) -> Response:
        response: Response = await endpoint(**request.path_params, request=request)
        return response

    serve.__name__ = serve.__qualname__ = endpoint.__name__
    return serve


def install(app: FastAPI) -> None:
    """Serve the operations of :data:`router` at the front of the app's routes, as Starlette
    routes over the same functions, and put their documentation into the app's OpenAPI.

    The same middleware and exception handlers apply as to any route; what is skipped is
    FastAPI's request handler, which these endpoints do not need (they take the Request,
    parse their own bodies and return a Response).
    """
    served: list[Route] = []
    for route in router.routes:
        assert isinstance(route, APIRoute)
        methods = sorted(route.methods or ())
        served.append(Route(route.path, _served(route.endpoint), methods=methods))
    app.router.routes[0:0] = served
    app.state.documented_routes = [*getattr(app.state, "documented_routes", []), *router.routes]


_GUARD_ALLOWED = ("/ofrep/", "/api/v1/sync/")


async def scoped_token_refusal(scope: Scope, headers: dict[bytes, bytes]) -> ASGIApp | None:
    """Flag-scoped tokens (``sgf_...``) may call OFREP and the sync endpoints only: 403 elsewhere.

    A prefix check on the header (an :class:`~sluicegate.api.middleware.EdgeMiddleware`
    refusal), so it costs no database round trip.
    """
    if str(scope.get("path", "")).startswith(_GUARD_ALLOWED):
        return None
    auth = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip().startswith(svc.FLAG_TOKEN_PREFIX):
        return problem(
            403,
            "forbidden",
            "Forbidden",
            "a flag-scoped token may call only OFREP and the flag sync endpoints",
            hint="Use a personal API token (`sluice token create`) for this endpoint.",
            request_id=scope.get("state", {}).get("request_id"),
        )
    return None
