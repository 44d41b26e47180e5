"""The dashboard's routes under ``/ui`` (issue 15), served by the API's process.

``api/app.py`` includes :data:`router`; none of its routes is in the OpenAPI document.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response

from sluicegate.web import access, delivery, experiments
from sluicegate.web.pages import PREFIX, UiRoute, render

__all__ = ["router"]

_CSS = (Path(__file__).parent / "static" / "dashboard.css").read_bytes()

router = APIRouter(route_class=UiRoute, include_in_schema=False)


@router.get(PREFIX + "/static/dashboard.css")
def stylesheet() -> Response:
    return Response(_CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get(PREFIX)
def root() -> Response:
    return Response(status_code=308, headers={"Location": PREFIX + "/"})


router.include_router(access.router)
router.include_router(experiments.router)
router.include_router(delivery.router)


@router.api_route(PREFIX + "/{rest:path}", methods=["GET", "POST"])
def not_found(request: Request) -> Response:
    context = {
        "status": 404,
        "title": "Not found",
        "message": "No dashboard page has this address.",
    }
    return render(request, "error.html", context, status=404)
