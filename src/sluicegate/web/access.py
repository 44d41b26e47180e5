"""Sign-in with an API token (the fallback of issue 15; OpenID Connect is a later slice)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from sluicegate.domain.errors import Unauthenticated
from sluicegate.service.access.identity import authenticate
from sluicegate.web.pages import (
    PREFIX,
    UiRoute,
    csrf_refused,
    deps,
    keys,
    render,
    safe_next,
    set_cookie,
)
from sluicegate.web.session import CSRF_COOKIE, SESSION_COOKIE, SessionKeys

__all__ = ["router"]

router = APIRouter(route_class=UiRoute, include_in_schema=False)

#: The longest form body the two forms can need (a token and a path).
_MAX_FORM = 8192


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > _MAX_FORM:
        return {}
    parsed = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    return {k: v[0] for k, v in parsed.items() if v}


def _refused(request: Request) -> Response:
    return render(
        request,
        "error.html",
        {
            "status": 403,
            "title": "The form was refused",
            "message": "It did not carry this browser's CSRF token. Reload the page and try again.",
        },
        status=403,
    )


@router.get(PREFIX + "/signin")
def signin_page(
    request: Request, next_: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    return render(request, "signin.html", {"next": safe_next(next_), "error": None})


@router.post(PREFIX + "/signin")
async def signin(request: Request) -> Response:
    form = await _form(request)
    if csrf_refused(request, form.get("csrf")):
        return _refused(request)
    target = safe_next(form.get("next"))
    token = form.get("token", "").strip()
    try:
        await run_in_threadpool(authenticate, deps(request), token or None)
    except Unauthenticated as exc:
        context = {"next": target, "error": exc.message}
        return render(request, "signin.html", context, status=401)
    response = RedirectResponse(target, 303)
    session_keys = keys(request)
    set_cookie(
        request, response, SESSION_COOKIE, session_keys.seal(token), session_keys.max_age_seconds
    )
    # A fresh CSRF nonce for the signed-in browser (no fixation of the anonymous one).
    set_cookie(request, response, CSRF_COOKIE, SessionKeys.new_nonce(), None)
    return response


@router.post(PREFIX + "/signout")
async def signout(request: Request) -> Response:
    form = await _form(request)
    if csrf_refused(request, form.get("csrf")):
        return _refused(request)
    response = RedirectResponse(PREFIX + "/signin", 303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    response.delete_cookie(CSRF_COOKIE, path=PREFIX)
    return response
