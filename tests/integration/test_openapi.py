"""The OpenAPI document describes every response body, and the live bodies match their models.

(a) Every operation's 2xx response has a non-empty schema for each media type, and every 4xx
    response of /api/v1 is problem+json; (b) a scenario over a representative set of routes
    checks each actual body against the model the document names for its route and status:
    validating and dumping it again gives the same JSON (same keys in the same order, same
    values, same nulls), and no key is left over as an undeclared extra.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from typing import Any

import pytest
from pydantic import BaseModel, RootModel
from tests.support.app import EXAMPLE_PROPOSAL, Harness

from sluicegate.api import schemas

#: Responses without a JSON body, and why.
NO_JSON_BODY: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/audit/export"): "a stream of JSON lines (application/x-ndjson)",
    ("GET", "/api/v1/audit/public-keys"): "PEM public keys as text/plain",
    ("GET", "/api/v1/sync/flag-sets/{flag_set}/events"): "server-sent events (text/event-stream)",
    ("DELETE", "/api/v1/webhooks/{sub_id}"): "204 No Content",
}
#: Statuses that never carry a body.
BODYLESS = {"204", "304"}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    found: dict[str, Any] = doc
    for part in ref.removeprefix("#/").split("/"):
        found = found[part]
    return found


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
    ]


@pytest.fixture
def document(sqlite_harness: Harness) -> dict[str, Any]:
    found: dict[str, Any] = sqlite_harness.client.get("/api/v1/openapi.json").json()
    return found


def test_every_success_response_has_a_schema(document: dict[str, Any]) -> None:
    missing = []
    for method, path, op in _operations(document):
        successes = {s: r for s, r in op["responses"].items() if s.startswith("2")}
        assert successes, f"{method} {path} documents no success response"
        for status, response in successes.items():
            content = response.get("content", {})
            if status in BODYLESS:
                assert not content, f"{method} {path} {status} documents a body"
                continue
            if (method, path) not in NO_JSON_BODY:
                assert "application/json" in content, f"{method} {path} {status}"
            for media_type, entry in content.items():
                schema = _resolve(document, entry.get("schema", {}))
                if not schema or schema == {"type": "object", "additionalProperties": True}:
                    missing.append(f"{method} {path} {status} {media_type}")
                elif media_type == "application/json" and "$ref" in entry["schema"]:
                    ok = "properties" in schema or schema.get("type") == "object"
                    assert ok, f"{method} {path} {status}: {schema}"
    assert not missing, "responses without a schema:\n" + "\n".join(missing)


def test_errors_are_described_as_problems(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])
    for method, path, op in _operations(document):
        errors = {s: r for s, r in op["responses"].items() if s.startswith("4")}
        if path == "/api/v1/health":
            assert not errors
            continue
        if path.startswith("/api/v1/delivery/webhooks/"):
            # a source's signature is its only credential: no role to fall short of
            assert "401" in errors, f"{method} {path}"
            assert "403" not in errors, f"{method} {path}"
        else:
            assert {"401", "403"} <= set(errors), f"{method} {path}"
        for status, response in errors.items():
            content = response["content"]
            if path.startswith("/ofrep/") and status in {"400", "404", "429"}:
                assert "application/json" in content, f"{method} {path} {status}"  # OFREP's
                continue
            schema = content["application/problem+json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}, f"{method} {path} {status}"
    # a write answers 400/404/409 as well; a read by key 404
    ops = {(m, p): op for m, p, op in _operations(document)}
    assert {"400", "404", "409", "422"} <= set(ops["POST", "/api/v1/experiments"]["responses"])
    assert "404" in ops["GET", "/api/v1/experiments/{key}"]["responses"]


# -- (b) live bodies against their models ---------------------------------------------------------


def _models() -> dict[str, type[BaseModel]]:
    """Every response model by its component name (the class name)."""
    found: dict[str, type[BaseModel]] = {}
    for info in pkgutil.walk_packages(schemas.__path__, f"{schemas.__name__}."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel):
                found[value.__name__] = value
    return found


def _model(doc: dict[str, Any], method: str, path: str, status: int) -> type[BaseModel]:
    """The model the document names for this request's route and status."""
    for template, ops in doc["paths"].items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path) and method.lower() in ops:
            response = ops[method.lower()]["responses"][str(status)]
            ref = response["content"]["application/json"]["schema"]["$ref"]
            return _models()[ref.rsplit("/", 1)[1]]
    raise AssertionError(f"{method} {path} is not in the document")


def _extras(value: Any, where: str = "") -> list[str]:
    """Keys a model kept only because extra keys are allowed (i.e. that it does not declare)."""
    if isinstance(value, RootModel):
        return []
    if isinstance(value, BaseModel):
        found = [f"{where}.{k}" for k in value.__pydantic_extra__ or {}]
        for name in type(value).model_fields:
            found += _extras(getattr(value, name), f"{where}.{name}")
        return found
    if isinstance(value, list):
        return [x for i, item in enumerate(value) for x in _extras(item, f"{where}[{i}]")]
    return []


def conforms(doc: dict[str, Any], method: str, path: str, r: Any) -> None:
    """The body validates against its model, and dumping it again gives the same JSON."""
    assert r.status_code < 300, (method, path, r.status_code, r.text)
    body = r.json()
    parsed = _model(doc, method, path, r.status_code).model_validate(body)
    assert _extras(parsed) == [], f"{method} {path}: undeclared keys"
    again = parsed.model_dump(mode="json", exclude_unset=True)
    assert json.dumps(again) == json.dumps(body), f"{method} {path}"


class Checked:
    """Sends requests through a harness and checks each JSON body against its documented model."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.doc: dict[str, Any] = h.client.get("/api/v1/openapi.json").json()
        self.seen: set[tuple[str, str, int]] = set()

    def __call__(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        r = self.h.call(who, method, path, **kwargs)
        conforms(self.doc, method, path.split("?", maxsplit=1)[0], r)
        self.seen.add((method, path.split("?", maxsplit=1)[0], r.status_code))
        return r.json()


PROCESS = """\
apiVersion: sluicegate.dev/v1
kind: Process
metadata:
  name: default
entry: sandbox
stages:
  - name: sandbox
  - name: staging
    needs: [sandbox]
    gates:
      - id: sign-off
        type: approval
        enforcement: hard-mandatory
        config:
          rules:
            - {domain: security, min: 1}
          risk_signoffs: false
"""

FLAGS = {
    "flags": {
        "on": {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "on"},
        "dark": {"state": "DISABLED", "variants": {"a": 1}, "defaultVariant": "a"},
    }
}

JUNIT = b'<testsuite name="unit" tests="1"><testcase name="a"/></testsuite>'


def test_live_bodies_match_their_documented_models(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    call = Checked(h)
    yaml = {"content-type": "application/yaml"}

    call("admin", "GET", "/api/v1/health")
    call("alice", "GET", "/api/v1/me")
    call("admin", "GET", "/api/v1/teams")
    call("admin", "GET", "/api/v1/users")
    token = call("admin", "POST", "/api/v1/tokens", json={"name": "ci", "username": "erin"})
    call("admin", "GET", "/api/v1/tokens")
    call("admin", "POST", f"/api/v1/tokens/{token['id']}/revoke", json={})

    exp = call("alice", "POST", "/api/v1/experiments", content=EXAMPLE_PROPOSAL, headers=yaml)
    key = exp["key"]
    base = f"/api/v1/experiments/{key}"
    call("erin", "GET", "/api/v1/experiments")
    call("erin", "GET", base)
    call("alice", "PATCH", base, json={"title": "Checkout, redesigned"})
    call("carol", "POST", f"{base}/approvals", json={"domain": "product"})  # a domain risk asks
    call("erin", "GET", "/api/v1/risk-matrix")
    factors = {"data_classification": "internal", "user_impact": "all", "system_criticality": "low"}
    call("erin", "POST", "/api/v1/risk-matrix/assess", json=factors)
    call("erin", "GET", "/api/v1/settings/priority-weights")

    call("admin", "PUT", "/api/v1/processes/default", json={"source": PROCESS})
    call("erin", "GET", "/api/v1/processes/default")
    call("admin", "POST", "/api/v1/processes/validate", json={"source": PROCESS})
    call("alice", "POST", f"{base}/evidence?kind=junit", content=JUNIT)
    call("erin", "GET", f"{base}/evidence")
    decision = call("alice", "POST", f"{base}/gates/staging/check", json={"ci_run_id": "run-1"})
    call("erin", "GET", f"/api/v1/decisions/{decision['id']}")
    call("erin", "GET", f"/api/v1/decisions/{decision['id']}?replay=true")
    call("erin", "GET", f"{base}/overrides")

    created = call("alice", "POST", "/api/v1/flag-sets", json={
        "name": "shop", "environment": "staging", "owner_team": "payments", "document": FLAGS,
    })  # fmt: skip
    assert created["outcome"] == "revised"
    flags = "/api/v1/flag-sets/shop/staging"
    call("erin", "GET", "/api/v1/flag-sets")
    call("erin", "GET", flags)
    call("erin", "GET", f"{flags}/revisions")
    call("erin", "GET", f"{flags}/revisions/1")
    call("erin", "POST", f"{flags}/diff", json=FLAGS)
    scoped = call("alice", "POST", f"{flags}/tokens", json={"name": "app"})
    call("alice", "GET", f"{flags}/tokens")
    ofrep = {"authorization": f"Bearer {scoped['token']}"}
    for path in ("/ofrep/v1/evaluate/flags/on", "/ofrep/v1/evaluate/flags/dark"):
        r = h.client.post(path, json={"context": {"targetingKey": "u1"}}, headers=ofrep)
        assert r.status_code == 200
        conforms(call.doc, "POST", path, r)
    r = h.client.post("/ofrep/v1/evaluate/flags", json={"context": {}}, headers=ofrep)
    conforms(call.doc, "POST", "/ofrep/v1/evaluate/flags", r)
    r = h.client.get("/api/v1/sync/flag-sets/shop?environment=staging", headers=ofrep)
    conforms(call.doc, "GET", "/api/v1/sync/flag-sets/shop", r)

    hook = {"name": "ops", "url": "https://hooks.example/x", "events": ["*"]}
    sub = call("admin", "POST", "/api/v1/webhooks", json=hook)
    call("admin", "GET", "/api/v1/webhooks")
    call("admin", "GET", f"/api/v1/webhooks/{sub['id']}")
    call("admin", "GET", "/api/v1/webhooks/deliveries")
    call("erin", "GET", "/api/v1/rollouts")
    call("erin", "GET", "/api/v1/rollouts/breakers")
    call("erin", "GET", "/api/v1/incidents")
    call("erin", "GET", f"/api/v1/metrics?experiment={key}")
    call("erin", "GET", "/api/v1/jit/requests")

    call("admin", "GET", "/api/v1/audit?limit=5")
    call("admin", "POST", "/api/v1/audit/checkpoints")
    call("admin", "GET", "/api/v1/audit/checkpoints")
    call("admin", "POST", "/api/v1/audit/verify")
    assert len(call.seen) >= 40


def test_no_parameter_offers_null(document: dict[str, Any]) -> None:
    # A header or query value of `null` is the four letters; schemathesis sent `if-match: null`
    # because FastAPI documented the optional header as string-or-null (ST202).
    offered = [
        (path, method, p["name"])
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if isinstance(op, dict)
        for p in op.get("parameters", [])
        if {"type": "null"} in p["schema"].get("anyOf", [])
    ]
    assert offered == []


def test_open_objects_in_bodies_say_their_keys_hold_no_nul(document: dict[str, Any]) -> None:
    # The server refuses a NUL in any key of a body (api/documents.check_tree); a map's schema
    # says so through propertyNames. Metric labels say the stricter rule the service checks.
    put = document["paths"]["/api/v1/gate-settings/{name}"]["put"]
    body = put["requestBody"]["content"]["application/json"]["schema"]
    assert body["propertyNames"] == {"pattern": r"^[^\x00]*$"}
    sample = document["components"]["schemas"]["SampleBody"]["properties"]["labels"]
    assert sample["propertyNames"]["pattern"].startswith("^(?!(experiment|variant)$)")
    assert sample["maxProperties"] == 16
