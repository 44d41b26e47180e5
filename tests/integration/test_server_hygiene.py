"""The server's files are private, a client that leaves is not an error, and access logs carry
no query values (issue 11, section 3)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from tests.support.app import Harness

from sluicegate.api.app import create_app
from sluicegate.bootstrap import Settings, prepare


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_home_is_0700_and_the_database_wal_and_shm_are_0600(
    tmp_path: Path, loose_umask: None
) -> None:
    del loose_umask
    home = tmp_path / "new" / "home"
    container = prepare(Settings(home=home))
    try:
        with container.engine.begin() as conn:  # a write, so the WAL and its index exist
            conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
            conn.execute(text("INSERT INTO scratch VALUES (1)"))
        assert _mode(home) == 0o700
        database = home / "sluicegate.db"
        for path in (database, home / "sluicegate.db-wal", home / "sluicegate.db-shm"):
            assert path.exists(), path
            assert _mode(path) == 0o600, (path, oct(_mode(path)))
        assert _mode(home / "audit-ed25519.pem") == 0o600
    finally:
        container.close()


def test_an_existing_world_readable_database_is_narrowed(tmp_path: Path, loose_umask: None) -> None:
    del loose_umask
    home = tmp_path / "home"
    prepare(Settings(home=home)).close()
    database = home / "sluicegate.db"
    database.chmod(0o644)
    prepare(Settings(home=home)).close()
    assert _mode(database) == 0o600


def _disconnecting_request(app: Any, path: str, token: str) -> list[dict[str, Any]]:
    """Send headers and half a body over ASGI, then disconnect; the messages the app sent."""
    sent: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"key: half-", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/yaml"),
            (b"content-length", b"100"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    return sent


def test_a_client_disconnect_is_not_an_unexpected_error(
    sqlite_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    app = sqlite_harness.client.app
    caplog.set_level(logging.INFO)
    _disconnecting_request(app, "/api/v1/experiments", sqlite_harness.tokens["alice"])
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert errors == [], [r.getMessage() for r in errors]
    assert not any(r.exc_info for r in caplog.records)
    assert any("client disconnected" in r.getMessage() for r in caplog.records)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_access_logs_redact_query_strings(
    sqlite_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:

    app = create_app(sqlite_harness.container, run_jobs=False)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started
        headers = sqlite_harness.headers("erin")
        url = f"http://127.0.0.1:{port}/api/v1/experiments?team=s3cret-team&state=proposed"
        assert httpx.get(url, headers=headers, timeout=10).status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert lines, "uvicorn wrote no access log line"
    assert all("s3cret" not in line for line in lines), lines
    assert any("/api/v1/experiments?team=[redacted]&state=[redacted]" in ln for ln in lines)
    from sluicegate.api.middleware import redact_query

    assert redact_query("/a?token=s3cret&x") == "/a?token=[redacted]&x=[redacted]"
    assert redact_query("/a") == "/a"
