"""The CLI does what the API does: every operation of the OpenAPI document has a ``sluice``
command, or an explicit exemption that says why (issue 12).

For each operation, :data:`COMMANDS` names the command, and the test checks three things: the
command exists in the CLI's command tree; the module that defines it sends a request with that
method to a path of that shape (read from the source: ``client.request("PUT",
f"/api/v1/processes/{name}")`` is ``PUT /api/v1/processes/{}``, and a helper that returns an
f-string, such as ``_base(name, env)``, is inlined); and no entry is stale. The e2e tests
(tests/e2e/test_cli_against_server.py) run the commands against a real server.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
from tests.support.app import Harness
from typer._click import Context

from sluicegate.cli.main import app

#: (method, path) -> the command that performs the operation.
COMMANDS: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/me"): "whoami",
    ("GET", "/api/v1/teams"): "team list",
    ("POST", "/api/v1/teams"): "team create",
    ("GET", "/api/v1/users"): "user list",
    ("POST", "/api/v1/users"): "user create",
    ("GET", "/api/v1/tokens"): "token list",
    ("POST", "/api/v1/tokens"): "token create",
    ("POST", "/api/v1/tokens/{token_id}/revoke"): "token revoke",
    ("GET", "/api/v1/experiments"): "experiment list",
    ("POST", "/api/v1/experiments"): "experiment propose",
    ("GET", "/api/v1/experiments/{key}"): "experiment show",
    ("PATCH", "/api/v1/experiments/{key}"): "experiment update",
    ("POST", "/api/v1/experiments/{key}/approvals"): "experiment approve",
    ("POST", "/api/v1/experiments/{key}/transitions"): "experiment transition",
    ("GET", "/api/v1/risk-matrix"): "risk show",
    ("PUT", "/api/v1/risk-matrix"): "risk apply",
    ("POST", "/api/v1/risk-matrix/assess"): "risk assess",
    ("GET", "/api/v1/settings/tokens"): "token policy show",
    ("PUT", "/api/v1/settings/tokens"): "token policy set",
    ("GET", "/api/v1/settings/priority-weights"): "priority show",
    ("PUT", "/api/v1/settings/priority-weights"): "priority set",
    ("GET", "/api/v1/audit"): "audit log",
    ("GET", "/api/v1/audit/export"): "audit export",
    ("GET", "/api/v1/audit/checkpoints"): "audit checkpoints",
    ("POST", "/api/v1/audit/checkpoints"): "audit checkpoint",
    ("GET", "/api/v1/audit/public-keys"): "audit public-key",
    ("POST", "/api/v1/audit/verify"): "audit verify-server",
    ("GET", "/api/v1/flag-sets"): "flags list",
    ("POST", "/api/v1/flag-sets"): "flags create",
    ("GET", "/api/v1/flag-sets/{name}/{environment}"): "flags get",
    ("PATCH", "/api/v1/flag-sets/{name}/{environment}"): "flags update",
    ("PUT", "/api/v1/flag-sets/{name}/{environment}/document"): "flags apply",
    ("POST", "/api/v1/flag-sets/{name}/{environment}/diff"): "flags diff",
    ("GET", "/api/v1/flag-sets/{name}/{environment}/revisions"): "flags history",
    ("GET", "/api/v1/flag-sets/{name}/{environment}/revisions/{number}"): "flags get",
    ("POST", "/api/v1/flag-sets/{name}/{environment}/rollback"): "flags rollback",
    ("GET", "/api/v1/flag-sets/{name}/{environment}/change-requests"): "flags request list",
    (
        "GET",
        "/api/v1/flag-sets/{name}/{environment}/change-requests/{request_id}",
    ): "flags request show",
    (
        "POST",
        "/api/v1/flag-sets/{name}/{environment}/change-requests/{request_id}/approve",
    ): "flags request approve",
    (
        "POST",
        "/api/v1/flag-sets/{name}/{environment}/change-requests/{request_id}/reject",
    ): "flags request reject",
    (
        "POST",
        "/api/v1/flag-sets/{name}/{environment}/change-requests/{request_id}/apply",
    ): "flags request apply",
    ("GET", "/api/v1/flag-sets/{name}/{environment}/tokens"): "flags token list",
    ("POST", "/api/v1/flag-sets/{name}/{environment}/tokens"): "flags token create",
    (
        "POST",
        "/api/v1/flag-sets/{name}/{environment}/tokens/{token_id}/revoke",
    ): "flags token revoke",
    ("GET", "/api/v1/webhooks"): "webhook list",
    ("POST", "/api/v1/webhooks"): "webhook create",
    ("GET", "/api/v1/webhooks/deliveries"): "webhook deliveries",
    ("GET", "/api/v1/webhooks/dead-letters"): "webhook dead-letters",
    ("POST", "/api/v1/webhooks/dead-letters/{delivery_id}/retry"): "webhook retry",
    ("GET", "/api/v1/webhooks/{sub_id}"): "webhook show",
    ("PATCH", "/api/v1/webhooks/{sub_id}"): "webhook update",
    ("DELETE", "/api/v1/webhooks/{sub_id}"): "webhook delete",
    ("POST", "/api/v1/jit/requests"): "jit request",
    ("GET", "/api/v1/jit/requests"): "jit list",
    ("POST", "/api/v1/jit/requests/{req_id}/approve"): "jit approve",
    ("POST", "/api/v1/jit/requests/{req_id}/deny"): "jit deny",
    ("POST", "/api/v1/jit/grants/{grant_id}/revoke"): "jit revoke",
    ("POST", "/api/v1/processes/validate"): "process validate",
    ("PUT", "/api/v1/processes/{name}"): "process apply",
    ("GET", "/api/v1/processes/{name}"): "process show",
    ("GET", "/api/v1/processes/{name}/diff"): "process diff",
    ("PUT", "/api/v1/process-selector"): "process selector",
    ("PUT", "/api/v1/gate-settings/{name}"): "process board",
    ("POST", "/api/v1/experiments/{key}/process"): "process pin",
    ("POST", "/api/v1/experiments/{key}/gates/{stage}/check"): "gate check",
    ("GET", "/api/v1/decisions/{decision_id}"): "gate explain",
    ("POST", "/api/v1/experiments/{key}/evidence"): "evidence add",
    ("GET", "/api/v1/experiments/{key}/evidence"): "evidence list",
    ("POST", "/api/v1/experiments/{key}/overrides"): "override create",
    ("GET", "/api/v1/experiments/{key}/overrides"): "override list",
    ("POST", "/api/v1/overrides/{override_id}/revoke"): "override revoke",
    ("POST", "/api/v1/rollouts"): "rollout start",
    ("GET", "/api/v1/rollouts"): "rollout list",
    ("GET", "/api/v1/rollouts/breakers"): "rollout breakers",
    ("GET", "/api/v1/incidents"): "rollout incidents",
    ("GET", "/api/v1/rollouts/{rollout_id}"): "rollout status",
    ("GET", "/api/v1/rollouts/{rollout_id}/weights"): "rollout weights",
    ("POST", "/api/v1/rollouts/{rollout_id}/start"): "rollout start",
    ("POST", "/api/v1/rollouts/{rollout_id}/pause"): "rollout pause",
    ("POST", "/api/v1/rollouts/{rollout_id}/resume"): "rollout resume",
    ("POST", "/api/v1/rollouts/{rollout_id}/promote"): "rollout promote",
    ("POST", "/api/v1/rollouts/{rollout_id}/abort"): "rollout abort",
    ("POST", "/api/v1/metrics"): "metrics push",
    ("GET", "/api/v1/metrics"): "metrics read",
    ("POST", "/api/v1/delivery/deployments"): "deploy record",
    ("GET", "/api/v1/delivery/deployments"): "deploy list",
    ("GET", "/api/v1/delivery/deployments/{deployment_id}"): "deploy show",
    ("POST", "/api/v1/delivery/incidents"): "incident open",
    ("GET", "/api/v1/delivery/incidents"): "incident list",
    ("GET", "/api/v1/delivery/incidents/{incident_id}"): "incident show",
    ("POST", "/api/v1/delivery/incidents/{incident_id}/updates"): "incident resolve",
    ("POST", "/api/v1/delivery/changes"): "change record",
    ("GET", "/api/v1/delivery/changes"): "change list",
    ("GET", "/api/v1/delivery/changes/{change_id}"): "change show",
    ("GET", "/api/v1/delivery/metrics"): "dora show",
    ("GET", "/api/v1/delivery/metrics/{metric}/explain"): "dora explain",
    ("GET", "/api/v1/delivery/kpis"): "kpi show",
    ("POST", "/api/v1/slos"): "slo apply",
    ("GET", "/api/v1/slos"): "slo list",
    ("GET", "/api/v1/slos/{service}/{name}"): "slo show",
    ("GET", "/api/v1/slos/{service}/{name}/rules"): "slo show",
    ("GET", "/api/v1/experiments/{key}/impact"): "experiment impact",
}

#: Operations with no command on purpose, and why.
EXEMPT: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/health"): "a liveness probe for load balancers and orchestrators; "
    "`sluice whoami` checks that the server answers and the token works",
    ("GET", "/api/v1/sync/flag-sets/{flag_set}"): "SDK sync (ETag polling) for flag providers, "
    "not people; `sluice flags get` exports the same document",
    ("GET", "/api/v1/sync/flag-sets/{flag_set}/events"): "SDK sync (server-sent events) for "
    "flag providers; a terminal has no use for the stream",
    ("POST", "/ofrep/v1/evaluate/flags/{key}"): "OFREP evaluation for OpenFeature providers, "
    "with a flag-set token (docs/ofrep.md)",
    ("POST", "/ofrep/v1/evaluate/flags"): "OFREP bulk evaluation for OpenFeature providers",
    ("POST", "/api/v1/alerts/alertmanager"): "Alertmanager's webhook_configs post their "
    "notifications here with a contributor's bearer token; `sluice incident open|resolve` is "
    "the CLI's way in",
    ("POST", "/api/v1/delivery/webhooks/{source}"): "GitHub, GitLab and Azure DevOps post "
    "here, signed with the source's secret; `sluice delivery sources` checks their "
    "configuration and `sluice deploy record` is the CLI's way in",
}

#: Commands that send an operation a second way, beside the one in COMMANDS.
ALSO = {
    ("PUT", "/api/v1/gate-settings/{name}"): "process environments",
    ("PATCH", "/api/v1/flag-sets/{name}/{environment}"): "flags policy",
    ("POST", "/api/v1/delivery/incidents/{incident_id}/updates"): "incident ack",
}


def _norm(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def _call_to(node: ast.AST, names: set[str] | dict[str, str]) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
        return node.func.id
    return None


def _shape(node: ast.AST, helpers: dict[str, str]) -> str | None:
    """The shape of a path expression: '{}' for each interpolation, helpers inlined."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    helper = _call_to(node, helpers)
    if helper is not None:
        return helpers[helper]
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                assert isinstance(value, ast.FormattedValue)
                inner = _call_to(value.value, helpers)
                parts.append(helpers[inner] if inner is not None else "{}")
        return "".join(parts)
    return None


def _sends(fn: ast.AST) -> list[tuple[str, ast.expr]]:
    """(method, path expression) of each ``*.request("METHOD", path)`` call inside ``fn``."""
    found = []
    for n in ast.walk(fn):
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "request"
            and len(n.args) >= 2
            and isinstance(n.args[0], ast.Constant)
        ):
            found.append((str(n.args[0].value), n.args[1]))
    return found


def _requests(module: Any) -> set[tuple[str, str]]:
    """(method, path shape) of every request a CLI module sends."""
    tree = ast.parse(Path(inspect.getfile(module)).read_text(encoding="utf-8"))
    functions = {fn.name: fn for fn in tree.body if isinstance(fn, ast.FunctionDef)}
    helpers: dict[str, str] = {}
    for name, fn in functions.items():
        ret = fn.body[-1]
        if isinstance(ret, ast.Return) and ret.value is not None:
            shape = _shape(ret.value, {})
            if shape is not None and shape.startswith("/api/"):
                helpers[name] = shape
    found: set[tuple[str, str]] = set()
    for method, path in _sends(tree):
        shape = _shape(path, helpers)
        if shape is not None:
            found.add((method, shape))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "stream_lines"
            and node.args
        ):
            shape = _shape(node.args[0], helpers)
            if shape is not None:
                found.add(("GET", shape))
    # A path handed to a local function that sends its first parameter:
    # _control(f"/api/v1/rollouts/{rollout_id}/pause", ...).
    senders: dict[str, str] = {}
    for name, fn in functions.items():
        first = fn.args.args[0].arg if fn.args.args else None
        for method, path in _sends(fn):
            if isinstance(path, ast.Name) and path.id == first:
                senders[name] = method
    for node in ast.walk(tree):
        sender = _call_to(node, senders)
        if sender is not None and isinstance(node, ast.Call) and node.args:
            shape = _shape(node.args[0], helpers)
            if shape is not None:
                found.add((senders[sender], shape))
    return found


def _matches(shape: str, template: str) -> bool:
    """A source shape matches an operation path: '{}' segments stand for any one segment."""
    src, op = shape.split("/"), _norm(template).split("/")
    return len(src) == len(op) and all(s in ("{}", o) for s, o in zip(src, op, strict=True))


@functools.cache
def _commands() -> dict[str, Any]:
    found: dict[str, Any] = {}

    def walk(cmd: Any, path: list[str]) -> None:
        if cmd.callback is not None and path:
            found[" ".join(path)] = cmd.callback
        # list_commands/get_command, not .commands: the top level loads its groups on demand
        if hasattr(cmd, "list_commands"):
            ctx = Context(cmd)
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def _operations(client: Any) -> set[tuple[str, str]]:
    """(METHOD, path) of every operation in the served OpenAPI document."""
    doc = client.get("/api/v1/openapi.json").json()
    return {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}


def _uncovered(operations: set[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(op for op in operations if op not in COMMANDS and op not in EXEMPT)


@pytest.fixture
def operations(sqlite_harness: Harness) -> set[tuple[str, str]]:
    return _operations(sqlite_harness.client)


def test_every_operation_has_a_command_or_an_explained_exemption(
    operations: set[tuple[str, str]],
) -> None:
    missing = _uncovered(operations)
    assert missing == [], f"operations without a sluice command or an exemption: {missing}"
    stale = sorted(op for op in {*COMMANDS, *EXEMPT} if op not in operations)
    assert stale == [], f"entries for operations the API no longer has: {stale}"
    assert not set(COMMANDS) & set(EXEMPT)
    assert all(len(why) > 40 for why in EXEMPT.values()), "say why"


def test_a_new_operation_without_a_command_is_reported(sqlite_harness: Harness) -> None:
    """The walk reads the served document, so a route added to the app shows up uncovered."""
    app = sqlite_harness.client.app
    assert _uncovered(_operations(sqlite_harness.client)) == []

    @app.post("/api/v1/experiments/{key}/archive")  # type: ignore[attr-defined,untyped-decorator]
    def archive(key: str) -> dict[str, str]:  # pragma: no cover - never called
        return {"key": key}

    app.openapi_schema = None  # type: ignore[attr-defined]  # FastAPI caches the document
    assert _uncovered(_operations(sqlite_harness.client)) == [
        ("POST", "/api/v1/experiments/{key}/archive")
    ]


@pytest.mark.parametrize(
    ("op", "command"),
    sorted([*COMMANDS.items(), *ALSO.items()]),
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else v,
)
def test_the_command_exists_and_sends_the_operation(op: tuple[str, str], command: str) -> None:
    callbacks = _commands()
    assert command in callbacks, f"no command `sluice {command}`"
    module = inspect.getmodule(callbacks[command])
    sent = _requests(module)
    method, template = op
    assert any(m == method and _matches(path, template) for m, path in sent), (
        f"`sluice {command}` ({module.__name__ if module else '?'}) sends no {method} "
        f"{template}; it sends {sorted(sent)}"
    )
