"""``sluice audit ...``: verify the ledger (database or exported file), export, checkpoint."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from sluicegate.cli.common import JsonOpt, client_session, guard
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, err, fail, out, table

app = typer.Typer(help="Verify, export and checkpoint the tamper-evident audit ledger.")


def _file_rows(path: Path, checkpoints: list[Any]) -> Iterator[tuple[Any, ...]]:
    from sluicegate.domain.audit.chain import Checkpoint
    from sluicegate.domain.canonical import canonical_json

    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CliError(f"{path}:{n}: not JSON: {exc.msg}", ExitCode.USAGE) from exc
            if "checkpoint" in doc:
                checkpoints.append(Checkpoint(**doc["checkpoint"]))
                continue
            yield (
                doc["seq"],
                doc["ts"],
                doc["actor"],
                doc["action"],
                doc["entity_type"],
                doc["entity_id"],
                canonical_json(doc["before"]),
                canonical_json(doc["after"]),
                doc["reason"],
                doc["request_id"],
                doc["prev_hash"],
                doc["hash"],
            )


def _verify_file(path: Path, keys: list[Path]) -> Any:
    from sluicegate.adapters.signing import Ed25519Verifier
    from sluicegate.domain.audit.chain import verify_log

    verifier = Ed25519Verifier([k.read_text(encoding="utf-8") for k in keys])
    # Checkpoint lines follow the event they cover, so read them in a first pass.
    checkpoints: list[Any] = []
    for _ in _file_rows(path, checkpoints):
        pass
    return verify_log(_file_rows(path, []), checkpoints, verifier)


def _verify_database(keys: list[Path]) -> Any:
    from sluicegate.adapters.signing import Ed25519Verifier
    from sluicegate.bootstrap import Settings, build
    from sluicegate.service import audit as svc

    container = build(Settings.from_env())
    try:
        verifier = (
            Ed25519Verifier([k.read_text(encoding="utf-8") for k in keys])
            if keys
            else container.verifier()
        )
        show = sys.stderr.isatty()

        def progress(n: int) -> None:
            if show:
                err.print(f"verified {n:,} events...", end="\r")

        return svc.verify(container.deps, verifier, progress)
    finally:
        container.close()


@app.command("verify")
def verify(
    file: Annotated[
        Path | None, typer.Option("--file", help="Verify an exported JSONL file instead.")
    ] = None,
    public_key: Annotated[
        list[Path] | None,
        typer.Option("--public-key", help="Trusted checkpoint public key (PEM); repeatable."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the whole hash chain and every checkpoint signature.

    Without --file it reads the database named by SLUICE_DATABASE_URL (default: the SQLite file
    under SLUICE_HOME) and trusts the keys registered there plus the local signing key, unless
    --public-key names the trusted keys. With --file, --public-key is required.
    """
    keys = public_key or []
    with guard(as_json):
        if file is not None and not keys:
            raise CliError(
                "--file needs --public-key (the trust anchor)",
                ExitCode.USAGE,
                hint="Export it with `sluice audit public-key > audit.pem`.",
            )
        report = _verify_file(file, keys) if file is not None else _verify_database(keys)
    if as_json:
        emit_json(report.to_dict())
    if not report.ok:
        fail(
            CliError(
                f"audit ledger verification FAILED at sequence {report.first_bad_seq}: "
                f"{report.problem}",
                ExitCode.DENIED,
                code="audit-verification-failed",
                hint="Restore from a verified backup and investigate who wrote to the database.",
            ),
            False,
        )
    if not as_json:
        last = report.last_checkpoint
        cp = (
            f"last checkpoint at {last.tree_size} ({last.ts}, key {last.key_id})"
            if last
            else ("no checkpoint yet")
        )
        out.print(
            f"audit ledger OK: {report.count:,} events, "
            f"{report.checkpoints_verified} checkpoint(s) verified; {cp}"
        )


@app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", help="Only jsonl is supported.")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (default stdout).")
    ] = None,
) -> None:
    """Stream the whole log (events and checkpoints) as JSON lines from the server."""
    if fmt != "jsonl":
        fail(CliError(f"unknown format {fmt!r}", ExitCode.USAGE, hint="Use --format jsonl."))
    with client_session(False) as client:
        sink = output.open("w", encoding="utf-8") if output else sys.stdout
        try:
            count = 0
            for line in client.stream_lines("/api/v1/audit/export"):
                if line:
                    sink.write(line + "\n")
                    count += 1
        finally:
            if output:
                sink.close()
    err.print(f"exported {count:,} lines")


@app.command("checkpoint")
def checkpoint(as_json: JsonOpt = False) -> None:
    """Sign a checkpoint over the log so far (admin)."""
    with client_session(as_json) as client:
        result = client.request("POST", "/api/v1/audit/checkpoints")
    if as_json:
        emit_json(result)
    elif result["checkpoint"]:
        cp = result["checkpoint"]
        out.print(f"checkpoint at {cp['tree_size']} events, root {cp['root']}")


@app.command("public-key")
def public_key() -> None:
    """Print the checkpoint public keys (PEM): the trust anchor for offline verification."""
    with client_session(False) as client:
        sys.stdout.write(client.request("GET", "/api/v1/audit/public-keys"))


@app.command("log")
def log(
    entity_type: Annotated[
        str | None, typer.Option(help="Only this entity type (experiment, flag_set, ...).")
    ] = None,
    entity_id: Annotated[str | None, typer.Option(help="Only this entity id or key.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor, e.g. user:alice.")] = None,
    since: Annotated[str | None, typer.Option(help="From this ISO time (inclusive).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this ISO time (exclusive).")] = None,
    after_seq: Annotated[int, typer.Option(help="Only events after this sequence.")] = 0,
    limit: Annotated[int, typer.Option(help="At most this many events (1-1000).")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Page the audit log, oldest first; the last line says how to fetch the next page."""
    params: dict[str, Any] = {
        "entity_type": entity_type,
        "entity_id": entity_id,
        "actor": actor,
        "since": since,
        "until": until,
        "after_seq": after_seq,
        "limit": limit,
    }
    with client_session(as_json) as client:
        page = client.request("GET", "/api/v1/audit", params=params)
    if as_json:
        emit_json(page)
        return
    rows = [
        (
            e["seq"],
            e["ts"],
            e["actor"],
            e["action"],
            f"{e['entity_type']}:{e['entity_id']}",
            e["reason"],
        )
        for e in page["items"]
    ]
    table(
        "Audit log",
        ["seq", "when", "actor", "action", "entity", "why"],
        rows,
        keep=["seq"],
        flex=["why"],
    )
    if page["next_after_seq"] is not None:
        err.print(f"more: sluice audit log --after-seq {page['next_after_seq']} ...")


@app.command("checkpoints")
def checkpoints(as_json: JsonOpt = False) -> None:
    """The signed checkpoints stored on the server."""
    with client_session(as_json) as client:
        items = client.request("GET", "/api/v1/audit/checkpoints")["items"]
    if as_json:
        emit_json(items)
        return
    rows = [(c["tree_size"], c["ts"], c["key_id"], c["root"]) for c in items]
    table("Checkpoints", ["events", "when", "key", "root"], rows)


@app.command("verify-server")
def verify_server(as_json: JsonOpt = False) -> None:
    """Ask the server to verify its own chain and signatures (no database access needed here).

    The server checks against the keys it trusts; for an independent check, export the log and
    run `sluice audit verify --file` with a public key you hold.
    """
    with client_session(as_json) as client:
        report = client.request("POST", "/api/v1/audit/verify")
    if as_json:
        emit_json(report)
    if not report["ok"]:
        fail(
            CliError(
                f"audit ledger verification FAILED at sequence {report['first_bad_seq']}: "
                f"{report['problem']}",
                ExitCode.DENIED,
                code="audit-verification-failed",
            ),
            False,
        )
    if not as_json:
        out.print(
            f"audit ledger OK (verified by the server): {report['count']:,} events, "
            f"{report['checkpoints_verified']} checkpoint(s) verified"
        )
