"""The tamper matrix (issue 11): an attacker with write access to the database, who drops the
append-only triggers first, against a ledger whose signed tree head was published outside the
database. Every case runs on SQLite and on PostgreSQL and must be detected; the one case that is
not (it needs the private signing key from the server host) is pinned down as well."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from tests.support.app import FakeClock
from tests.support.ledger import attack, sql

from sluicegate.adapters.signing import Ed25519Signer, Ed25519Verifier, rotation_statement
from sluicegate.bootstrap import Container, Settings, prepare
from sluicegate.domain.audit.chain import (
    Checkpoint,
    MerkleFrontier,
    VerifyReport,
    checkpoint_payload,
    leaf_hash,
    link,
)
from sluicegate.domain.audit.coverage import CoveragePolicy
from sluicegate.service import audit as svc
from sluicegate.service.auditing import record
from sluicegate.service.context import SYSTEM, RequestContext

NO_COVERAGE = CoveragePolicy(every_events=0, every_seconds=0)
CTX = RequestContext(SYSTEM, actor_override="test:writer", request_id="req-1")


def _write(c: Container, clock: FakeClock, n: int, start: int = 0) -> None:
    with c.deps.uow() as uow:
        for i in range(start, start + n):
            clock.advance(seconds=1)
            record(
                c.deps,
                uow,
                CTX,
                "thing.update",  # type: ignore[arg-type]  # any action builds a ledger
                "thing",
                f"t{i}",
                before={"n": i},
                after={"n": i + 1},
            )


def _publish(c: Container) -> Checkpoint:
    """A timed checkpoint now, published to the head file; the head read back from the file."""
    svc.checkpoint_due(c.deps, c.settings.checkpoint_interval_seconds, force=True)
    c.heads.run(c.deps)
    path = c.settings.head_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return Checkpoint(**json.loads(path.read_text()))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Container]:
    """25 events (the key registration and 24 writes), checkpoints at 10 and 20 by count and
    at 25 by time; the head at 25 is published to the head file."""
    c = prepare(
        Settings(home=tmp_path / "home", database_url=database_url, checkpoint_every=10),
        clock=clock,
    )
    _write(c, clock, 24)
    yield c
    c.close()


@pytest.fixture
def head(ledger: Container) -> Checkpoint:
    published = _publish(ledger)
    assert published.tree_size == 25
    return published


def _verify(
    c: Container,
    head: Checkpoint | None,
    *,
    policy: CoveragePolicy | None = None,
    trust: Ed25519Verifier | None = None,
    workers: int = 1,
) -> VerifyReport:
    return svc.verify(
        c.deps,
        trust or c.verifier(),
        workers=workers,
        segment_minimum=8,
        policy=policy or c.settings.coverage(),
        against=head,
    )


# --- the attacker -------------------------------------------------------------------------------


def _attack(c: Container, *statements: tuple[str, dict[str, Any]]) -> None:
    """Switch the append-only triggers off, run the statements, switch them back on."""
    attack(c.engine, *statements)


_sql = sql


def _rows(c: Container) -> list[dict[str, Any]]:
    with c.engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(text("SELECT * FROM audit_events ORDER BY seq")).mappings()
        ]


def _rewritten(c: Container) -> list[dict[str, Any]]:
    """Every event re-linked after changing event 3: a chain that is consistent in itself."""
    out, prev = [], "0" * 64
    for row in _rows(c):
        after = {"n": -1} if row["seq"] == 3 else json.loads(row["after"])
        new = link(
            prev,
            row["seq"],
            row["ts"],
            row["actor"],
            row["action"],
            row["entity_type"],
            row["entity_id"],
            json.loads(row["before"]),
            after,
            row["reason"],
            row["request_id"],
        )
        out.append(new._asdict())
        prev = new.hash
    return out


def _rewrite_events(c: Container) -> list[tuple[str, dict[str, Any]]]:
    return [
        _sql(
            "UPDATE audit_events SET after = :after, prev_hash = :prev_hash, hash = :hash "
            "WHERE seq = :seq",
            **{k: e[k] for k in ("after", "prev_hash", "hash", "seq")},
        )
        for e in _rewritten(c)
    ]


def _signed_checkpoints(
    events: list[dict[str, Any]], sizes: list[int], signer: Ed25519Signer
) -> list[tuple[str, dict[str, Any]]]:
    out = []
    frontier = MerkleFrontier()
    for e in events:
        frontier.append(leaf_hash(e["hash"]))
        if e["seq"] in sizes:
            root, ts = frontier.root().hex(), e["ts"]
            payload = checkpoint_payload(e["seq"], root, e["hash"], ts, signer.key_id)
            out.append(
                _sql(
                    "INSERT INTO audit_checkpoints (tree_size, root, last_hash, ts, key_id, "
                    "signature, frontier) VALUES (:s, :r, :h, :ts, :k, :sig, :f)",
                    s=e["seq"],
                    r=root,
                    h=e["hash"],
                    ts=ts,
                    k=signer.key_id,
                    sig=signer.sign(payload),
                    f=json.dumps(frontier.to_list()),
                )
            )
    return out


def _insert_key(signer: Ed25519Signer, **extra: Any) -> tuple[str, dict[str, Any]]:
    return _sql(
        "INSERT INTO audit_keys (key_id, public_key, created_at, endorsed_by, statement, "
        "signature) VALUES (:k, :p, :t, :e, :st, :sig)",
        k=signer.key_id,
        p=signer.public_key_pem(),
        t=datetime(2026, 11, 21, 12, 0),
        e=extra.get("endorsed_by"),
        st=extra.get("statement"),
        sig=extra.get("signature"),
    )


# --- the cases ------------------------------------------------------------------------------------


def _edit(c: Container) -> None:
    _attack(c, _sql("UPDATE audit_events SET after = :a WHERE seq = 7", a='{"n":1000}'))


def _delete(c: Container) -> None:
    _attack(c, _sql("DELETE FROM audit_events WHERE seq = 7"))


def _reorder(c: Container) -> None:
    _attack(
        c,
        _sql("UPDATE audit_events SET seq = -1 WHERE seq = 7"),
        _sql("UPDATE audit_events SET seq = 7 WHERE seq = 8"),
        _sql("UPDATE audit_events SET seq = 8 WHERE seq = -1"),
    )


def _insert(c: Container) -> None:
    rows = _rows(c)
    forged = link(
        rows[5]["hash"], 7, rows[6]["ts"], "user:mallory", "x", "t", "x", None, {"evil": True}
    )
    shifts = [
        _sql("UPDATE audit_events SET seq = :new WHERE seq = :old", new=seq + 1, old=seq)
        for seq in range(len(rows), 6, -1)
    ]
    _attack(
        c,
        *shifts,
        _sql(
            "INSERT INTO audit_events (seq, ts, actor, action, entity_type, entity_id, before, "
            "after, reason, request_id, prev_hash, hash) VALUES (:seq, :ts, :actor, :action, "
            ":entity_type, :entity_id, :before, :after, :reason, :request_id, :prev_hash, :hash)",
            **forged._asdict(),
        ),
    )


def _truncate_tail(c: Container) -> None:
    """The last five events and the checkpoint that covers them."""
    _attack(
        c,
        _sql("DELETE FROM audit_events WHERE seq > 20"),
        _sql("DELETE FROM audit_checkpoints WHERE tree_size > 20"),
    )


def _delete_checkpoints(c: Container) -> None:
    _attack(c, _sql("DELETE FROM audit_checkpoints"))


def _insert_a_key(c: Container) -> None:
    _attack(c, _insert_key(Ed25519Signer.new()))


def _rewrite_with_checkpoints(c: Container) -> None:
    """The forgery of issue 11: rewrite every hash, INSERT a key of one's own, re-sign every
    checkpoint with it, and forge an endorsement as if the real key had rotated to it."""
    mallory = Ed25519Signer.new()
    events = _rewritten(c)
    real = c.verifier().pinned
    statement = rotation_statement(
        next(iter(real)), mallory.key_id, mallory.public_key_pem(), 0, ""
    )
    _attack(
        c,
        *_rewrite_events(c),
        _sql("DELETE FROM audit_checkpoints"),
        *_signed_checkpoints(events, [10, 20, 25], mallory),
        _insert_key(
            mallory,
            endorsed_by=next(iter(real)),
            statement=statement,
            signature=mallory.sign(statement.encode()),
        ),
    )


def _rewrite_without_checkpoints(c: Container) -> None:
    _attack(c, *_rewrite_events(c), _sql("DELETE FROM audit_checkpoints"))


MATRIX: list[tuple[str, Callable[[Container], None], int | None, str]] = [
    ("edit", _edit, 7, "content does not match its hash"),
    ("delete", _delete, 7, "event 7 is missing"),
    ("insert", _insert, 7, "was inserted into the chain"),
    ("reorder", _reorder, 7, "prev_hash does not link"),
    ("truncate-tail", _truncate_tail, 21, "were removed"),
    ("delete-checkpoints", _delete_checkpoints, 1, "checkpoints are missing: events 1..25"),
    ("insert-a-key", _insert_a_key, None, "not pinned in the trusted keys"),
    ("rewrite-with-checkpoints", _rewrite_with_checkpoints, None, "rotation statement"),
    ("rewrite-without-checkpoints", _rewrite_without_checkpoints, 1, "checkpoints are missing"),
]


@pytest.mark.parametrize(
    ("tamper", "first_bad", "problem"),
    [m[1:] for m in MATRIX],
    ids=[m[0] for m in MATRIX],
)
def test_tampering_is_detected_against_the_published_head(
    ledger: Container,
    head: Checkpoint,
    tamper: Callable[[Container], None],
    first_bad: int | None,
    problem: str,
) -> None:
    assert _verify(ledger, head).ok
    tamper(ledger)
    # In one pass, and in segments of 8 events across 2 worker processes (the segments' own
    # equivalence is a property test; here it is the real scan over real rows).
    for workers in (1, 2) if ledger.engine.dialect.name == "sqlite" else (1,):
        report = _verify(ledger, head, workers=workers)
        assert not report.ok
        assert problem in (report.problem or ""), report.problem
        assert report.first_bad_seq == first_bad, report.problem


def test_the_consistency_proof_alone_catches_truncation_and_rewrites(
    ledger: Container, head: Checkpoint
) -> None:
    """With the coverage rules off, the published head still catches what they would."""
    _truncate_tail(ledger)
    report = _verify(ledger, head, policy=NO_COVERAGE)
    assert report.against is not None
    assert report.against["consistent"] is False
    assert "events 21..25 were removed" in (report.problem or "")


def test_a_rewrite_fails_the_consistency_proof_even_if_its_key_were_trusted(
    ledger: Container, head: Checkpoint
) -> None:
    mallory = Ed25519Signer.new()
    events = _rewritten(ledger)
    _attack(
        ledger,
        *_rewrite_events(ledger),
        _sql("DELETE FROM audit_checkpoints"),
        *_signed_checkpoints(events, [10, 20, 25], mallory),
    )
    pinned = Path(ledger.settings.trusted_keys_file).read_text()
    trust = Ed25519Verifier([pinned, mallory.public_key_pem()])
    assert _verify(ledger, None, trust=trust).ok  # a consistent forgery, by itself
    report = _verify(ledger, head, trust=trust)
    assert not report.ok
    assert "does not extend the published head" in (report.problem or ""), report.problem
    assert report.against is not None
    assert report.against["consistent"] is False


def test_the_undetectable_case_needs_the_private_key_and_stays_after_the_last_head(
    ledger: Container, head: Checkpoint, clock: FakeClock
) -> None:
    """docs/audit-ledger.md, "What is defended and what is not": with the server's private key,
    events after the last published head can be rewritten and re-signed undetected; before it,
    the consistency proof still catches a rewrite."""
    _write(ledger, clock, 5, start=100)
    svc.checkpoint_due(ledger.deps, 60, force=True)  # size 30, not published
    real = Ed25519Signer.load(ledger.settings.key_file)
    rows = _rows(ledger)
    prev, forged = rows[24]["hash"], []
    for row in rows[25:]:
        e = link(prev, row["seq"], row["ts"], "user:mallory", "x", "t", "x", None, {"n": 0})
        forged.append(e._asdict())
        prev = e.hash
    _attack(
        ledger,
        _sql("DELETE FROM audit_events WHERE seq > 25"),
        _sql("DELETE FROM audit_checkpoints WHERE tree_size > 25"),
        *[
            _sql(
                "INSERT INTO audit_events (seq, ts, actor, action, entity_type, entity_id, "
                "before, after, reason, request_id, prev_hash, hash) VALUES (:seq, :ts, :actor, "
                ":action, :entity_type, :entity_id, :before, :after, :reason, :request_id, "
                ":prev_hash, :hash)",
                **e,
            )
            for e in forged
        ],
        *_signed_checkpoints([*rows[:25], *forged], [30], real),
    )
    assert _verify(ledger, head).ok  # the documented limit

    events = _rewritten(ledger)  # and now inside the published range, with the same key
    _attack(
        ledger,
        *_rewrite_events(ledger),
        _sql("DELETE FROM audit_checkpoints"),
        *_signed_checkpoints(events, [10, 20, 25, 30], real),
    )
    assert _verify(ledger, None).ok
    report = _verify(ledger, head)
    assert not report.ok
    assert "does not extend the published head" in (report.problem or "")


# --- keys -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_keys SET public_key = 'x'", "DELETE FROM audit_keys"],
)
def test_audit_keys_is_append_only(ledger: Container, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), ledger.engine.begin() as conn:
        conn.execute(text(statement))


def test_a_key_in_the_database_is_not_trusted_without_the_pinned_anchor(
    ledger: Container, tmp_path: Path
) -> None:
    other = tmp_path / "other.pem"
    other.write_text(Ed25519Signer.new().public_key_pem())
    from sluicegate.adapters.signing import read_public_keys

    report = _verify(ledger, None, trust=Ed25519Verifier(read_public_keys(other)))
    assert not report.ok
    assert "is not pinned" in (report.problem or "")


def test_rotation_by_signed_statement_keeps_verifying_and_retires_the_old_key(
    ledger: Container, head: Checkpoint, clock: FakeClock
) -> None:
    path = ledger.settings.key_file
    old = Ed25519Signer.load(path)
    new = Ed25519Signer.new()
    tmp = path.with_name("next.pem")
    tmp.write_bytes(new.private_pem())
    os.chmod(tmp, 0o600)

    def statement(size: int, ts: str) -> str:
        return rotation_statement(old.key_id, new.key_id, new.public_key_pem(), size, ts)

    ctx = RequestContext(SYSTEM, actor_override="system:rotate-key")
    record_ = svc.rotate_key(ledger.deps, ctx, old, new, statement, lambda: os.replace(tmp, path))
    assert record_.endorsed_by == old.key_id
    assert ledger.signer is not None
    assert ledger.signer.key_id == new.key_id
    _write(ledger, clock, 12, start=200)  # a checkpoint at 30 and 40 by count, by the new key
    report = _verify(ledger, head)  # only the old key is pinned: trust follows the statement
    assert report.ok, report.problem
    assert report.last_checkpoint is not None
    assert report.last_checkpoint.key_id == new.key_id

    # The retired key signs a head beyond the hand-over (size 26): not trusted.
    last = report.last_checkpoint
    payload = checkpoint_payload(last.tree_size, last.root, last.last_hash, last.ts, old.key_id)
    late = replace(last, key_id=old.key_id, signature=old.sign(payload))
    trust = ledger.verifier()
    with ledger.deps.uow(readonly=True) as uow:
        assert trust.admit(uow.audit.key_records()) is None
    assert not trust(late)
    assert trust(replace(late, key_id=new.key_id, signature=new.sign(last.payload())))


# --- coverage by time ---------------------------------------------------------------------------


def test_events_that_span_the_interval_without_a_checkpoint_fail(
    ledger: Container, head: Checkpoint, clock: FakeClock
) -> None:
    _write(ledger, clock, 3, start=300)  # 26..28, one second apart
    clock.advance(seconds=200)
    _write(ledger, clock, 1, start=303)  # 29, 200 s after 26 with no checkpoint between
    report = _verify(ledger, head)
    assert not report.ok
    assert report.first_bad_seq == 26
    assert "span 203 s" in (report.problem or ""), report.problem


def test_timed_checkpoints_keep_a_slow_trickle_covered(
    ledger: Container, head: Checkpoint, clock: FakeClock
) -> None:
    for i in range(6):
        _write(ledger, clock, 1, start=400 + i)
        clock.advance(seconds=50)
        svc.checkpoint_due(ledger.deps, ledger.settings.checkpoint_interval_seconds)
    report = _verify(ledger, head)
    assert report.ok, report.problem
    with ledger.deps.uow(readonly=True) as uow:
        sizes = [c.tree_size for c in uow.audit.checkpoints()]
    assert sizes[-1] == 31  # every due tick signed what was new


def test_the_published_head_file_is_private_and_holds_the_newest_head(
    ledger: Container, head: Checkpoint, clock: FakeClock
) -> None:
    _write(ledger, clock, 2, start=500)
    newer = _publish(ledger)
    assert newer.tree_size == 27
    assert newer.tree_size > head.tree_size
    assert _verify(ledger, head).ok
    assert _verify(ledger, newer).ok
