"""The audit ledger on real databases: append-only, verification, tampering with real rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from tests.support.app import FakeClock

from sluicegate.bootstrap import Container, Settings, prepare
from sluicegate.domain.audit.chain import VerifyReport, link
from sluicegate.service import audit as svc
from sluicegate.service.context import SYSTEM, RequestContext


@pytest.fixture
def ledger(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A container whose ledger holds 25 events with checkpoints every 10."""
    c = prepare(
        Settings(home=tmp_path / "home", database_url=database_url, checkpoint_every=10),
        clock=FakeClock(),
    )
    ctx = RequestContext(SYSTEM, actor_override="test:writer", request_id="req-1")
    from sluicegate.service.auditing import record

    with c.deps.uow() as uow:
        for i in range(24):  # plus the key-registration event = 25
            record(
                c.deps,
                uow,
                ctx,
                "thing.update",  # type: ignore[arg-type]  # any action builds a ledger
                "thing",
                f"t{i}",
                before={"n": i},
                after={"n": i + 1},
            )
    yield c
    c.close()


@pytest.fixture(params=["single", "parallel"])
def verify(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Verify in one pass, or in segments of 8 events across 2 worker processes."""

    def run(c):  # type: ignore[no-untyped-def]
        if request.param == "single":
            return svc.verify(c.deps, c.verifier(), workers=1)
        return svc.verify(c.deps, c.verifier(), workers=2, segment_minimum=8)

    return run


def _tamper(c, sql: str, **params: object) -> None:  # type: ignore[no-untyped-def]
    """Write to the audit table as an attacker with direct database access would:
    switch the append-only triggers off, change rows, switch them back on."""
    with c.engine.begin() as conn:
        _triggers(conn, enable=False)
        conn.execute(text(sql), params)
        _triggers(conn, enable=True)


def _triggers(conn: Connection, *, enable: bool) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(f"ALTER TABLE audit_events {'ENABLE' if enable else 'DISABLE'} TRIGGER USER")
        )
        return
    if enable:
        for verb in ("UPDATE", "DELETE"):
            conn.execute(
                text(
                    f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (audit ledger)'); END"
                )
            )
    else:
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("DROP TRIGGER audit_events_no_delete"))


def test_intact_ledger_verifies_with_checkpoints(ledger, verify) -> None:  # type: ignore[no-untyped-def]
    report = verify(ledger)
    assert report.ok, report.problem
    assert report.count == 25
    assert report.checkpoints_verified == 2
    assert report.last_checkpoint is not None
    assert report.last_checkpoint.tree_size == 20


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET actor = 'x' WHERE seq = 3", "DELETE FROM audit_events WHERE seq = 3"],
)
def test_database_refuses_update_and_delete(ledger, statement: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DBAPIError, match="append-only"), ledger.engine.begin() as conn:
        conn.execute(text(statement))
    assert svc.verify(ledger.deps, ledger.verifier()).ok


def _edit(c) -> None:  # type: ignore[no-untyped-def]
    _tamper(c, "UPDATE audit_events SET after = :after WHERE seq = 7", after='{"n":1000}')


def _delete(c) -> None:  # type: ignore[no-untyped-def]
    _tamper(c, "DELETE FROM audit_events WHERE seq = 7")


def _reorder(c) -> None:  # type: ignore[no-untyped-def]
    _tamper(c, "UPDATE audit_events SET seq = -1 WHERE seq = 7")
    _tamper(c, "UPDATE audit_events SET seq = 7 WHERE seq = 8")
    _tamper(c, "UPDATE audit_events SET seq = 8 WHERE seq = -1")


def _insert(c) -> None:  # type: ignore[no-untyped-def]
    with c.engine.connect() as conn:
        prev = conn.execute(text("SELECT hash FROM audit_events WHERE seq = 6")).scalar_one()
    forged = link(
        prev, 7, "2026-11-21T12:00:00.000000Z", "user:mallory", "x", "t", "x", None, {"evil": True}
    )
    for seq in range(25, 6, -1):
        _tamper(c, "UPDATE audit_events SET seq = :new WHERE seq = :old", new=seq + 1, old=seq)
    _tamper(
        c,
        "INSERT INTO audit_events (seq, ts, actor, action, entity_type, entity_id, before, after, "
        "reason, request_id, prev_hash, hash) VALUES (:seq, :ts, :actor, :action, :et, :eid, "
        ":before, :after, NULL, NULL, :prev, :hash)",
        seq=7,
        ts=forged.ts,
        actor=forged.actor,
        action=forged.action,
        et=forged.entity_type,
        eid=forged.entity_id,
        before=forged.before,
        after=forged.after,
        prev=prev,
        hash=forged.hash,
    )


@pytest.mark.parametrize(
    ("tamper", "first_bad"),
    [(_edit, 7), (_delete, 7), (_reorder, 7), (_insert, 7)],
    ids=["edit", "delete", "reorder", "insert"],
)
def test_tampering_with_real_rows_is_detected_at_the_first_bad_seq(
    ledger: Container,
    verify: Callable[[Container], VerifyReport],
    tamper: Callable[[object], None],
    first_bad: int,
) -> None:
    tamper(ledger)
    report = verify(ledger)
    assert not report.ok
    assert report.first_bad_seq == first_bad, report.problem


def test_rewritten_chain_fails_on_the_signed_checkpoint(ledger, verify) -> None:  # type: ignore[no-untyped-def]
    """An attacker who recomputes every hash after an edit still cannot forge the signature."""
    with ledger.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_events ORDER BY seq")).mappings().all()
    prev = rows[1]["hash"]
    for row in rows[2:]:
        after = '{"n":-1}' if row["seq"] == 3 else row["after"]
        import json

        new = link(
            prev,
            row["seq"],
            row["ts"],
            row["actor"],
            row["action"],
            row["entity_type"],
            row["entity_id"],
            json.loads(row["before"]),
            json.loads(after),
            row["reason"],
            row["request_id"],
        )
        _tamper(
            ledger,
            "UPDATE audit_events SET after = :a, prev_hash = :p, hash = :h WHERE seq = :s",
            a=new.after,
            p=new.prev_hash,
            h=new.hash,
            s=row["seq"],
        )
        prev = new.hash
    report = verify(ledger)
    assert not report.ok
    assert report.first_bad_seq == 10
    assert "checkpoint" in (report.problem or "")
