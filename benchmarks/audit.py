"""Audit ledger benchmark: append and verification throughput on SQLite and PostgreSQL.

For N events (default 1,000,000) on each database:

* **plain insert**: the reference. The same rows (precomputed, hashes included) inserted into a
  twin table without triggers, with the same batch size and one transaction per batch. Plain and
  append batches alternate, so both meet the same database state.
* **append**: the real path (``SqlAuditRepository.append_many`` in a unit of work): canonical JSON,
  SHA-256 chaining, the chain-head lock, and signed Merkle checkpoints every 1,000 events.
* **verify**: ``sluicegate.service.audit.verify`` over the whole log: the keys, every hash, every
  checkpoint root and Ed25519 signature, and the checkpoint coverage rules.
* **verify against a head**: the same plus an RFC 6962 consistency proof from a head halfway
  through the log (``sluice audit verify --against``).

Goals (issue #2): verification >= 200,000 events/s; append <= 2x plain insert.
Run ``python -m benchmarks audit [--events N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Index, MetaData, Table, insert

from benchmarks._common import print_table, write_results
from sluicegate.adapters.db.audit import audit_events
from sluicegate.bootstrap import Container, Settings, prepare
from sluicegate.domain.audit.chain import GENESIS_HASH, link
from sluicegate.service import audit as audit_svc

BATCH = 1000


def payload(i: int) -> dict[str, Any]:
    return {
        "ts": f"2026-11-21T12:{(i // 60_000) % 60:02d}:{(i // 1000) % 60:02d}.{i % 1_000_000:06d}Z",
        "actor": f"user:u{i % 97}",
        "action": "experiment.transition",
        "entity_type": "experiment",
        "entity_id": f"exp-{i % 5000}",
        "before": {"state": "staging", "version": i % 13},
        "after": {"state": "canary", "version": i % 13 + 1},
        "reason": "promote after green gates" if i % 3 == 0 else None,
        "request_id": f"req-{i:08x}",
    }


def precompute(n: int) -> list[dict[str, Any]]:
    prev, rows = GENESIS_HASH, []
    for i in range(n):
        e = link(prev, i + 1, **payload(i))
        rows.append(e._asdict())
        prev = e.hash
    return rows


def plain_table() -> Table:
    """A twin of audit_events (same columns and indexes, no triggers) in its own metadata."""
    cols = [
        Column(
            c.name,
            c.type,
            primary_key=c.primary_key,
            autoincrement=False,
            nullable=c.nullable,
            unique=bool(c.unique),
            index=bool(c.index),
        )
        for c in audit_events.columns
    ]
    twin = Table("audit_plain", MetaData(), *cols)
    Index("ix_audit_plain_entity", twin.c.entity_type, twin.c.entity_id)
    return twin


def run_one(container: Container, rows: list[dict[str, Any]], label: str) -> dict[str, Any]:
    """Plain inserts and real appends alternate batch by batch, so both meet the same database
    state (table sizes, caches); each side's time is the sum of its own batches."""
    n = len(rows)
    twin = plain_table()
    twin.create(container.engine, checkfirst=True)
    plain_s = append_s = 0.0
    for lo in range(0, n, BATCH):
        start = time.perf_counter()
        with container.engine.begin() as conn:
            conn.execute(insert(twin), rows[lo : lo + BATCH])
        middle = time.perf_counter()
        with container.deps.uow() as uow:
            uow.audit.append_many([payload(i) for i in range(lo, min(n, lo + BATCH))])  # type: ignore[attr-defined]
        append_s += time.perf_counter() - middle
        plain_s += middle - start

    verifier = container.verifier()
    policy = container.settings.coverage()
    start = time.perf_counter()
    report = audit_svc.verify(container.deps, verifier, policy=policy)
    verify_s = time.perf_counter() - start
    if not report.ok or report.count != n + 1:  # +1: the key-registration event from prepare()
        raise SystemExit(f"{label}: verification failed: {report.problem} ({report.count} events)")
    # Against a head published halfway: the same verification plus the RFC 6962 consistency
    # proof (one more streaming pass over the event hashes).
    with container.deps.uow(readonly=True) as uow:
        checkpoints = uow.audit.checkpoints()
    head = checkpoints[len(checkpoints) // 2]
    start = time.perf_counter()
    proven = audit_svc.verify(container.deps, verifier, policy=policy, against=head)
    against_s = time.perf_counter() - start
    if not proven.ok:
        raise SystemExit(f"{label}: verification against a head failed: {proven.problem}")
    return {
        "database": label,
        "events": n,
        "plain_insert_events_per_s": n / plain_s,
        "append_events_per_s": n / append_s,
        "append_cost_vs_plain": append_s / plain_s,
        "verify_events_per_s": report.count / verify_s,
        "verify_against_head_events_per_s": proven.count / against_s,
        "checkpoints_verified": report.checkpoints_verified,
    }


@contextlib.contextmanager
def sqlite_container(tmp: Path) -> Iterator[Container]:
    c = prepare(Settings(home=tmp / "sqlite", checkpoint_every=1000))
    try:
        yield c
    finally:
        c.close()


@contextlib.contextmanager
def postgres_container(tmp: Path) -> Iterator[Container | None]:
    try:
        from tests.support.postgres import start_cluster

        cluster_cm = start_cluster()
        cluster = cluster_cm.__enter__()
    except BaseException as exc:
        print(f"PostgreSQL unavailable, skipping its rows: {exc}")
        yield None
        return
    try:
        name = cluster.create_database()
        c = prepare(
            Settings(home=tmp / "pg", database_url=cluster.url(name), checkpoint_every=1000)
        )
        try:
            yield c
        finally:
            c.close()
    finally:
        cluster_cm.__exit__(None, None, None)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="benchmarks.audit")
    parser.add_argument("--events", type=int, default=1_000_000)
    args, _ = parser.parse_known_args(argv)
    print(f"precomputing {args.events:,} events for the plain-insert reference...")
    rows = precompute(args.events)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        with sqlite_container(Path(tmp)) as c:
            results.append(run_one(c, rows, "sqlite"))
        with postgres_container(Path(tmp)) as pg:
            if pg is not None:
                results.append(run_one(pg, rows, "postgresql"))
    print_table(
        f"Audit ledger, {args.events:,} events (batches of {BATCH})",
        [
            "database",
            "plain insert ev/s",
            "append ev/s",
            "append / plain",
            "verify ev/s",
            "verify --against ev/s",
        ],
        [
            (
                r["database"],
                r["plain_insert_events_per_s"],
                r["append_events_per_s"],
                r["append_cost_vs_plain"],
                r["verify_events_per_s"],
                r["verify_against_head_events_per_s"],
            )
            for r in results
        ],
    )
    write_results(
        "audit",
        {
            "goals": {"verify_events_per_s_min": 200_000, "append_cost_vs_plain_max": 2.0},
            "batch": BATCH,
            "results": results,
        },
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
