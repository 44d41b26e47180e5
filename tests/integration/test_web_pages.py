"""The dashboard without a browser: sign-in, cookies, CSRF, CSP, escaping and refusals."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.support.app import Harness
from tests.support.web import HOSTILE, csrf_of, propose_hostile, sign_in

from sluicegate.api.app import create_app
from sluicegate.domain.errors import Forbidden
from sluicegate.service import experiments
from sluicegate.web.pages import CSP
from sluicegate.web.session import CSRF_COOKIE, KEY_FILE, SESSION_COOKIE

PAGES = ("/ui/", "/ui/delivery", "/ui/delivery/lead-time")


def _signed_in(harness: Harness, who: str = "admin") -> TestClient:
    assert sign_in(harness.client, harness.tokens[who]).status_code == 303
    return harness.client


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_an_anonymous_visitor_to_sign_in(harness: Harness, path: str) -> None:
    r = harness.client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/ui/signin?next=")
    assert r.headers["content-security-policy"] == CSP


def test_an_api_token_header_does_not_open_the_dashboard(harness: Harness) -> None:
    r = harness.call("admin", "GET", "/ui/", follow_redirects=False)
    assert r.status_code == 303


@pytest.mark.parametrize("path", [*PAGES, "/ui/signin", "/ui/static/dashboard.css", "/ui/nope"])
def test_every_ui_response_carries_the_csp(harness: Harness, path: str) -> None:
    client = _signed_in(harness)
    r = client.get(path, follow_redirects=False)
    assert r.status_code == (404 if path == "/ui/nope" else 200), r.text
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in r.text


def test_sign_in_sets_a_strict_http_only_session_cookie(harness: Harness) -> None:
    r = sign_in(harness.client, harness.tokens["erin"])
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/"
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
    for flag in ("HttpOnly", "SameSite=strict", "Path=/ui", "Max-Age=28800"):
        assert flag in session
    assert "Secure" not in session  # plain http
    assert harness.tokens["erin"] not in session  # encrypted, not the token in clear
    key = harness.container.settings.home / KEY_FILE
    assert key.stat().st_mode & 0o777 == 0o600
    page = harness.client.get("/ui/")
    assert page.status_code == 200
    assert "erin" in page.text


def test_the_cookie_is_secure_over_https(harness: Harness) -> None:
    client = TestClient(
        create_app(harness.container, run_jobs=False), base_url="https://testserver"
    )
    r = sign_in(client, harness.tokens["admin"])
    assert r.status_code == 303
    assert all("Secure" in c for c in r.headers.get_list("set-cookie"))


def test_session_hours_come_from_the_settings(harness: Harness) -> None:
    harness.container.settings = harness.container.settings.model_copy(
        update={"ui_session_hours": 1.5}
    )
    client = TestClient(create_app(harness.container, run_jobs=False))
    r = sign_in(client, harness.tokens["admin"])
    assert "Max-Age=5400" in r.headers["set-cookie"]


def test_a_wrong_token_is_refused_without_a_session(harness: Harness) -> None:
    r = sign_in(harness.client, "sg_not-a-token")
    assert r.status_code == 401
    assert "not valid" in r.text
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_a_forged_session_cookie_is_not_a_session(harness: Harness) -> None:
    harness.client.cookies.set(SESSION_COOKIE, "gAAAAAforged", path="/ui")
    assert harness.client.get("/ui/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("path", ["/ui/signin", "/ui/signout"])
def test_a_post_without_the_csrf_token_is_refused(harness: Harness, path: str) -> None:
    client = _signed_in(harness)
    r = client.post(path, data={"token": harness.tokens["admin"]}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(path, data={"csrf": "forged", "token": harness.tokens["admin"]})
    assert r.status_code == 403
    assert client.get("/ui/", follow_redirects=False).status_code == 200  # still signed in


def test_a_post_from_another_origin_is_refused(harness: Harness) -> None:
    client = _signed_in(harness)
    token = csrf_of(client.get("/ui/").text)
    r = client.post(
        "/ui/signout",
        data={"csrf": token},
        headers={"origin": "http://evil.example"},
        follow_redirects=False,
    )
    assert r.status_code == 403


def test_sign_out_with_the_token_ends_the_session(harness: Harness) -> None:
    client = _signed_in(harness)
    token = csrf_of(client.get("/ui/").text)
    r = client.post("/ui/signout", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_sign_in_never_redirects_off_site(harness: Harness) -> None:
    page = harness.client.get("/ui/signin")
    r = harness.client.post(
        "/ui/signin",
        data={"token": harness.tokens["admin"], "csrf": csrf_of(page.text), "next": "//evil/x"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/ui/"


def test_user_text_is_escaped(harness: Harness) -> None:
    propose_hostile(harness.container, harness.tokens["admin"])
    text = _signed_in(harness).get("/ui/").text
    assert "<script>alert(1)" not in text
    assert "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in text
    search = harness.client.get("/ui/", params={"q": HOSTILE[1]}).text
    assert "<img src=x" not in search
    assert "xss-probe" in search


def test_the_portfolio_filters_and_ranks_as_the_api(harness: Harness) -> None:
    propose_hostile(harness.container, harness.tokens["admin"], "probe-one")
    propose_hostile(harness.container, harness.tokens["admin"], "probe-two")
    client = _signed_in(harness)
    api = harness.call("admin", "GET", "/api/v1/experiments").json()["items"]
    page = client.get("/ui/").text
    positions = [page.index(f'data-key="{e["key"]}"') for e in api]
    assert positions == sorted(positions)
    assert 'data-key="probe-one"' not in client.get("/ui/", params={"q": "two"}).text
    assert 'data-key="probe-one"' not in client.get("/ui/", params={"state": "approved"}).text
    assert 'data-key="probe-one"' in client.get("/ui/", params={"risk": "low"}).text
    assert client.get("/ui/", params={"state": "bogus"}).status_code == 400


def test_the_delivery_page_says_no_data_when_there_is_none(harness: Harness) -> None:
    text = _signed_in(harness).get("/ui/delivery").text
    assert text.count("No data") >= 5
    assert 'data-field="median"' not in text


def test_a_service_refusal_is_a_readable_403_page(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise Forbidden("erin (role viewer) may not experiment:read")

    monkeypatch.setattr(experiments, "list_queue", refuse)
    r = _signed_in(harness, "erin").get("/ui/")
    assert r.status_code == 403
    assert "You may not see this page" in r.text
    assert "erin (role viewer) may not experiment:read" in r.text
    assert r.headers["content-security-policy"] == CSP


def test_revoking_the_token_ends_the_session(harness: Harness) -> None:
    issued = harness.call("admin", "POST", "/api/v1/tokens", json={"name": "ui"}).json()
    client = harness.client
    assert sign_in(client, issued["token"]).status_code == 303
    assert client.get("/ui/").status_code == 200
    r = harness.call("admin", "POST", f"/api/v1/tokens/{issued['id']}/revoke", json={})
    assert r.status_code == 200, r.text
    assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_the_csrf_nonce_is_renewed_at_sign_in(harness: Harness) -> None:
    harness.client.get("/ui/signin")
    before = harness.client.cookies.get(CSRF_COOKIE)
    sign_in(harness.client, harness.tokens["admin"])
    assert harness.client.cookies.get(CSRF_COOKIE) not in {None, before}


def test_no_ui_route_is_in_the_openapi_document(harness: Harness) -> None:
    paths = harness.client.get("/api/v1/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/ui")]
