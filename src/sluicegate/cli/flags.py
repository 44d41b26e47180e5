"""``sluice flags ...``: flag sets per environment, over the API.

``sluice flags get NAME --env E > flags.json`` exports the flagd document; ``sluice flags apply
NAME --env E -f flags.json`` imports one. A change that needs approval prints the change request
and exits 5 (pending).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from sluicegate.cli import complete
from sluicegate.cli.apps import new_app
from sluicegate.cli.client import Client
from sluicegate.cli.common import JsonOpt, client_session
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, err, out, styled, table

app = new_app(
    help="Feature-flag sets: export, import, diff, history, rollback, approvals.",
    no_args_is_help=True,
)
requests_app = new_app(
    help="Change requests: four-eyes approval of governed changes.", no_args_is_help=True
)
tokens_app = new_app(
    help="Tokens scoped to one flag set (OFREP and sync only).", no_args_is_help=True
)
app.add_typer(requests_app, name="request")
app.add_typer(tokens_app, name="token")

Env = Annotated[str, typer.Option("--env", "-e", help="Environment, e.g. staging, production.")]
Reason = Annotated[str | None, typer.Option(help="Why: stored with the revision and audited.")]
File = Annotated[str, typer.Option("-f", "--file", help="flagd JSON document ('-' = stdin).")]
NameArg = Annotated[
    str, typer.Argument(help="The flag set's name.", autocompletion=complete.flag_sets)
]
RequestArg = Annotated[str, typer.Argument(help="The change request id (`flags request list`).")]


def _base(name: str, env: str) -> str:
    return f"/api/v1/flag-sets/{name}/{env}"


def _read(path: str) -> Any:
    try:
        raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", ExitCode.USAGE) from exc
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CliError(
            f"{path} is not JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}",
            ExitCode.USAGE,
            code="malformed-document",
        ) from exc


def _print_diff(diff: dict[str, Any]) -> None:
    flags = diff.get("flags", {})
    for key in flags.get("added", {}):
        out.print(styled("[green]+ {}[/]", key))
    for key in flags.get("removed", {}):
        out.print(styled("[red]- {}[/]", key))
    for key, change in flags.get("changed", {}).items():
        before, after = change["before"], change["after"]
        fields = sorted(
            f for f in set(before) | set(after) if before.get(f, None) != after.get(f, None)
        )
        out.print(styled("[yellow]~ {}[/] ({})", key, ", ".join(fields)))
        for f in fields:
            out.print(f"    {f}: {json.dumps(before.get(f))} -> {json.dumps(after.get(f))}")
    for section in ("$evaluators", "metadata"):
        if section in diff:
            out.print(styled("[yellow]~ {}[/]", section))


def _print_findings(findings: list[dict[str, Any]]) -> None:
    """Problems accepted with the document (the flag set warns, or they were there before)."""
    for f in findings:
        tag = "new" if f.get("new") else "existing"
        err.print(
            styled(
                "[yellow]warning[/] ({}) {}: {} -> {}",
                tag,
                f["pointer"] or "/",
                f["reason"],
                f["effect"],
            )
        )


def _report(result: dict[str, Any], as_json: bool) -> None:
    """Print a write's outcome; a change request awaiting approval exits 5 (pending)."""
    if as_json:
        emit_json(result)
    else:
        _print_findings(result.get("findings", []))
    fs = result["flag_set"]
    where = f"{fs['name']}/{fs['environment']}"
    if result["outcome"] == "revised":
        rev = result["revision"]
        if not as_json:
            out.print(f"{where}: revision {rev['number']} ({rev['summary']})")
            _print_diff(rev["diff"])
        return
    if result["outcome"] == "unchanged":
        if not as_json:
            out.print(f"{where}: unchanged (revision {fs['revision_number']})")
        return
    cr = result["change_request"]
    if not as_json:
        out.print(f"{where}: change request {cr['id']} is {cr['state']} ({cr['summary']})")
        _print_diff(cr["diff"])
    if cr["state"] == "pending":
        err.print(
            "a reviewer other than you must approve it: "
            f"sluice flags request approve {fs['name']} {cr['id']} --env {fs['environment']}"
        )
    elif cr["apply_at"]:
        err.print(f"scheduled to apply at {cr['apply_at']}")
    raise typer.Exit(int(ExitCode.PENDING))


@app.command("list")
def list_(
    name: Annotated[str | None, typer.Option(help="Only this flag set.")] = None,
    team: Annotated[str | None, typer.Option(help="Only this owner team.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Flag sets in every environment."""
    params = {k: v for k, v in {"name": name, "team": team}.items() if v}
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/flag-sets", params=params)["items"]
    if as_json:
        emit_json(items)
        return
    rows = [
        (
            f["name"],
            f["environment"],
            f["revision_number"],
            f["flag_count"],
            f["owner_team"],
            "yes" if f["requires_approval"] else "no",
            f["experiment"],
        )
        for f in items
    ]
    headers = ["name", "env", "revision", "flags", "team", "approval", "experiment"]
    table("Flag sets", headers, rows, keep=["name"])


@app.command("create")
def create(
    name: NameArg,
    env: Env,
    team: Annotated[str, typer.Option(help="Owner team key.")],
    experiment: Annotated[str | None, typer.Option(help="Linked experiment key.")] = None,
    policy: Annotated[
        str | None, typer.Option(help="Policy JSON, e.g. '{\"require_approval\": false}'.")
    ] = None,
    file: Annotated[str | None, typer.Option("-f", "--file", help="Initial document.")] = None,
    reason: Reason = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a flag set in one environment."""
    body: dict[str, Any] = {"name": name, "environment": env, "owner_team": team}
    with client_session(as_json) as client:
        if policy is not None:
            try:
                body["policy"] = json.loads(policy)
            except json.JSONDecodeError as exc:
                raise CliError(f"--policy is not JSON: {exc.msg}", ExitCode.USAGE) from exc
        if file is not None:
            body["document"] = _read(file)
        body.update({k: v for k, v in {"experiment": experiment, "reason": reason}.items() if v})
        result = client.request("POST", "/api/v1/flag-sets", json=body)
    _report(result, as_json)


@app.command("policy")
def policy(
    name: NameArg,
    env: Env,
    findings: Annotated[
        str | None,
        typer.Option(help="New problems in a written document: refuse or warn (admin to relax)."),
    ] = None,
    require_approval: Annotated[
        bool | None,
        typer.Option("--require-approval/--no-require-approval", help="Four-eyes approval."),
    ] = None,
    reason: Reason = None,
    as_json: JsonOpt = False,
) -> None:
    """Show or change a flag set's policy (approval, and what writes do with new findings)."""
    with client_session(as_json) as client:
        current = client.request("GET", _base(name, env))
        changes = {
            key: value
            for key, value in {"findings": findings, "require_approval": require_approval}.items()
            if value is not None
        }
        if changes:
            params = {"reason": reason} if reason else {}
            current = client.request(
                "PATCH",
                _base(name, env),
                json={"policy": {**(current.get("policy") or {}), **changes}},
                params=params,
            )
    shown = {
        "policy": current.get("policy") or {},
        "requires_approval": current["requires_approval"],
        "findings": current["findings"],
    }
    if as_json:
        emit_json(shown)
        return
    out.print(
        f"{name}/{env}: approval {'required' if shown['requires_approval'] else 'not required'}, "
        f"new findings {'refused' if shown['findings'] == 'refuse' else 'accepted with warnings'}"
    )


@app.command("get")
def get(
    name: NameArg,
    env: Env,
    revision: Annotated[int | None, typer.Option(help="An earlier revision number.")] = None,
    meta: Annotated[
        bool, typer.Option(help="Print the flag set's settings, not the document.")
    ] = False,
) -> None:
    """Print the flagd document (export: `sluice flags get NAME --env E > flags.json`)."""
    with client_session(False) as client:
        if revision is not None:
            found = client.request("GET", f"{_base(name, env)}/revisions/{revision}")
        else:
            found = client.request("GET", _base(name, env))
    if meta:
        found.pop("document", None)
        emit_json(found)
        return
    emit_json(found["document"])


def _put(
    client: Client,
    name: NameArg,
    env: str,
    document: Any,
    reason: str | None,
    apply_at: str | None,
    expect: int | None,
) -> Any:
    params = {k: v for k, v in {"reason": reason, "apply_at": apply_at}.items() if v}
    headers = {"If-Match": f'"{expect}"'} if expect is not None else {}
    return client.request(
        "PUT", f"{_base(name, env)}/document", json=document, params=params, headers=headers
    )


ApplyAt = Annotated[
    str | None, typer.Option("--apply-at", help="Apply later (ISO 8601 with time zone).")
]


@app.command("apply")
def apply(
    name: NameArg,
    env: Env,
    file: File,
    reason: Reason = None,
    apply_at: ApplyAt = None,
    expect_revision: Annotated[
        int | None, typer.Option(help="Fail with exit 7 unless the set is at this revision.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a flagd document: a new revision, or a change request where approval is needed."""
    with client_session(as_json) as client:
        result = _put(client, name, env, _read(file), reason, apply_at, expect_revision)
    _report(result, as_json)


@app.command("set")
def set_(
    name: NameArg,
    flag: Annotated[str, typer.Argument(help="The flag key.")],
    env: Env,
    state: Annotated[str | None, typer.Option(help="ENABLED or DISABLED.")] = None,
    default_variant: Annotated[str | None, typer.Option(help="The default variant.")] = None,
    reason: Reason = None,
    apply_at: ApplyAt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change one flag's state or default variant (read, modify, write with If-Match)."""
    if state is None and default_variant is None:
        raise CliError("nothing to set: give --state and/or --default-variant", ExitCode.USAGE)
    with client_session(as_json) as client:
        current = client.request("GET", _base(name, env))
        document = current["document"]
        if flag not in document.get("flags", {}):
            raise CliError(
                f"flag {flag!r} is not in {name}/{env}",
                ExitCode.NOT_FOUND,
                hint="`sluice flags get` shows the document; `apply -f` adds flags.",
            )
        if state is not None:
            document["flags"][flag]["state"] = state.upper()
        if default_variant is not None:
            document["flags"][flag]["defaultVariant"] = default_variant
        result = _put(client, name, env, document, reason, apply_at, current["revision_number"])
    _report(result, as_json)


@app.command("diff")
def diff(
    name: NameArg,
    env: Env,
    file: Annotated[
        str | None, typer.Option("-f", "--file", help="Compare this document with the current.")
    ] = None,
    from_: Annotated[int | None, typer.Option("--from", help="Revision number.")] = None,
    to: Annotated[int | None, typer.Option(help="Revision number (default: current).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """What a document would change, or what changed between two revisions."""
    with client_session(as_json) as client:
        if file is not None:
            result = client.request("POST", f"{_base(name, env)}/diff", json=_read(file))
        elif from_ is not None:
            target: Any = (
                client.request("GET", f"{_base(name, env)}/revisions/{to}")
                if to is not None
                else client.request("GET", _base(name, env))
            )
            base = client.request("GET", f"{_base(name, env)}/revisions/{from_}")
            # Two stored revisions: compared here with the server's own (pure) diff function.
            from sluicegate.domain.flags import diff_documents, diff_summary

            d = diff_documents(base["document"], target["document"])
            result = {"summary": diff_summary(d), "diff": d}
        else:
            raise CliError("give -f FILE, or --from N [--to M]", ExitCode.USAGE)
    if as_json:
        emit_json(result)
        return
    out.print(result["summary"])
    _print_diff(result["diff"])
    _print_findings(result.get("findings", []))
    if result.get("refused"):
        err.print("applying it would be refused: the flag set refuses new problems")


@app.command("history")
def history(
    name: NameArg,
    env: Env,
    limit: Annotated[int, typer.Option(help="How many revisions, newest first.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The rollback inventory: every revision with who, when, why and what changed."""
    with client_session(as_json) as client:
        items = client.request("GET", f"{_base(name, env)}/revisions", params={"limit": limit})
    if as_json:
        emit_json(items["items"])
        return
    rows = [
        (
            r["number"],
            r["created_at"],
            r["actor"],
            r["source"] + (f" of {r['rollback_of']}" if r["rollback_of"] else ""),
            r["summary"],
            r["reason"],
        )
        for r in items["items"]
    ]
    table(
        f"{name}/{env}",
        ["#", "when", "who", "source", "change", "why"],
        rows,
        keep=["#"],
        flex=["change", "why"],
    )


@app.command("rollback")
def rollback(
    name: NameArg,
    env: Env,
    to: Annotated[int, typer.Option(help="The revision number to return to.")],
    reason: Reason = None,
    apply_at: ApplyAt = None,
    as_json: JsonOpt = False,
) -> None:
    """Return to any earlier revision in one step (a new revision with its content)."""
    body: dict[str, Any] = {"to": to}
    body.update({k: v for k, v in {"reason": reason, "apply_at": apply_at}.items() if v})
    with client_session(as_json) as client:
        result = client.request("POST", f"{_base(name, env)}/rollback", json=body)
    _report(result, as_json)


@requests_app.command("list")
def requests_list(
    name: NameArg,
    env: Env,
    state: Annotated[str | None, typer.Option(help="pending, approved, rejected...")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change requests of a flag set, oldest first."""
    params = {"state": state} if state else {}
    with client_session(as_json) as client:
        items = client.request("GET", f"{_base(name, env)}/change-requests", params=params)
    if as_json:
        emit_json(items["items"])
        return
    rows = [
        (c["id"], c["state"], c["author"], c["summary"], c["apply_at"], c["reviewer"], c["reason"])
        for c in items["items"]
    ]
    table(
        f"Change requests of {name}/{env}",
        ["id", "state", "author", "change", "apply at", "reviewer", "why"],
        rows,
        keep=["id"],
        flex=["change", "why"],
    )


def _decide(name: str, env: str, request_id: str, verb: str, comment: str, as_json: bool) -> None:
    with client_session(as_json) as client:
        cr = client.request(
            "POST",
            f"{_base(name, env)}/change-requests/{request_id}/{verb}",
            json={"comment": comment},
        )
    if as_json:
        emit_json(cr)
    else:
        out.print(f"change request {cr['id']} is {cr['state']} ({cr['summary']})")


Comment = Annotated[str, typer.Option(help="Your review comment.")]


@requests_app.command("approve")
def requests_approve(
    name: NameArg, request_id: RequestArg, env: Env, comment: Comment = "", as_json: JsonOpt = False
) -> None:
    """Approve a pending request (reviewers; never your own)."""
    _decide(name, env, request_id, "approve", comment, as_json)


@requests_app.command("reject")
def requests_reject(
    name: NameArg, request_id: RequestArg, env: Env, comment: Comment = "", as_json: JsonOpt = False
) -> None:
    """Reject a pending request (reviewers), or withdraw your own."""
    _decide(name, env, request_id, "reject", comment, as_json)


@requests_app.command("apply")
def requests_apply(
    name: NameArg, request_id: RequestArg, env: Env, as_json: JsonOpt = False
) -> None:
    """Apply an approved request now."""
    with client_session(as_json) as client:
        result = client.request("POST", f"{_base(name, env)}/change-requests/{request_id}/apply")
    _report(result, as_json)


@tokens_app.command("create")
def token_create(
    name: NameArg,
    env: Env,
    token_name: Annotated[str, typer.Option("--name", help="What the token is for.")],
    expires_in_days: Annotated[int | None, typer.Option(help="Lifetime in days.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue a token that can only evaluate (OFREP) and sync this flag set; shown once."""
    body: dict[str, Any] = {"name": token_name}
    if expires_in_days is not None:
        body["expires_in_days"] = expires_in_days
    with client_session(as_json) as client:
        issued = client.request("POST", f"{_base(name, env)}/tokens", json=body)
    if as_json:
        emit_json(issued)
        return
    out.print(issued["token"])
    err.print(f"token {issued['id']} for {name}/{env}; store it now, it is not shown again.")


@app.command("update")
def update(
    name: NameArg,
    env: Env,
    experiment: Annotated[
        str,
        typer.Option(
            help="The experiment key to link the flag set to (its team may then change it).",
            autocompletion=complete.experiments,
        ),
    ],
    reason: Reason = None,
    as_json: JsonOpt = False,
) -> None:
    """Link a flag set to an experiment (policy: `flags policy`; document: `flags apply`)."""
    params = {"reason": reason} if reason else {}
    with client_session(as_json) as client:
        found = client.request(
            "PATCH", _base(name, env), json={"experiment": experiment}, params=params
        )
    if as_json:
        emit_json(found)
        return
    out.print(f"{found['name']}/{found['environment']}: linked to experiment {found['experiment']}")


@requests_app.command("show")
def requests_show(
    name: NameArg, request_id: RequestArg, env: Env, as_json: JsonOpt = False
) -> None:
    """One change request with its diff."""
    with client_session(as_json) as client:
        cr = client.request("GET", f"{_base(name, env)}/change-requests/{request_id}")
    if as_json:
        emit_json(cr)
        return
    out.print(f"change request {cr['id']} is {cr['state']} ({cr['summary']})")
    out.print(f"  author: {cr['author']}   reviewer: {cr['reviewer'] or '-'}")
    if cr.get("apply_at"):
        out.print(f"  apply at: {cr['apply_at']}")
    if cr.get("reason"):
        out.print(f"  why: {cr['reason']}")
    _print_diff(cr["diff"])


@tokens_app.command("list")
def token_list(name: NameArg, env: Env, as_json: JsonOpt = False) -> None:
    """Tokens scoped to this flag set (their secrets are never shown again)."""
    with client_session(as_json) as client:
        items = client.request("GET", f"{_base(name, env)}/tokens")["items"]
    if as_json:
        emit_json(items)
        return
    rows = [
        (t["id"], t["name"], t["prefix"] + "...", t["expires_at"], t["revoked_at"]) for t in items
    ]
    table(
        f"Tokens of {name}/{env}",
        ["id", "name", "prefix", "expires", "revoked"],
        rows,
        keep=["id"],
    )


@tokens_app.command("revoke")
def token_revoke(
    name: NameArg,
    token_id: Annotated[str, typer.Argument(help="The token id (`flags token list`).")],
    env: Env,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a flag-set token now; OFREP and sync refuse it from then on."""
    with client_session(as_json) as client:
        token = client.request("POST", f"{_base(name, env)}/tokens/{token_id}/revoke")
    if as_json:
        emit_json(token)
    else:
        out.print(f"revoked token {token['id']} at {token['revoked_at']}")
