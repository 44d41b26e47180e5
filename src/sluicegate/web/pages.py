"""What every dashboard page shares: templates, security headers, the signed-in principal.

Each view calls the same service use cases as the API. A service refusal becomes a page: no
session (or a revoked token) redirects to the sign-in page, ``Forbidden`` is a readable 403,
invalid input a 400. Every ``/ui`` response carries the strict Content-Security-Policy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sluicegate.bootstrap import Container
from sluicegate.domain.errors import Forbidden, NotFound, Unauthenticated
from sluicegate.errors import InvalidInput
from sluicegate.service.access.identity import authenticate
from sluicegate.service.context import Deps, RequestContext
from sluicegate.web.session import CSRF_COOKIE, SESSION_COOKIE, SessionKeys, load_keys

__all__ = [
    "CSP",
    "PREFIX",
    "UiRoute",
    "container",
    "csrf_refused",
    "deps",
    "keys",
    "render",
    "require_session",
    "safe_next",
    "set_cookie",
    "signin_redirect",
]

PREFIX = "/ui"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
_TEMPLATES = Path(__file__).parent / "templates"


def _duration(seconds: float | None) -> str:
    """Seconds as a short human duration (the exact figure is in the cell's data-value)."""
    if seconds is None:
        return "no data"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _percent(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.1f} %"


def _number(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.{digits}f}"


def _when(value: datetime | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M UTC")


_ENV = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
_ENV.filters.update(duration=_duration, percent=_percent, number=_number, when=_when)


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


def deps(request: Request) -> Deps:
    return container(request).deps


def keys(request: Request) -> SessionKeys:
    """The install's session key, loaded (or created) once per app."""
    found: SessionKeys | None = getattr(request.app.state, "ui_session_keys", None)
    if found is None:
        settings = container(request).settings
        found = load_keys(settings.home, settings.ui_session_hours)
        request.app.state.ui_session_keys = found
    return found


def set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _nonce(request: Request) -> tuple[str, bool]:
    """The CSRF nonce of this browser, and whether it is new (to be set as a cookie)."""
    found = getattr(request.state, "ui_csrf_nonce", None) or request.cookies.get(CSRF_COOKIE)
    if found and len(found) <= 100:
        return found, False
    return SessionKeys.new_nonce(), True


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    principal: RequestContext | None = None,
) -> HTMLResponse:
    """A page from ``template``; every form on it gets this browser's CSRF token."""
    session_keys = keys(request)
    nonce, new = _nonce(request)
    html = _ENV.get_template(template).render(
        {
            **(context or {}),
            "csrf": session_keys.csrf_for(nonce),
            "me": None if principal is None else principal.principal,
            "path": request.url.path,
        }
    )
    response = HTMLResponse(html, status_code=status)
    if new:
        set_cookie(request, response, CSRF_COOKIE, nonce, None)
    return response


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of the dashboard, never another site."""
    if not value or not value.startswith(PREFIX + "/") or value.startswith("//"):
        return PREFIX + "/"
    if "\\" in value or any(ord(c) < 0x20 for c in value):
        return PREFIX + "/"
    return value


def signin_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"{PREFIX}/signin?next={quote(safe_next(target))}", 303)
    if SESSION_COOKIE in request.cookies:
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


def _origin_ok(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin in {f"http://{host}", f"https://{host}"}


def csrf_refused(request: Request, presented: str | None) -> bool:
    """True unless the form's token matches this browser's nonce and the origin is ours."""
    nonce = request.cookies.get(CSRF_COOKIE)
    return not (_origin_ok(request) and keys(request).csrf_valid(nonce, presented))


def require_session(request: Request) -> RequestContext:
    """The dependency of every signed-in page: the session's token, authenticated again."""
    token = keys(request).open(request.cookies.get(SESSION_COOKIE))
    if token is None:
        raise Unauthenticated("sign in to use the dashboard")
    return RequestContext(authenticate(deps(request), token))


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(
        request, "error.html", {"status": status, "title": title, "message": message}, status=status
    )


class UiRoute(APIRoute):
    """A dashboard route: service errors become pages, and every response is hardened."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            response: Response
            try:
                response = await original(request)
            except Unauthenticated:
                response = signin_redirect(request)
            except Forbidden as exc:
                response = _error_page(request, 403, "You may not see this page", exc.message)
            except NotFound as exc:
                response = _error_page(request, 404, "Not found", exc.message)
            except InvalidInput as exc:
                detail = "; ".join(f"{e.field}: {e.reason}" for e in exc.errors)
                response = _error_page(request, 400, "Invalid request", detail or exc.message)
            except RequestValidationError:
                response = _error_page(request, 400, "Invalid request", "check the page's fields")
            for name, value in _HEADERS.items():
                response.headers[name] = value
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return handler
