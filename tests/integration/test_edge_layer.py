"""The edge of the app (ADR 0021): one middleware for request ids, body limits and the
flag-scoped token guard, and OFREP served through Starlette routes yet documented in OpenAPI."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route
from tests.support.app import Harness

from sluicegate.api.routes.flags import ofrep

ID = re.compile(r"^[0-9a-f]{32}$")


def test_a_request_id_is_made_unique_or_echoed_when_well_formed(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    ids = {h.call("admin", "GET", "/api/v1/me").headers["x-request-id"] for _ in range(50)}
    assert len(ids) == 50
    assert all(ID.fullmatch(i) for i in ids)
    echoed = h.call("admin", "GET", "/api/v1/me", headers={"x-request-id": "ci-run.42_a"})
    assert echoed.headers["x-request-id"] == "ci-run.42_a"
    for bad in ("has space", "x" * 65, "semi;colon"):
        r = h.call("admin", "GET", "/api/v1/me", headers={"x-request-id": bad})
        assert ID.fullmatch(r.headers["x-request-id"]), bad


def test_a_declared_oversized_body_is_refused_before_reading_with_the_request_id(
    sqlite_harness: Harness,
) -> None:
    h = sqlite_harness
    before = h.counts()
    limit = h.container.settings.max_body_bytes
    r = h.call(
        "admin",
        "POST",
        "/api/v1/teams",
        content=b"{" + b" " * limit + b"}",
        headers={"content-type": "application/json", "x-request-id": "big-1"},
    )
    assert r.status_code == 413
    assert r.json()["code"] == "payload-too-large"
    assert r.json()["request_id"] == "big-1"
    assert r.headers["x-request-id"] == "big-1"
    assert h.counts() == before


def test_a_streamed_oversized_body_is_refused(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    limit = h.container.settings.max_body_bytes

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    r = h.call(
        "admin",
        "POST",
        "/api/v1/teams",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["code"] == "payload-too-large"
    assert ID.fullmatch(r.headers["x-request-id"])


def test_a_flag_scoped_token_is_refused_outside_ofrep_and_sync(sqlite_harness: Harness) -> None:
    r = sqlite_harness.client.get(
        "/api/v1/me", headers={"authorization": "Bearer sgf_whatever", "x-request-id": "g-1"}
    )
    assert r.status_code == 403
    assert "flag-scoped token" in r.json()["detail"]
    assert r.headers["x-request-id"] == "g-1"
    # on OFREP the guard lets it through to authentication (an unknown token: 401)
    r = sqlite_harness.client.post(
        "/ofrep/v1/evaluate/flags/x", headers={"authorization": "Bearer sgf_whatever"}, json={}
    )
    assert r.status_code == 401


def test_ofrep_is_served_by_starlette_routes_and_documented_as_declared(
    sqlite_harness: Harness,
) -> None:
    app = sqlite_harness.client.app
    assert isinstance(app, FastAPI)
    served = {(r.path, m) for r in app.router.routes if type(r) is Route for m in (r.methods or ())}
    declared = [r for r in ofrep.router.routes if isinstance(r, APIRoute)]
    assert declared
    doc = sqlite_harness.client.get("/api/v1/openapi.json").json()
    for route in declared:
        assert (route.path, "POST") in served
        assert not any(
            isinstance(r, APIRoute) and r.path == route.path for r in app.router.routes
        ), f"{route.path} is also mounted as an APIRoute"
        op = doc["paths"][route.path]["post"]
        assert op["tags"] == ["OFREP"]
        assert {"200", "401", "429"} <= set(op["responses"])
    assert doc["paths"]["/ofrep/v1/evaluate/flags/{key}"]["post"]["parameters"][0]["name"] == "key"


def test_a_wrong_method_on_ofrep_is_405_with_allow(sqlite_harness: Harness) -> None:
    r = sqlite_harness.call("admin", "GET", "/ofrep/v1/evaluate/flags/x")
    assert r.status_code == 405
    assert "POST" in r.headers["allow"]
