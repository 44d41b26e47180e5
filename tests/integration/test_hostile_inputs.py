"""Inputs that crashed the server or were wrongly accepted (issue 11, section 3).

Each answer is a 4xx that names the field, the store is left as it was, and an anonymous
client with a bad body learns only that it needs a token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from tests.support.app import EXAMPLE_PROPOSAL, Harness, make_harness

YAML = {"content-type": "application/yaml"}
JSON = {"content-type": "application/json"}


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = make_harness(tmp_path / "home", f"sqlite:///{tmp_path / 'sluicegate.db'}")
    # a 500 must come back as a response here, not as the test client's re-raised exception
    harness.client = TestClient(harness.client.app, raise_server_exceptions=False)
    try:
        yield harness
    finally:
        harness.close()


def _fields(r: Any) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


def _proposal(key: str, **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE_PROPOSAL)
    doc["key"] = key
    doc.update(changes)
    return doc


def test_a_huge_jit_duration_is_a_422_naming_duration(h: Harness) -> None:
    r = h.call("alice", "POST", "/api/v1/experiments", content=EXAMPLE_PROPOSAL, headers=YAML)
    assert r.status_code == 201
    before = h.counts()
    for duration in (16881500813324416, "16881500813324416s", "99999999999999999999d"):
        body = {
            "experiment": "checkout-redesign",
            "stage": "proposed",
            "role": "contributor",
            "duration": duration,
            "reason": "on call",
        }
        r = h.call("erin", "POST", "/api/v1/jit/requests", json=body)
        assert r.status_code == 422, (duration, r.text)
        assert _fields(r) == ["duration"]
    assert h.counts() == before


def test_deeply_nested_documents_are_a_400(h: Harness) -> None:
    before = h.counts()
    for headers in (JSON, YAML):
        r = h.call("alice", "POST", "/api/v1/experiments", content=b"[" * 100_000, headers=headers)
        assert r.status_code == 400, r.text
        assert _fields(r) == ["body"]
    # nesting the parser survives but nothing should hold is refused with its path too
    deep: Any = "x"
    for _ in range(80):
        deep = {"a": deep}
    r = h.call("alice", "POST", "/api/v1/experiments", json=_proposal("deep", links=deep))
    assert r.status_code == 422
    assert _fields(r)[0].startswith("links.a.a.a")
    # and the pydantic-bodied endpoints, whose JSON FastAPI parses itself
    r = h.call("admin", "POST", "/api/v1/teams", content=b"[" * 100_000, headers=JSON)
    assert r.status_code == 400
    assert _fields(r) == ["body"]
    assert h.counts() == before


def test_a_4400_digit_integer_in_a_proposal_names_its_field(h: Harness) -> None:
    before = h.counts()
    huge = "9" * 4400
    as_json = json.dumps(_proposal("big", budget={"amount": 1, "currency": "EUR"}))
    r = h.call(
        "alice",
        "POST",
        "/api/v1/experiments",
        content=as_json.replace('"amount": 1', f'"amount": {huge}'),
        headers=JSON,
    )
    assert r.status_code == 422, r.text
    assert _fields(r) == ["budget.amount"]
    as_yaml = EXAMPLE_PROPOSAL.replace("amount: 5000", f"amount: {huge}")
    r = h.call("alice", "POST", "/api/v1/experiments", content=as_yaml, headers=YAML)
    assert r.status_code == 422, r.text
    assert _fields(r) == ["budget.amount"]
    assert h.counts() == before


def test_a_lone_surrogate_is_refused_in_ofrep_and_in_any_body(h: Harness) -> None:
    flags = {
        "flags": {"on": {"state": "ENABLED", "variants": {"on": True}, "defaultVariant": "on"}}
    }
    r = h.call("alice", "POST", "/api/v1/flag-sets", json={
        "name": "shop", "environment": "staging", "owner_team": "payments", "document": flags,
    })  # fmt: skip
    assert r.status_code == 201, r.text
    scoped = h.call("alice", "POST", "/api/v1/flag-sets/shop/staging/tokens", json={"name": "app"})
    auth = {"authorization": f"Bearer {scoped.json()['token']}", **JSON}
    raw = b'{"context": {"targetingKey": "\\ud800"}}'
    for path in ("/ofrep/v1/evaluate/flags/on", "/ofrep/v1/evaluate/flags"):
        r = h.client.post(path, content=raw, headers=auth)
        assert r.status_code == 400, (path, r.text)
        assert r.json()["errorCode"] == "INVALID_CONTEXT"
        assert "context.targetingKey" in r.json()["errorDetails"]
    # a paired surrogate is a real character and evaluates
    ok = b'{"context": {"targetingKey": "\\ud83d\\ude00"}}'
    assert h.client.post("/ofrep/v1/evaluate/flags/on", content=ok, headers=auth).status_code == 200
    before = h.counts()
    r = h.call("admin", "POST", "/api/v1/teams", content=b'{"key": "qa", "name": "\\udfff"}',
               headers=JSON)  # fmt: skip
    assert r.status_code == 422, r.text
    assert _fields(r) == ["name"]
    assert h.counts() == before


def test_names_with_a_trailing_newline_are_refused(h: Harness) -> None:
    r = h.call("alice", "POST", "/api/v1/experiments", content=EXAMPLE_PROPOSAL, headers=YAML)
    assert r.status_code == 201
    before = h.counts()
    body = {"name": "shop\n", "environment": "staging", "owner_team": "payments"}
    r = h.call("alice", "POST", "/api/v1/flag-sets", json=body)
    assert (r.status_code, _fields(r)) == (422, ["name"])
    body = {**body, "name": "shop", "environment": "staging\n"}
    r = h.call("alice", "POST", "/api/v1/flag-sets", json=body)
    assert (r.status_code, _fields(r)) == (422, ["environment"])
    r = h.call("bob", "POST", "/api/v1/experiments/checkout-redesign/approvals",
               json={"domain": "security", "stage": "canary\n"})  # fmt: skip
    assert (r.status_code, _fields(r)) == (422, ["stage"])
    assert h.counts() == before


def test_nul_and_bidirectional_controls_in_names_and_titles_are_refused(h: Harness) -> None:
    before = h.counts()
    for name in ("pay\x00ments", "pay\u202eStnemyap", "a\u2066b", "two\nlines"):
        r = h.call("admin", "POST", "/api/v1/teams", json={"key": "qa", "name": name})
        assert (r.status_code, _fields(r)) == (422, ["name"]), name
        r = h.call("admin", "POST", "/api/v1/webhooks", json={
            "name": name, "url": "https://hooks.example/x", "events": ["*"],
        })  # fmt: skip
        assert (r.status_code, _fields(r)) == (422, ["name"]), name
        r = h.call("alice", "POST", "/api/v1/experiments", json=_proposal("tt", title=name))
        assert r.status_code == 422, name
        assert _fields(r) == ["title"], name
    assert h.counts() == before


def test_text_plain_bodies_are_a_415(h: Harness) -> None:
    before = h.counts()
    plain = {"content-type": "text/plain"}
    doc = json.dumps(_proposal("plain"))
    r = h.call("alice", "POST", "/api/v1/experiments", content=doc, headers=plain)
    assert r.status_code == 415, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert _fields(r) == ["content-type"]
    r = h.call("admin", "POST", "/api/v1/teams", content=b'{"key": "qa", "name": "QA"}',
               headers=plain)  # fmt: skip
    assert r.status_code == 415, r.text
    form = {"content-type": "application/x-www-form-urlencoded"}
    r = h.call("admin", "POST", "/api/v1/teams", content=b"key=qa&name=QA", headers=form)
    assert r.status_code == 415
    assert h.counts() == before
    # YAML and JSON still work, with or without a charset
    r = h.call("alice", "POST", "/api/v1/experiments", content=doc,
               headers={"content-type": "application/json; charset=utf-8"})  # fmt: skip
    assert r.status_code == 201


def test_authentication_comes_before_validation(h: Harness) -> None:
    bad_token = {"authorization": "Bearer sg_nope", **JSON}
    for headers in (JSON, bad_token):
        for path, body in (
            ("/api/v1/teams", b"{"),  # malformed JSON
            ("/api/v1/teams", b'{"key": 1}'),  # fields missing and mistyped
            ("/api/v1/teams", b"[" * 100_000),  # too deep for the parser
            ("/api/v1/tokens", b'{"name": "x", "expires_in_days": 100000}'),
            ("/api/v1/experiments", b"[" * 100_000),
        ):
            r = h.client.post(path, content=body, headers=headers)
            assert r.status_code == 401, (path, body[:20], r.text)
            assert r.headers["www-authenticate"] == "Bearer"
            assert "errors" not in r.json()
        r = h.client.get("/api/v1/experiments?limit=banana", headers=headers)
        assert r.status_code == 401
        r = h.client.post(
            "/api/v1/teams", content=b"x", headers={**headers, "content-type": "text/plain"}
        )
        assert r.status_code == 401


def test_405_names_every_allowed_method(h: Harness) -> None:
    r = h.call("admin", "DELETE", "/api/v1/teams")
    assert r.status_code == 405
    assert set(r.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert r.headers["content-type"] == "application/problem+json"
    r = h.call("admin", "PUT", "/api/v1/experiments/x/approvals")
    assert r.status_code == 405
    assert "POST" in r.headers["allow"]


def test_yaml_with_characters_yaml_forbids_is_a_422(h: Harness) -> None:
    # Found by schemathesis: the YAML reader refused C1 controls while it was being built,
    # outside the error handling, and the request answered 500.
    body = {"source": "\u00fbMz", "templates": [{"name": "t", "source": "8\u0080\u00ba"}]}
    r = h.call("admin", "POST", "/api/v1/processes/validate", json=body)
    assert r.status_code == 422, r.text
    assert "special characters" in r.text


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/api/v1/flag-sets/shop/staging/rollback", {"json": {"to": 2**90}}),
        ("GET", f"/api/v1/flag-sets/shop/staging/revisions/{2**70}", {}),
        ("GET", f"/api/v1/processes/default?version={2**70}", {}),
        ("GET", f"/api/v1/processes/default/diff?from=1&to={2**70}", {}),
        ("GET", f"/api/v1/audit?after_seq={2**70}", {}),
    ],
)
def test_numbers_beyond_the_columns_range_are_a_422(
    h: Harness, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    # A version or revision beyond PostgreSQL's INTEGER overflowed in the driver (500).
    before = h.counts()
    r = h.call("admin", method, path, **kwargs)
    assert r.status_code == 422, r.text
    assert h.counts() == before


def test_an_if_match_beyond_the_columns_range_is_refused(h: Harness) -> None:
    r = h.call("alice", "POST", "/api/v1/experiments", content=EXAMPLE_PROPOSAL, headers=YAML)
    assert r.status_code == 201
    r = h.call(
        "alice",
        "PATCH",
        "/api/v1/experiments/checkout-redesign",
        json={"title": "t2"},
        headers={"if-match": '"123456789012345"'},
    )
    assert r.status_code == 422, r.text


def test_a_webhook_url_with_a_port_out_of_range_is_a_422(h: Harness) -> None:
    # Found by schemathesis: the audit payload's URL redaction parsed the port and raised (500).
    before = h.counts()
    body = {"name": "hook", "url": "https://example.org:99999/x", "events": ["*"]}
    r = h.call("admin", "POST", "/api/v1/webhooks", json=body)
    assert r.status_code == 422, r.text
    assert _fields(r) == ["url"]
    assert h.counts() == before


@pytest.mark.parametrize(
    ("literal", "headers"),
    [("1e400", JSON), ("-1e400", JSON), ("NaN", JSON), ("Infinity", JSON), (".inf", YAML)],
)
def test_a_number_no_record_can_hold_names_its_field(
    h: Harness, literal: str, headers: dict[str, str]
) -> None:
    """Found by schemathesis: a proposal whose number parsed to inf reached the audit ledger's
    canonical JSON and answered 500."""
    before = h.counts()
    doc = _proposal("inf", budget={"amount": 1, "currency": "EUR"})
    text = json.dumps(doc) if headers is JSON else yaml.safe_dump(doc)
    text = text.replace('"amount": 1', f'"amount": {literal}').replace(
        "amount: 1", f"amount: {literal}"
    )
    r = h.call("alice", "POST", "/api/v1/experiments", content=text, headers=headers)
    assert r.status_code == 422, r.text
    assert _fields(r) == ["budget.amount"]
    assert "not finite" in r.text
    assert h.counts() == before


def test_a_non_finite_number_in_a_pydantic_body_is_refused(h: Harness) -> None:
    body = '{"value": 1e400, "cost": 0.1}'
    r = h.call("admin", "PUT", "/api/v1/settings/priority-weights", content=body, headers=JSON)
    assert r.status_code in (400, 422), r.text
    assert r.status_code != 500
