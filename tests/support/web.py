"""Helpers for the dashboard's tests (tests/integration/test_web_pages.py, tests/browser/)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi.testclient import TestClient

from sluicegate.api.app import create_app
from sluicegate.bootstrap import Container, Settings, prepare
from sluicegate.service import experiments
from sluicegate.service.access import identity
from sluicegate.service.context import RequestContext
from sluicegate.service.demo import load_demo

__all__ = [
    "CHROMIUM_ARGS",
    "HOSTILE",
    "csrf_of",
    "demo_server",
    "free_port",
    "propose_hostile",
    "serve",
    "sign_in",
]

#: How the browser tests launch the system Chromium (never a downloaded browser).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

#: Free text that must render as text.
HOSTILE = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, token: str) -> Any:
    """Sign ``client`` in through the form; returns the POST's response (a 303 on success)."""
    page = client.get("/ui/signin")
    return client.post(
        "/ui/signin",
        data={"token": token, "csrf": csrf_of(page.text), "next": "/ui/"},
        follow_redirects=False,
    )


def propose_hostile(container: Container, admin_token: str, key: str = "xss-probe") -> str:
    """An experiment whose free-text fields hold ``HOSTILE``, proposed through the service."""
    deps = container.deps
    admin = RequestContext(identity.authenticate(deps, admin_token))
    doc = {
        "key": key,
        "title": f"Probe {HOSTILE[0]} {HOSTILE[1]}",
        "summary": f"Summary {HOSTILE[1]} {HOSTILE[0]}",
        "hypothesis": f"Hypothesis {HOSTILE[0]}",
        "kind": "feature",
        "category": "greenfield",
        "owner_team": "payments",
        "services": ["checkout"],
        "risk": {
            "data_classification": "internal",
            "user_impact": "internal",
            "system_criticality": "low",
        },
        "rollback_plan": {
            "steps": [f"Undo {HOSTILE[0]}"],
            "automated": True,
            "expected_minutes": 5,
        },
        "success_criteria": [{"metric": "conversion_rate", "target": "+2%"}],
    }
    return experiments.propose(deps, admin, doc).key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(container: Container) -> Iterator[str]:
    """``container``'s app on a loopback port, in a thread; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(container, run_jobs=False), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@contextmanager
def demo_server(home: Path) -> Iterator[tuple[str, str]]:
    """A server holding ``make run``'s demo data (service/demo.py); yields its URL and the
    admin's token."""
    container = prepare(Settings(home=home))
    try:
        deps = container.deps
        _admin, issued = identity.init_admin(deps, "admin", "Demo Admin")
        load_demo(deps, RequestContext(identity.authenticate(deps, issued.secret)))
        with serve(container) as url:
            yield url, issued.secret
    finally:
        container.close()
