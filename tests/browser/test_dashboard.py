"""The dashboard in the system Chromium: sign-in, pages, CSRF, XSS, keyboard, axe-core."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Page
from tests.support.web import HOSTILE, free_port

from sluicegate.web.pages import CSP

pytestmark = pytest.mark.chromium

VENDOR = Path(__file__).parent / "vendor"
AXE = VENDOR / "axe.min.js"
#: axe-core 4.14.1 from npm (MPL-2.0, vendor/axe-core.LICENSE); update both together.
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
ROOT = Path(__file__).resolve().parents[2]


def _sign_in(page: Page, base: str, token: str) -> None:
    page.goto(f"{base}/ui/")
    assert "/ui/signin" in page.url
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/ui/")


def _shot(page: Page, artifacts: Path, name: str) -> None:
    artifacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def test_sign_in_filter_search_and_sign_out(
    page: Page, server: tuple[str, dict[str, str]], artifacts: Path
) -> None:
    base, tokens = server
    page.goto(f"{base}/ui/signin")
    _shot(page, artifacts, "signin")
    for key in ("ui-probe-a", "ui-probe-b"):
        _propose(base, tokens, key, f"Probe {key}")
    _sign_in(page, base, tokens["admin"])
    assert page.get_by_role("heading", name="Portfolio").is_visible()
    assert page.locator('tr[data-key="ui-probe-a"]').count() == 1
    page.select_option("#f-state", "proposed")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**state=proposed**")
    assert page.locator('tr[data-key="ui-probe-a"]').count() == 1
    page.select_option("#f-state", "approved")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**state=approved**")
    assert page.locator('tr[data-key="ui-probe-a"]').count() == 0
    page.goto(f"{base}/ui/")
    page.fill("#f-q", "probe-b")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**q=probe-b**")
    assert page.locator('tr[data-key="ui-probe-b"]').count() == 1
    assert page.locator('tr[data-key="ui-probe-a"]').count() == 0
    _shot(page, artifacts, "portfolio-filtered")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/ui/signin")
    page.goto(f"{base}/ui/")
    assert "/ui/signin" in page.url


def _propose(base: str, tokens: dict[str, str], key: str, title: str, summary: str = "") -> None:
    doc = {
        "key": key,
        "title": title,
        "summary": summary or f"About {key}.",
        "hypothesis": "It helps.",
        "kind": "feature",
        "category": "greenfield",
        "owner_team": "payments",
        "services": ["checkout"],
        "risk": {
            "data_classification": "internal",
            "user_impact": "internal",
            "system_criticality": "low",
        },
        "rollback_plan": {"steps": ["Turn it off"], "automated": True, "expected_minutes": 5},
        "success_criteria": [{"metric": "conversion_rate", "target": "+2%"}],
    }
    r = httpx.post(
        f"{base}/api/v1/experiments",
        json=doc,
        headers={"authorization": f"Bearer {tokens['admin']}"},
    )
    assert r.status_code == 201, r.text


def test_a_revoked_token_sends_the_browser_back_to_sign_in(
    page: Page, server: tuple[str, dict[str, str]]
) -> None:
    base, tokens = server
    admin = {"authorization": f"Bearer {tokens['admin']}"}
    issued = httpx.post(f"{base}/api/v1/tokens", json={"name": "browser"}, headers=admin).json()
    _sign_in(page, base, issued["token"])
    r = httpx.post(f"{base}/api/v1/tokens/{issued['id']}/revoke", json={}, headers=admin)
    assert r.status_code == 200, r.text
    page.goto(f"{base}/ui/delivery")
    assert "/ui/signin" in page.url


@contextmanager
def _other_origin(html: str) -> Iterator[str]:
    """A page served by a second local http.server (another origin)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("target", ["signout", "signin"])
def test_a_cross_site_post_does_not_succeed(
    page: Page, server: tuple[str, dict[str, str]], target: str
) -> None:
    base, tokens = server
    _sign_in(page, base, tokens["admin"])
    # An auto-submitting form (the other site's own script; the attack, not the dashboard).
    attack = (
        f'<form id="f" method="post" action="{base}/ui/{target}">'
        f'<input name="token" value="{tokens["admin"]}"></form>'
        "<script>document.getElementById('f').submit()</script>"
    )
    with _other_origin(attack) as url:
        with page.expect_response(f"{base}/ui/{target}") as answer:
            page.goto(url)
        assert answer.value.status == 403
    page.goto(f"{base}/ui/")
    assert page.url == f"{base}/ui/"  # still signed in: the sign-out did not happen


def test_hostile_text_renders_as_text(page: Page, server: tuple[str, dict[str, str]]) -> None:
    base, tokens = server
    _propose(base, tokens, "ui-xss", f"X {HOSTILE[0]} {HOSTILE[1]}", f"S {HOSTILE[1]} {HOSTILE[0]}")
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    _sign_in(page, base, tokens["admin"])
    response = page.goto(f"{base}/ui/?q={HOSTILE[1]}")
    assert response is not None
    assert response.headers["content-security-policy"] == CSP
    row = page.locator('tr[data-key="ui-xss"] td.title')
    assert HOSTILE[0] in row.inner_text()
    assert HOSTILE[1] in row.inner_text()
    assert page.locator("img").count() == 0
    page.goto(f"{base}/ui/")
    page.wait_for_timeout(200)
    assert dialogs == []


def test_the_main_navigation_is_reachable_with_tab(
    page: Page, server: tuple[str, dict[str, str]]
) -> None:
    base, tokens = server
    _sign_in(page, base, tokens["admin"])
    reached = []
    for _ in range(6):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert "Portfolio" in reached
    assert "Delivery" in reached
    page.goto(f"{base}/ui/")
    for _ in range(reached.index("Delivery") + 1):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/ui/delivery")


def _figures(page: Page, key: str) -> dict[str, float]:
    cells = page.locator(f'section[data-metric="{key}"] dd[data-field]')
    return {
        cells.nth(i).get_attribute("data-field") or "": float(
            cells.nth(i).get_attribute("data-value") or "nan"
        )
        for i in range(cells.count())
    }


def test_delivery_shows_the_api_figures(page: Page, demo: tuple[str, str], artifacts: Path) -> None:
    base, token = demo
    api = httpx.get(
        f"{base}/api/v1/delivery/metrics", headers={"authorization": f"Bearer {token}"}
    ).json()
    _sign_in(page, base, token)
    page.goto(f"{base}/ui/delivery")
    _shot(page, artifacts, "delivery")
    compared = 0
    for key in (
        "deployment_frequency",
        "lead_time",
        "change_fail_rate",
        "recovery_time",
        "rework_rate",
    ):
        shown = _figures(page, key)
        assert shown, f"{key}: the demo has data, the page shows none"
        for field, value in shown.items():
            assert value == pytest.approx(api[key][field]), (key, field)
            compared += 1
    assert compared >= 15
    rows = page.locator("table.trend tbody tr")
    assert rows.count() >= 12
    page.get_by_role("link", name="What lead time for changes counts").click()
    page.wait_for_url(f"{base}/ui/delivery/lead-time")
    assert _figures(page, "lead_time") == _figures_of(api["lead_time"])
    assert page.locator("table.facts tbody tr").count() > 0
    _shot(page, artifacts, "delivery-lead-time")


def _figures_of(figure: dict[str, float]) -> dict[str, object]:
    return {k: pytest.approx(v) for k, v in figure.items() if k in {"n", "median", "p75", "p90"}}


def test_the_portfolio_screenshot_of_the_demo(
    page: Page, demo: tuple[str, str], artifacts: Path
) -> None:
    base, token = demo
    _sign_in(page, base, token)
    assert page.locator('tr[data-key="checkout-redesign"]').count() == 1
    _shot(page, artifacts, "portfolio")
    page.set_viewport_size({"width": 1280, "height": 860})
    # the README's screenshot is refreshed on request only, so a test run leaves the tree clean
    target = (
        ROOT / "docs" / "dashboard-portfolio.png"
        if os.environ.get("SLUICE_UPDATE_SCREENSHOTS") == "1"
        else artifacts / "dashboard-portfolio.png"
    )
    page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000


def test_the_vendored_axe_core_is_the_pinned_one() -> None:
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256
    assert f"axe v{AXE_VERSION}" in AXE.read_text()[:200]
    assert "Mozilla Public License" in (VENDOR / "axe-core.LICENSE").read_text()


@pytest.mark.parametrize("path", ["/ui/signin", "/ui/", "/ui/delivery", "/ui/delivery/cfr"])
def test_no_serious_accessibility_violations(
    browser: Browser, demo: tuple[str, str], path: str
) -> None:
    base, token = demo
    # axe is injected as an inline script, which the dashboard's CSP rightly blocks.
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        _sign_in(page, base, token)
        page.goto(f"{base}{path}")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => JSON.stringify(await axe.run())")
        violations = [
            (v["id"], v["impact"], len(v["nodes"]))
            for v in json.loads(result)["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        assert violations == []
    finally:
        context.close()
