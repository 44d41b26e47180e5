"""``/`` and ``/api/v1/docs`` work offline: a real ``sluice serve`` and headless Chromium.

The docs page used to load Swagger UI from a CDN, so it was blank on a machine without internet
access (issue 12). Chromium runs with every host but loopback unresolvable, so a page that still
reaches for a CDN renders nothing and the test fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.support.binaries import require_binary


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("docs")
    port = _free_port()
    env = {**os.environ, "SLUICE_HOME": str(home / "state")}
    env.pop("SLUICE_DATABASE_URL", None)
    log = (home / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sluicegate", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (home / "serve.log").read_text()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _render(url: str, tmp_path: Path) -> str:
    """The DOM after Chromium ran the page's scripts, with the network off but for loopback."""
    chromium = require_binary("chromium", "/usr/bin/chromium")
    result = subprocess.run(
        [
            str(chromium),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=15000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_docs_page_renders_the_api_without_a_network(base_url: str, tmp_path: Path) -> None:
    page = httpx.get(f"{base_url}/api/v1/docs", timeout=5).text
    assert "cdn." not in page
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in page
    dom = _render(f"{base_url}/api/v1/docs", tmp_path)
    # Swagger UI drew the operations from the OpenAPI document (not just an empty shell).
    assert 'class="swagger-ui' in dom
    assert "opblock" in dom
    assert "/api/v1/experiments" in dom
    assert "Failed to load API definition" not in dom


def test_the_start_page_links_the_docs_the_ofrep_endpoint_and_the_readme(
    base_url: str, tmp_path: Path
) -> None:
    r = httpx.get(f"{base_url}/", timeout=5)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    dom = _render(f"{base_url}/", tmp_path)
    assert 'href="/api/v1/docs"' in dom
    assert "/ofrep/v1/evaluate/flags" in dom
    assert "README.md" in dom
    # The assets are served, and nothing else under them.
    assert httpx.get(f"{base_url}/api/v1/docs/assets/swagger-ui.css", timeout=5).status_code == 200
    assert httpx.get(f"{base_url}/api/v1/docs/assets/nope.js", timeout=5).status_code == 404
