"""``sluice audit ...``: verify the ledger (database or exported file), export, checkpoint."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, client_session, guard
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, err, fail, out, table

app = new_app(help="Verify, export and checkpoint the tamper-evident audit ledger.")


def _read_file(path: Path) -> tuple[list[Any], list[Any], Any]:
    """First pass over an export: its key records and checkpoints, or the first bad line."""
    from sluicegate.domain.audit.export import MalformedRecord, parse_line
    from sluicegate.service.audit.ports import KeyRecord

    keys: list[Any] = []
    checkpoints: list[Any] = []
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", ExitCode.USAGE) from None
    with fh:
        try:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                parsed = parse_line(line, n)
                if parsed.checkpoint is not None:
                    checkpoints.append(parsed.checkpoint)
                elif parsed.key is not None:
                    keys.append(KeyRecord(**parsed.key))  # type: ignore[arg-type]
        except MalformedRecord as exc:
            return keys, checkpoints, exc
        except UnicodeDecodeError as exc:
            return keys, checkpoints, MalformedRecord(0, None, f"not UTF-8 text ({exc.reason})")
    return keys, checkpoints, None


def _file_rows(path: Path, hashes: list[str]) -> Iterator[tuple[Any, ...]]:
    from sluicegate.domain.audit.export import parse_line

    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                event = parse_line(line, n).event
                if event is not None:
                    hashes.append(event[11])
                    yield event


def _verify_file(path: Path, trust: Any, policy: Any, against: Any) -> Any:
    from sluicegate.domain.audit.chain import (
        MerkleFrontier,
        VerifyReport,
        apply_coverage,
        leaf_hash,
        verify_log,
    )
    from sluicegate.service.audit.queries import check_against

    keys, checkpoints, malformed = _read_file(path)
    if malformed is not None:
        seq = malformed.seq
        return VerifyReport(False, 0, 0, None, seq, f"malformed record: {malformed}")
    problem = trust.admit(keys)
    if problem is not None:
        return VerifyReport(False, 0, 0, None, None, problem)
    hashes: list[str] = []
    report = apply_coverage(
        verify_log(_file_rows(path, hashes), checkpoints, trust), checkpoints, policy
    )
    if against is None or not report.ok:
        return report

    def range_root(lo: int, hi: int) -> bytes:
        frontier = MerkleFrontier()
        for h in hashes[lo:hi]:
            frontier.append(leaf_hash(h))
        return frontier.root()

    return check_against(report, against, trust, range_root)


def _verify_database(trust: Any, policy: Any, against: Any) -> Any:
    from sluicegate.service import audit as svc

    container = _container()
    try:
        show = sys.stderr.isatty()

        def progress(n: int) -> None:
            if show:
                err.print(f"verified {n:,} events...", end="\r")

        return svc.verify(container.deps, trust, progress, policy=policy, against=against)
    finally:
        container.close()


def _container() -> Any:
    from sluicegate.bootstrap import Settings, build

    return build(Settings.from_env())


def _read_head(path: Path) -> Any:
    """A published signed tree head: the head file, or a tree-head webhook body."""
    from sluicegate.domain.audit.export import MalformedRecord, parse_line

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read the published head {path}: {exc}", ExitCode.USAGE) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{path}: not JSON: {exc.msg}", ExitCode.USAGE) from None
    if isinstance(doc, dict) and isinstance(doc.get("head"), dict):
        doc = doc["head"]
    try:
        head = parse_line(json.dumps({"checkpoint": doc}), 1).checkpoint
    except MalformedRecord as exc:
        message = str(exc).split(": ", 1)[-1].replace("checkpoint field", "field")
        raise CliError(
            f"{path} is not a signed tree head: {message}",
            ExitCode.USAGE,
            hint="Pass a head published by the server (SLUICE_AUDIT_HEAD_FILE, the webhook or "
            "the witness command).",
        ) from None
    if head is None or head.tree_size < 1:
        raise CliError(f"{path}: field 'tree_size' must be at least 1", ExitCode.USAGE)
    return head


@app.command("verify")
def verify(
    file: Annotated[
        Path | None, typer.Option("--file", help="Verify an exported JSONL file instead.")
    ] = None,
    public_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--public-key",
            help="Trusted checkpoint public key(s) (PEM); repeatable. Default: the trusted-keys "
            "file SLUICE_AUDIT_TRUSTED_KEYS ($SLUICE_HOME/audit-trusted-keys.pem).",
        ),
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="A signed tree head published earlier (JSON): prove the log still extends it.",
        ),
    ] = None,
    checkpoint_every: Annotated[
        int | None,
        typer.Option(
            "--checkpoint-every",
            min=0,
            help="Require a checkpoint at least every N events (default: "
            "SLUICE_AUDIT_CHECKPOINT_EVERY; 0 = no rule).",
        ),
    ] = None,
    checkpoint_interval: Annotated[
        float | None,
        typer.Option(
            "--checkpoint-interval",
            min=0,
            help="Require a checkpoint every S seconds while events arrive (default: "
            "SLUICE_AUDIT_CHECKPOINT_INTERVAL; 0 = no rule).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the keys, the whole hash chain, every checkpoint and the checkpoint coverage.

    Without --file it reads the database named by SLUICE_DATABASE_URL (default: the SQLite file
    under SLUICE_HOME). Keys are trusted only when pinned outside the database: --public-key, or
    else the trusted-keys file of the configuration (SLUICE_AUDIT_TRUSTED_KEYS, default
    $SLUICE_HOME/audit-trusted-keys.pem); a key found only in the database fails verification
    unless a trusted key endorsed it by a signed rotation statement. --against proves with an
    RFC 6962 consistency proof that the log extends a head published earlier, which detects
    truncation and a rewrite of the whole log. Exit 0 when it verifies, 3 when it does not
    (naming the first bad sequence or the gap), 2 for bad options or no trust anchor.
    """
    with guard(as_json):
        trust, source = _trust(public_key or [])
        pinned = sorted(trust.pinned)  # before admit() adds the keys they endorse
        policy = _policy(checkpoint_every, checkpoint_interval)
        head = _read_head(against) if against is not None else None
        report = (
            _verify_file(file, trust, policy, head)
            if file is not None
            else _verify_database(trust, policy, head)
        )
    _report(report, as_json, {"source": source, "pinned": pinned})


def _trust(keys: list[Path]) -> tuple[Any, str]:
    """The verifier of the pinned keys and where they came from: --public-key, or else the
    trusted-keys file of the configuration. Never the database."""
    from sluicegate.adapters.signing import Ed25519Verifier, read_public_keys
    from sluicegate.bootstrap import Settings, pinned_verifier

    if not keys:
        settings = Settings.from_env()
        return pinned_verifier(settings), str(settings.trusted_keys_file)
    pems: list[str] = []
    for path in keys:
        try:
            pems.extend(read_public_keys(path))
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise CliError(f"--public-key {path}: {reason}", ExitCode.USAGE) from None
    try:
        return Ed25519Verifier(pems), ", ".join(str(k) for k in keys)
    except ValueError as exc:
        raise CliError(f"--public-key: {exc}", ExitCode.USAGE) from None


def _policy(every: int | None, interval: float | None) -> Any:
    from dataclasses import replace

    from sluicegate.bootstrap import Settings

    policy = Settings.from_env().coverage()
    if every is not None:
        policy = replace(policy, every_events=every)
    if interval is not None:
        policy = replace(policy, every_seconds=interval, grace_seconds=max(interval, 30.0))
    return policy


def _hint(problem: str) -> str:
    """What to do about a failed verification, by the kind of problem."""
    if "checkpoints are missing" in problem:
        return (
            "Checkpoints were deleted, or the log was written with other checkpoint settings: "
            "pass --checkpoint-every / --checkpoint-interval with the largest values it was "
            "ever written with. Then verify --against a published head."
        )
    if "not signed by a trusted key" in problem and "published head" in problem:
        return (
            "The head given with --against is not signed by a pinned key or one it endorsed: "
            "take it from where this server publishes its heads, and pin that server's key."
        )
    if "published head" in problem:
        return (
            "The log does not extend a head published outside the database: events were "
            "removed or rewritten. Restore from a verified backup and investigate who wrote to "
            "the database."
        )
    if problem.startswith("audit key") or "not pinned" in problem:
        return (
            "audit_keys holds a key that the pinned keys do not vouch for. Keys rotate only by "
            "`sluice audit rotate-key`; an inserted key is evidence of tampering."
        )
    return "Restore from a verified backup and investigate who wrote to the database."


def _report(report: Any, as_json: bool, trust: dict[str, Any]) -> None:
    if as_json:
        emit_json({**report.to_dict(), "trust": trust})
    if not report.ok:
        problem = report.problem or "unknown problem"
        where = f" at sequence {report.first_bad_seq}" if report.first_bad_seq is not None else ""
        fail(
            CliError(
                f"audit ledger verification FAILED{where}: {problem}",
                ExitCode.DENIED,
                code="audit-verification-failed",
                hint=_hint(problem),
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
        keys = ", ".join(trust["pinned"])
        out.print(f"trusted keys pinned in {trust['source']}: {keys}", highlight=False)
        if report.against is not None:
            out.print(
                f"extends the published head at size {report.against['tree_size']} "
                f"({report.against['ts']}): RFC 6962 consistency proof verified"
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
    """Print the checkpoint public keys registered in the database (PEM).

    These are what the database says, not a trust anchor: pin a copy of the server's
    trusted-keys file (SLUICE_AUDIT_TRUSTED_KEYS) where you verify, and compare key ids.
    """
    with client_session(False) as client:
        sys.stdout.write(client.request("GET", "/api/v1/audit/public-keys"))


@app.command("rotate-key")
def rotate_key(as_json: JsonOpt = False) -> None:
    """Replace the checkpoint signing key (local admin, on the server host).

    The current key signs a statement that hands over to a new key, with the log size at the
    hand-over; both go into audit_keys and the ledger, and the new private key replaces
    SLUICE_AUDIT_KEY_FILE. Verifiers keep their pinned key: trust follows the signed statements.
    Checkpoints the old key signs after the hand-over are not trusted. Running servers pick up
    the new key file at their next checkpoint.
    """
    with guard(as_json):
        record = _rotate()
    if as_json:
        emit_json(record.to_dict())
        return
    out.print(f"rotated the audit checkpoint key: {record.endorsed_by} -> {record.key_id}")


def _rotate() -> Any:
    import os
    import tempfile

    from sluicegate.adapters.signing import Ed25519Signer, rotation_statement
    from sluicegate.bootstrap import Settings
    from sluicegate.service import audit as svc
    from sluicegate.service.context import SYSTEM, RequestContext

    path = Settings.from_env().key_file
    if not path.exists():  # before build(), which would create SLUICE_HOME and a database
        raise CliError(
            f"no audit signing key at {path}",
            ExitCode.USAGE,
            hint="Run `sluice init` first, or set SLUICE_AUDIT_KEY_FILE.",
        )
    container = _container()
    try:
        old = Ed25519Signer.load(path)
        old_bytes = path.read_bytes()
        new = Ed25519Signer.new()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(new.private_pem())
            fh.flush()
            os.fsync(fh.fileno())
        installed = False

        def install() -> None:
            nonlocal installed
            os.replace(tmp, path)
            installed = True

        def statement(tree_size: int, ts: str) -> str:
            return rotation_statement(old.key_id, new.key_id, new.public_key_pem(), tree_size, ts)

        ctx = RequestContext(SYSTEM, actor_override="system:rotate-key")
        try:
            return svc.rotate_key(container.deps, ctx, old, new, statement, install)
        except BaseException:
            if installed:
                _restore(path, old_bytes)
            else:
                Path(tmp).unlink(missing_ok=True)
            raise
    finally:
        container.close()


def _restore(path: Path, data: bytes) -> None:
    import os

    tmp = path.with_name(path.name + ".restore")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


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
