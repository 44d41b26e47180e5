"""Flag sets over the API on SQLite and PostgreSQL: revisions, rollback, four-eyes governance,
scheduled changes, validation with JSON pointers, scoped tokens, the sync protocol and OFREP."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from tests.support.app import Harness

from sluicegate.api.routes.flags.runtime import FlagSettings, RateLimiter, RevisionHub, runtime_for
from sluicegate.api.routes.flags.sync import revision_events
from sluicegate.domain.errors import Conflict
from sluicegate.flags import check_flag_set
from sluicegate.service import flags as flag_service
from sluicegate.service.access import identity
from sluicegate.service.context import RequestContext

BOOL = {"on": True, "off": False}

DOC: dict[str, Any] = {
    "flags": {
        "static-on": {"state": "ENABLED", "variants": BOOL, "defaultVariant": "on"},
        "pro-only": {
            "state": "ENABLED",
            "variants": BOOL,
            "defaultVariant": "off",
            "targeting": {"if": [{"==": [{"var": "plan"}, "pro"]}, "on", None]},
            "metadata": {"owner": "payments"},
        },
        "dark": {"state": "DISABLED", "variants": BOOL, "defaultVariant": "on"},
        "colour": {
            "state": "ENABLED",
            "variants": {"red": "red", "blue": "blue"},
            "defaultVariant": "red",
        },
        "broken": {
            "state": "ENABLED",
            "variants": BOOL,
            "defaultVariant": "off",
            "targeting": {"if": [{"/": [1, {"var": "zero"}]}, "on", "off"]},
        },
    }
}


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "flagd"


def _doc(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    for key, flag in changes.items():
        if flag is None:
            doc["flags"].pop(key)
        else:
            doc["flags"][key] = flag
    return doc


def _create(h: Harness, env: str, who: str = "alice", **extra: Any) -> Any:
    body = {"name": "shop", "environment": env, "owner_team": "payments", "document": DOC}
    r = h.call(who, "POST", "/api/v1/flag-sets", json={**body, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def _ofrep(h: Harness, who: str, path: str, env: str = "staging", **kwargs: Any) -> Any:
    headers = {"X-Sluicegate-Flag-Set": "shop", "X-Sluicegate-Environment": env}
    headers.update(kwargs.pop("headers", {}))
    return h.call(who, "POST", f"/ofrep/v1/evaluate/flags{path}", headers=headers, **kwargs)


def _audit_actions(h: Harness, entity_type: str) -> list[str]:
    r = h.call("bob", "GET", "/api/v1/audit", params={"entity_type": entity_type, "limit": 500})
    return [e["action"] for e in r.json()["items"]]


def test_changes_make_immutable_revisions_and_rollback_restores_any(harness: Harness) -> None:
    h = harness
    created = _create(h, "staging")
    assert created["outcome"] == "revised"
    assert created["flag_set"]["requires_approval"] is False
    base = "/api/v1/flag-sets/shop/staging"

    v2 = _doc(**{"static-on": None, "new-one": {"state": "ENABLED", "variants": BOOL}})
    v2["flags"]["colour"]["defaultVariant"] = "blue"
    r = h.call("alice", "PUT", f"{base}/document", json=v2, params={"reason": "launch"})
    assert r.status_code == 200, r.text
    diff = r.json()["revision"]["diff"]["flags"]
    assert list(diff["added"]) == ["new-one"]
    assert list(diff["removed"]) == ["static-on"]
    assert diff["changed"]["colour"]["before"]["defaultVariant"] == "red"
    assert diff["changed"]["colour"]["after"]["defaultVariant"] == "blue"
    assert r.json()["revision"]["summary"] == "+1 -1 ~1"

    # The same content again is not a change; a stale If-Match is a conflict.
    assert h.call("alice", "PUT", f"{base}/document", json=v2).json()["outcome"] == "unchanged"
    r = h.call("alice", "PUT", f"{base}/document", json=DOC, headers={"If-Match": '"1"'})
    assert r.status_code == 409

    history = h.call("erin", "GET", f"{base}/revisions").json()["items"]
    assert [(i["number"], i["actor"], i["reason"]) for i in history] == [
        (2, "user:alice", "launch"),
        (1, "user:alice", "created"),
    ]
    r = h.call("alice", "POST", f"{base}/rollback", json={"to": 1, "reason": "bad launch"})
    assert r.status_code == 200, r.text
    rolled = r.json()["revision"]
    assert (rolled["number"], rolled["rollback_of"], rolled["source"]) == (3, 1, "rollback")
    first = h.call("erin", "GET", f"{base}/revisions/1").json()
    current = h.call("erin", "GET", base).json()
    assert current["document"] == first["document"] == DOC
    assert current["revision"] == first["revision"]
    assert h.call("alice", "POST", f"{base}/rollback", json={"to": 9}).status_code == 404

    # Revisions are immutable in the database itself.
    with pytest.raises(DBAPIError), h.container.engine.begin() as conn:
        conn.execute(text("UPDATE flag_revisions SET actor = 'user:mallory'"))
    with pytest.raises(DBAPIError), h.container.engine.begin() as conn:
        conn.execute(text("DELETE FROM flag_revisions"))
    assert _audit_actions(h, "flag-set") == [
        "flag-set.create",
        "flag-set.revise",
        "flag-set.revise",
        "flag-set.revise",
    ]


def test_production_changes_need_a_second_person(harness: Harness) -> None:
    h = harness
    # carol is a reviewer in the payments team: she can write the flag set but not approve her own.
    created = _create(h, "production", who="carol")
    assert created["flag_set"]["requires_approval"] is True
    assert created["flag_set"]["flag_count"] == 0  # the document waits for approval
    cr = created["change_request"]
    assert cr["state"] == "pending"
    base = "/api/v1/flag-sets/shop/production"
    approve = f"{base}/change-requests/{cr['id']}/approve"

    r = h.call("carol", "POST", approve, json={})
    assert r.status_code == 403
    assert r.json()["code"] == "self-approval"
    r = h.call("alice", "POST", approve, json={})
    assert r.status_code == 403  # contributors do not approve
    r = h.call("alice", "POST", f"{base}/change-requests/{cr['id']}/apply")
    assert r.status_code == 409  # still pending
    r = h.call("bob", "POST", approve, json={"comment": "looks right"})
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["reviewer"]) == ("approved", "bob")
    assert h.call("dave", "POST", approve, json={}).status_code == 409  # decided already
    r = h.call("alice", "POST", f"{base}/change-requests/{cr['id']}/apply")
    assert r.status_code == 200, r.text
    assert r.json()["revision"]["change_request"] == cr["id"]
    assert h.call("erin", "GET", base).json()["document"] == DOC

    # A later change: pending, then rejected; the document is unchanged.
    r = h.call("alice", "PUT", f"{base}/document", json=_doc(dark=None))
    assert r.status_code == 202, r.text
    second = r.json()["change_request"]
    assert second["diff"]["flags"]["removed"] == {"dark": DOC["flags"]["dark"]}
    r = h.call("bob", "POST", f"{base}/change-requests/{second['id']}/reject", json={})
    assert r.json()["state"] == "rejected"
    assert h.call("erin", "GET", base).json()["revision_number"] == 2

    # Two approved requests on the same base: the second one is stale once the first applies.
    ids = []
    for flags in (_doc(dark=None), _doc(colour=None)):
        request_id = h.call("alice", "PUT", f"{base}/document", json=flags).json()
        ids.append(request_id["change_request"]["id"])
        h.call("carol", "POST", f"{base}/change-requests/{ids[-1]}/approve", json={})
    assert h.call("alice", "POST", f"{base}/change-requests/{ids[0]}/apply").status_code == 200
    r = h.call("alice", "POST", f"{base}/change-requests/{ids[1]}/apply")
    assert r.status_code == 409
    assert "revision" in r.json()["detail"]
    # A rollback in production is a change too.
    r = h.call("alice", "POST", f"{base}/rollback", json={"to": 2})
    assert r.status_code == 202
    assert r.json()["change_request"]["rollback_of"] == 2
    pending = h.call("erin", "GET", f"{base}/change-requests", params={"state": "pending"})
    assert [c["id"] for c in pending.json()["items"]] == [r.json()["change_request"]["id"]]
    assert _audit_actions(h, "flag-change").count("flag-change.approve") == 3


def test_relaxing_the_policy_is_for_admins(harness: Harness) -> None:
    h = harness
    body = {
        "name": "shop",
        "environment": "production",
        "owner_team": "payments",
        "policy": {"require_approval": False},
    }
    r = h.call("alice", "POST", "/api/v1/flag-sets", json=body)
    assert r.status_code == 403
    r = h.call("admin", "POST", "/api/v1/flag-sets", json={**body, "document": DOC})
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "revised"
    base = "/api/v1/flag-sets/shop/production"
    r = h.call("alice", "PUT", f"{base}/document", json=_doc(dark=None))
    assert r.status_code == 200
    assert r.json()["outcome"] == "revised"
    r = h.call("alice", "PATCH", base, json={"policy": {"require_approval": True}})
    assert r.status_code == 403
    r = h.call("admin", "PATCH", base, json={"policy": {"require_approval": True}})
    assert r.json()["requires_approval"] is True
    assert h.call("alice", "PUT", f"{base}/document", json=DOC).status_code == 202
    r = h.call("admin", "PATCH", base, json={"policy": {"approvals": 2}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "policy.approvals"
    # Another team's contributor cannot touch payments' flag sets; experiments must exist.
    assert h.call("zoe", "PUT", f"{base}/document", json=DOC).status_code == 403
    r = h.call("alice", "PATCH", base, json={"experiment": "no-such-experiment"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "experiment"


def test_scheduled_changes_apply_when_due(harness: Harness) -> None:
    h = harness
    _create(h, "staging")
    base = "/api/v1/flag-sets/shop/staging"
    when = (h.clock.now() + timedelta(hours=1)).isoformat()
    r = h.call("alice", "PUT", f"{base}/document", json=_doc(dark=None), params={"apply_at": when})
    assert r.status_code == 202, r.text
    cr = r.json()["change_request"]
    assert cr["state"] == "approved"  # staging needs no approval, only the time
    r = h.call("alice", "POST", f"{base}/change-requests/{cr['id']}/apply")
    assert r.status_code == 409
    assert "scheduled" in r.json()["detail"]
    deps = h.container.deps
    assert flag_service.apply_due(deps) == []
    h.clock.advance(hours=1)
    assert flag_service.apply_due(deps) == [("shop", "staging")]
    current = h.call("erin", "GET", base).json()
    assert "dark" not in current["document"]["flags"]
    history = h.call("erin", "GET", f"{base}/revisions").json()["items"]
    assert (history[0]["actor"], history[0]["change_request"]) == (
        "system:flag-scheduler",
        cr["id"],
    )
    assert flag_service.apply_due(deps) == []  # applied once

    # A scheduled request overtaken by another change is superseded, not applied.
    r = h.call("alice", "PUT", f"{base}/document", json=DOC, params={"apply_at": when})
    stale = r.json()["change_request"]["id"]
    h.call("alice", "PUT", f"{base}/document", json=_doc(colour=None))
    assert flag_service.apply_due(deps) == []
    r = h.call("erin", "GET", f"{base}/change-requests/{stale}")
    assert r.json()["state"] == "superseded"


CYCLIC = {
    "$evaluators": {"a": {"$ref": "b"}, "b": {"$ref": "a"}},
    "flags": {
        "f": {
            "state": "ENABLED",
            "variants": BOOL,
            "defaultVariant": "on",
            "targeting": {"if": [{"$ref": "a"}, "on", "off"]},
        }
    },
}

UNLOADABLE = [
    pytest.param(
        {"flags": {"f": {"state": "ON", "variants": BOOL, "defaultVariant": "on"}}},
        ["/flags/f/state"],
        id="schema-violation",
    ),
    pytest.param(
        {"flags": {"f": {"state": "ON", "variants": BOOL}, "g": {"state": "ENABLED"}}},
        ["/flags/f/state", "/flags/g"],
        id="every-unloadable-flag",
    ),
    pytest.param([1, 2], ["/"], id="not-an-object"),
]

PROBLEMS = [
    pytest.param(
        {"flags": {"f": {"state": "ENABLED", "variants": BOOL, "defaultVariant": "maybe"}}},
        "/flags/f/defaultVariant",
        id="unknown-default-variant",
    ),
    pytest.param(
        {
            "flags": {
                "f": {
                    "state": "ENABLED",
                    "variants": BOOL,
                    "defaultVariant": "on",
                    "targeting": {"if": [True, "on", "nope"]},
                }
            }
        },
        "/flags/f/targeting/if/2",
        id="unknown-targeting-variant",
    ),
    pytest.param(
        {"flags": {"f": {"state": "ENABLED", "variants": {"a": True, "b": "x"}}}},
        "/flags/f/variants/b",
        id="mixed-types",
    ),
    pytest.param(CYCLIC, "/$evaluators/", id="cyclic-ref"),
    pytest.param(
        {
            "flags": {
                "f": {
                    "state": "ENABLED",
                    "variants": BOOL,
                    "defaultVariant": "on",
                    "targeting": {"fractional": [["on", 0], ["off", 0]]},
                }
            }
        },
        "/flags/f/targeting/fractional",
        id="bad-fractional-weight",
    ),
]


@pytest.mark.parametrize(("document", "pointers"), UNLOADABLE)
def test_unloadable_documents_are_refused_naming_every_problem(
    harness: Harness, document: Any, pointers: list[str]
) -> None:
    h = harness
    _create(h, "staging")
    before = h.counts()
    r = h.call("alice", "PUT", "/api/v1/flag-sets/shop/staging/document", json=document)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == pointers
    assert r.json()["code"] == "invalid-input"
    body = {"name": "other", "environment": "staging", "owner_team": "payments"}
    if isinstance(document, dict):
        r = h.call("alice", "POST", "/api/v1/flag-sets", json={**body, "document": document})
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == pointers
    r = h.call("alice", "POST", "/api/v1/flag-sets/shop/staging/diff", json=document)
    assert r.status_code == 422
    assert h.counts() == before


@pytest.mark.parametrize(("document", "pointer"), PROBLEMS)
def test_new_problems_are_refused_where_the_set_refuses_them(
    harness: Harness, document: Any, pointer: str
) -> None:
    h = harness
    _create(h, "staging", policy={"findings": "refuse"})
    before = h.counts()
    base = "/api/v1/flag-sets/shop/staging"
    r = h.call("alice", "PUT", f"{base}/document", json=document)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"].startswith(pointer), r.json()["errors"]
    assert "policy findings: refuse" in r.json()["detail"]
    r = h.call("alice", "POST", f"{base}/diff", json=document)
    assert r.status_code == 200
    assert r.json()["refused"] is True
    assert r.json()["findings"][0]["pointer"].startswith(pointer)
    assert r.json()["findings"][0]["new"] is True
    body = {"name": "other", "environment": "production", "owner_team": "payments"}
    r = h.call("carol", "POST", "/api/v1/flag-sets", json={**body, "document": document})
    assert r.status_code == 422, r.text  # production refuses by default
    assert h.counts() == before


@pytest.mark.parametrize(("document", "pointer"), PROBLEMS)
def test_problems_are_accepted_with_findings_where_the_set_warns(
    harness: Harness, document: Any, pointer: str
) -> None:
    h = harness
    created = _create(h, "staging")
    assert created["flag_set"]["findings"] == "warn"
    r = h.call("alice", "PUT", "/api/v1/flag-sets/shop/staging/document", json=document)
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "revised"
    (finding, *_) = r.json()["findings"]
    assert finding["pointer"].startswith(pointer)
    assert finding["new"] is True
    assert finding["fatal"] is False
    assert finding["reason"]
    assert finding["effect"]


def test_existing_problems_do_not_block_an_unrelated_change(harness: Harness) -> None:
    h = harness
    _create(h, "staging")
    base = "/api/v1/flag-sets/shop/staging"
    broken = copy.deepcopy(DOC)
    broken["flags"]["colour"]["targeting"] = {"if": [{"regex": [1]}, "red", "purple"]}
    r = h.call("alice", "PUT", f"{base}/document", json=broken)
    assert r.status_code == 200, r.text
    assert len(r.json()["findings"]) == 2
    r = h.call("admin", "PATCH", base, json={"policy": {"findings": "refuse"}})
    assert r.status_code == 200, r.text
    unrelated = copy.deepcopy(broken)
    unrelated["flags"]["static-on"]["defaultVariant"] = "off"
    r = h.call("alice", "PUT", f"{base}/document", json=unrelated)
    assert r.status_code == 200, r.text
    assert [f["new"] for f in r.json()["findings"]] == [False, False]
    worse = copy.deepcopy(unrelated)
    worse["flags"]["static-on"]["targeting"] = {"if": [True, "maybe", "off"]}
    r = h.call("alice", "PUT", f"{base}/document", json=worse)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["/flags/static-on/targeting/if/1"]


def test_relaxing_findings_in_production_needs_an_admin(harness: Harness) -> None:
    h = harness
    body = {
        "name": "shop",
        "environment": "production",
        "owner_team": "payments",
        "policy": {"findings": "warn"},
    }
    r = h.call("carol", "POST", "/api/v1/flag-sets", json=body)
    assert r.status_code == 403, r.text
    r = h.call("admin", "POST", "/api/v1/flag-sets", json=body)
    assert r.status_code == 201, r.text
    r = h.call(
        "admin",
        "PATCH",
        "/api/v1/flag-sets/shop/production",
        json={"policy": {"findings": "never"}},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "policy.findings"


@pytest.mark.parametrize("name", ["testkit-flags.json", "allFlags.json"])
def test_flagds_own_flag_files_import(harness: Harness, name: str) -> None:
    """issue #11: neither file loaded, because one invalid flag refused the whole set."""
    h = harness
    document = json.loads((FIXTURES / name).read_text("utf-8"))
    expected = [f.pointer for f in check_flag_set(document)]
    assert expected  # both files carry deliberately broken flags
    body = {"name": "imported", "environment": "staging", "owner_team": "payments"}
    r = h.call("alice", "POST", "/api/v1/flag-sets", json={**body, "document": document})
    assert r.status_code == 201, r.text
    assert [f["pointer"] for f in r.json()["findings"]] == expected
    assert r.json()["flag_set"]["flag_count"] == len(document["flags"])
    r = _ofrep(
        h,
        "alice",
        "/fractional-zero-weights-flag",
        headers={"X-Sluicegate-Flag-Set": "imported"},
        json={"context": {"targetingKey": "any-user"}},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["value"], r.json()["reason"]) == ("fallback", "DEFAULT")
    production = {**body, "environment": "production"}
    r = h.call("carol", "POST", "/api/v1/flag-sets", json={**production, "document": document})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == expected
    policy = {"findings": "warn"}
    r = h.call(
        "admin",
        "POST",
        "/api/v1/flag-sets",
        json={**production, "document": document, "policy": policy},
    )
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "change-request"


def test_malformed_bodies_change_nothing(harness: Harness) -> None:
    h = harness
    _create(h, "staging")
    before = h.counts()
    r = h.call(
        "alice",
        "PUT",
        "/api/v1/flag-sets/shop/staging/document",
        content=b'{"flags": ',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "malformed-document"
    for raw in (b"[" * 100_000 + b"]" * 100_000, b'{"flags": {"f": ' * 5000 + b"}" * 5001):
        r = h.call(
            "alice",
            "PUT",
            "/api/v1/flag-sets/shop/staging/document",
            content=raw,
            headers={"content-type": "application/json"},
        )
        assert r.status_code in (400, 422), r.text
    r = h.call("alice", "POST", "/api/v1/flag-sets", json={"name": "-x", "environment": "staging"})
    assert r.status_code == 422
    body = {"name": "Bad Name", "environment": "staging", "owner_team": "payments"}
    r = h.call("alice", "POST", "/api/v1/flag-sets", json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "name"
    assert h.counts() == before


def test_sync_document_with_etag_and_scoped_tokens(harness: Harness) -> None:
    h = harness
    _create(h, "staging")
    _create(h, "development")
    r = h.call("alice", "POST", "/api/v1/flag-sets/shop/staging/tokens", json={"name": "web"})
    assert r.status_code == 201, r.text
    issued = r.json()
    scoped = {"authorization": f"Bearer {issued['token']}"}
    assert issued["token"].startswith("sgf_")

    r = h.client.get("/api/v1/sync/flag-sets/shop", headers=scoped)
    assert r.status_code == 200
    assert r.json() == DOC
    etag = r.headers["etag"]
    assert etag == f'"{r.headers["x-sluicegate-revision"]}"'
    r = h.client.get("/api/v1/sync/flag-sets/shop", headers={**scoped, "If-None-Match": etag})
    assert r.status_code == 304
    h.call("alice", "PUT", "/api/v1/flag-sets/shop/staging/document", json=_doc(dark=None))
    r = h.client.get("/api/v1/sync/flag-sets/shop", headers={**scoped, "If-None-Match": etag})
    assert r.status_code == 200
    assert r.headers["etag"] != etag

    # The scoped token reads nothing else: not another environment, not the rest of the API.
    r = h.client.get(
        "/api/v1/sync/flag-sets/shop", params={"environment": "development"}, headers=scoped
    )
    assert r.status_code == 403
    for method, path in (("GET", "/api/v1/experiments"), ("GET", "/api/v1/flag-sets")):
        r = h.client.request(method, path, headers=scoped)
        assert r.status_code == 403
        assert r.json()["code"] == "forbidden"
    # An unscoped token must name the environment when the flag set has several.
    r = h.call("erin", "GET", "/api/v1/sync/flag-sets/shop")
    assert r.status_code == 422
    r = h.call("erin", "GET", "/api/v1/sync/flag-sets/shop", params={"environment": "staging"})
    assert r.status_code == 200
    assert h.call("erin", "GET", "/api/v1/sync/flag-sets/nope").status_code == 422

    base = "/api/v1/flag-sets/shop/staging/tokens"
    assert [t["id"] for t in h.call("erin", "GET", base).json()["items"]] == [issued["id"]]
    assert "token" not in h.call("erin", "GET", base).json()["items"][0]
    assert h.call("zoe", "POST", f"{base}/{issued['id']}/revoke").status_code == 403
    assert h.call("alice", "POST", f"{base}/{issued['id']}/revoke").status_code == 200
    r = h.client.get("/api/v1/sync/flag-sets/shop", headers=scoped)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert _audit_actions(h, "flag-token") == ["flag-token.issue", "flag-token.revoke"]


def test_ofrep_single_flag_reasons_and_errors(harness: Harness) -> None:
    h = harness
    _create(h, "staging")
    cases: dict[str, tuple[dict[str, Any], int, dict[str, Any]]] = {
        "static-on": ({}, 200, {"reason": "STATIC", "variant": "on", "value": True}),
        "pro-only": ({"plan": "pro"}, 200, {"reason": "TARGETING_MATCH", "value": True}),
        "colour": ({}, 200, {"reason": "STATIC", "variant": "red", "value": "red"}),
        "dark": ({}, 200, {"reason": "DISABLED", "variant": None}),
        "missing": ({}, 404, {"errorCode": "FLAG_NOT_FOUND"}),
        "broken": ({"zero": 0}, 400, {"errorCode": "GENERAL"}),
    }
    for key, (context, status, expected) in cases.items():
        r = _ofrep(h, "erin", f"/{key}", json={"context": context})
        assert r.status_code == status, (key, r.text)
        body = r.json()
        assert body["key"] == key
        assert {k: body.get(k) for k in expected} == expected, (key, body)
    r = _ofrep(h, "erin", "/pro-only", json={"context": {"plan": "free"}})
    assert r.json() == {
        "key": "pro-only",
        "reason": "DEFAULT",
        "variant": "off",
        "value": False,
        "metadata": {"owner": "payments"},
    }
    assert "value" not in _ofrep(h, "erin", "/dark", json={}).json()

    bad = [
        (b"{not json", "PARSE_ERROR"),
        (b"[1, 2]", "PARSE_ERROR"),
        (b'{"context": NaN}', "PARSE_ERROR"),
        (b"[" * 100_000 + b"]" * 100_000, "PARSE_ERROR"),
        (b'{"context": [1]}', "INVALID_CONTEXT"),
        (b'{"context": {"targetingKey": 42}}', "INVALID_CONTEXT"),
    ]
    for raw, code in bad:
        for path in ("/static-on", ""):
            r = _ofrep(h, "erin", path, content=raw, headers={"content-type": "application/json"})
            assert r.status_code == 400, (raw[:20], r.text)
            assert r.json()["errorCode"] == code
            assert r.json()["errorDetails"]
    # No flag set named: the OFREP error body, not problem+json.
    r = h.call("erin", "POST", "/ofrep/v1/evaluate/flags/static-on", json={})
    assert (r.status_code, r.json()["errorCode"]) == (400, "GENERAL")
    r = _ofrep(h, "erin", "/static-on", env="production", json={})
    assert (r.status_code, r.json()["errorCode"]) == (404, "FLAG_NOT_FOUND")


def test_ofrep_bulk_etag_covers_revision_and_context(harness: Harness) -> None:
    h = harness
    _create(h, "staging")
    runtime = runtime_for(h.client.app)  # type: ignore[arg-type]
    before = runtime.cache.compilations
    r = _ofrep(h, "erin", "", json={"context": {"targetingKey": "u1", "plan": "pro"}})
    assert r.status_code == 200
    flags = {f["key"]: f for f in r.json()["flags"]}
    assert set(flags) == set(DOC["flags"])
    assert flags["pro-only"]["reason"] == "TARGETING_MATCH"
    assert flags["dark"]["reason"] == "DISABLED"
    assert flags["broken"]["errorCode"] == "GENERAL"
    etag = r.headers["etag"]
    context = {"context": {"plan": "pro", "targetingKey": "u1"}}  # same context, other key order
    r = _ofrep(h, "erin", "", json=context, headers={"If-None-Match": etag})
    assert r.status_code == 304
    assert r.headers["etag"] == etag
    r = _ofrep(
        h, "erin", "", json={"context": {"targetingKey": "u2"}}, headers={"If-None-Match": etag}
    )
    assert r.status_code == 200
    assert r.headers["etag"] != etag
    assert runtime.cache.compilations == before + 1  # compiled once for many requests
    h.call("alice", "PUT", "/api/v1/flag-sets/shop/staging/document", json=_doc(dark=None))
    r = _ofrep(h, "erin", "", json=context, headers={"If-None-Match": etag})
    assert r.status_code == 200
    assert "dark" not in {f["key"] for f in r.json()["flags"]}
    assert runtime.cache.compilations == before + 2


def test_ofrep_authentication_scoping_and_rate_limit(harness: Harness) -> None:
    h = harness
    _create(h, "staging")
    _create(h, "development")
    tokens = {}
    for env in ("staging", "development"):
        r = h.call("alice", "POST", f"/api/v1/flag-sets/shop/{env}/tokens", json={"name": env})
        tokens[env] = {"authorization": f"Bearer {r.json()['token']}"}
    url = "/ofrep/v1/evaluate/flags/static-on"
    r = h.client.post(url, json={})
    assert r.status_code == 401
    assert (
        h.client.post(url, json={}, headers={"authorization": "Bearer sgf_forged"}).status_code
        == 401
    )
    r = h.client.post(url, json={}, headers=tokens["staging"])
    assert r.status_code == 200
    assert r.json()["value"] is True
    r = h.client.post(
        url, json={}, headers={**tokens["staging"], "X-Sluicegate-Environment": "development"}
    )
    assert r.status_code == 403
    r = h.client.post(url, json={}, headers={**tokens["staging"], "X-Sluicegate-Flag-Set": "x"})
    assert r.status_code == 403

    runtime = runtime_for(h.client.app)  # type: ignore[arg-type]
    runtime.limiter = RateLimiter(rate=0.001, burst=2)
    statuses = [
        h.client.post(url, json={}, headers=tokens["staging"]).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    r = h.client.post(url, json={}, headers=tokens["staging"])
    assert int(r.headers["retry-after"]) >= 1
    assert h.client.post(url, json={}, headers=tokens["development"]).status_code == 200


def test_revision_stream_wakes_on_notify_polls_and_ends() -> None:
    async def scenario() -> tuple[list[bytes], list[bytes], list[bytes]]:
        hub = RevisionHub()
        settings = FlagSettings(sse_keepalive=0.05, sse_poll=0.02, sse_max_seconds=30)
        revisions = iter(["r1", "r1", "r2"])
        state = {"disconnected": False}

        async def load() -> str | None:
            return next(revisions, "r2")

        async def is_disconnected() -> bool:
            return state["disconnected"]

        def stream() -> AsyncIterator[bytes]:
            return revision_events(
                key=("shop", "staging"),
                hub=hub,
                settings=settings,
                load_revision=load,
                is_disconnected=is_disconnected,
            )

        first = stream()
        received = [await anext(first)]
        hub.notify(("shop", "staging"))
        received.append(await anext(first))
        received.append(await anext(first))  # a keepalive once nothing changes
        state["disconnected"] = True
        after_disconnect = [chunk async for chunk in first]
        state["disconnected"] = False
        second = stream()
        await anext(second)
        hub.close()  # app shutdown
        after_close = [chunk async for chunk in second]
        return received, after_disconnect, after_close

    received, after_disconnect, after_close = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert received[0] == b'event: revision\ndata: {"revision": "r1", "flag_set": "shop"}\n\n'
    assert received[1] == b'event: revision\ndata: {"revision": "r2", "flag_set": "shop"}\n\n'
    assert received[2] == b": keepalive\n\n"
    assert after_disconnect == []
    assert after_close == []


def test_revision_stream_ends_after_its_maximum_age() -> None:
    async def scenario() -> list[bytes]:
        settings = FlagSettings(sse_keepalive=0.01, sse_poll=0.01, sse_max_seconds=0.05)

        async def load() -> str | None:
            return "r1"

        async def connected() -> bool:
            return False

        events = revision_events(
            key=("shop", "staging"),
            hub=RevisionHub(),
            settings=settings,
            load_revision=load,
            is_disconnected=connected,
        )
        return [chunk async for chunk in events]

    chunks = asyncio.run(asyncio.wait_for(scenario(), 30))  # a stream that never ends fails
    assert chunks[0].startswith(b"event: revision")
    assert set(chunks[1:]) <= {b": keepalive\n\n"}


def test_concurrent_applies_make_exactly_one_revision(harness: Harness) -> None:
    h = harness
    created = _create(h, "production")
    request_id = created["change_request"]["id"]
    base = "/api/v1/flag-sets/shop/production"
    h.call("bob", "POST", f"{base}/change-requests/{request_id}/approve", json={})
    deps = h.container.deps
    ctx = RequestContext(identity.authenticate(deps, h.tokens["alice"]))
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def apply() -> None:
        barrier.wait()
        try:
            flag_service.apply_change_request(deps, ctx, "shop", "production", request_id)
            outcomes.append("applied")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=apply) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["applied", "conflict", "conflict", "conflict"]
    history = h.call("erin", "GET", f"{base}/revisions").json()["items"]
    assert [r["number"] for r in history] == [2, 1]
