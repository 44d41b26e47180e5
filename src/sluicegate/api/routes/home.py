"""The public pages: ``/`` (a small start page) and the API docs with assets served locally.

Swagger UI's JavaScript and CSS come from the ``fastapi-offline`` package, as FastAPI's
"self-hosting JavaScript and CSS for docs" recipe does, so ``/api/v1/docs`` renders on a machine
without internet access. These pages hold no data: they are public like ``/api/v1/health``.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from sluicegate import __version__

__all__ = ["ASSETS", "DOCS", "install"]

#: Where the docs page and its assets are served.
DOCS = "/api/v1/docs"
ASSETS = DOCS + "/assets"
_STATIC = Path(fastapi_offline.__file__).parent / "static"

router = APIRouter(include_in_schema=False)

_HOME = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluicegate</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto;
       padding: 0 1rem; color: #1b1f24; }}
code {{ background: #f0f2f4; padding: 0 .25rem; border-radius: 3px; }}
</style>
</head>
<body>
<main>
<h1>Sluicegate {version}</h1>
<p>The control plane for governed innovation: intake, risk, gates, flags, rollouts and the
audit ledger. The dashboard is coming; until then:</p>
<ul>
<li><a href="{docs}">API documentation</a> (try the endpoints with a token)</li>
<li><a href="/api/v1/openapi.json">OpenAPI document</a></li>
<li>OFREP flag evaluation: <code>POST /ofrep/v1/evaluate/flags/{{key}}</code> and
<code>POST /ofrep/v1/evaluate/flags</code> (docs/ofrep.md)</li>
<li><a href="/api/v1/health">Health</a></li>
<li>The command line: <code>.venv/bin/sluice --help</code>; the walkthrough is in the
repository's README.md</li>
</ul>
</main>
</body>
</html>
"""


@router.get("/", response_class=HTMLResponse)
def home() -> HTMLResponse:
    return HTMLResponse(_HOME.format(version=escape(__version__), docs=DOCS))


@router.get(DOCS, response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/api/v1/openapi.json",
        title="Sluicegate API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
    )


def install(app: FastAPI) -> None:
    """Serve ``/``, the docs page and its assets (create the app with ``docs_url=None``)."""
    app.include_router(router)
    app.mount(ASSETS, StaticFiles(directory=_STATIC), name="docs-assets")
