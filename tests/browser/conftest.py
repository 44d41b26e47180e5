"""Live servers on loopback and the system Chromium, driven by Playwright (no browser download)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from tests.support.binaries import require_binary
from tests.support.schemathesis_run import live_server
from tests.support.web import CHROMIUM_ARGS, demo_server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = require_binary("chromium", "/usr/bin/chromium")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The seeded server of the schemathesis run: its URL and the users' tokens."""
    with live_server(tmp_path_factory.mktemp("home")) as found:
        yield found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server holding ``make run``'s demo data: its URL and the admin's token."""
    with demo_server(tmp_path_factory.mktemp("demo")) as found:
        yield found


@pytest.fixture
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go (under pytest's tmp dir)."""
    return tmp_path_factory.getbasetemp() / "screenshots"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()
