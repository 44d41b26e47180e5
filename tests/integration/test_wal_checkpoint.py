"""Background WAL checkpoints on SQLite: commits leave them to a thread that keeps the log short."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from sluicegate.adapters.db.engine import build_engine
from sluicegate.adapters.db.walcheckpoint import FALLBACK_PAGES, WalCheckpointer
from sluicegate.bootstrap import Settings, prepare


def _fill(engine, rows: int) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)"))
    for _ in range(rows):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t (body) VALUES (:b)"), {"b": "x" * 4000})


def test_commits_do_not_checkpoint_and_the_thread_does(tmp_path: Path) -> None:
    database = tmp_path / "wal.db"
    engine = build_engine(f"sqlite:///{database}", background_checkpoints=True)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == FALLBACK_PAGES
    checkpointer = WalCheckpointer(database, max_wal_bytes=64 * 1024, poll_seconds=0.01)
    # Without the thread, ~1.2 MB of commits stay in the log (SQLite alone would not have
    # checkpointed either: below its 1000 pages) ...
    _fill(engine, 300)
    assert checkpointer.wal_bytes() > 1_000_000
    # ... and with it the log is copied back and rewound as writes go on.
    checkpointer.start()
    deadline = time.monotonic() + 10
    while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checkpointer.checkpoints >= 1
    _fill(engine, 300)  # writers restart the log from its beginning once it was checkpointed
    checkpointer.close()
    assert not checkpointer.running
    result = checkpointer.checkpoint("TRUNCATE")
    assert not result.busy
    assert checkpointer.wal_bytes() == 0
    assert checkpointer.errors == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 600
    engine.dispose()


def test_plain_engines_keep_sqlite_defaults(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
    engine.dispose()


def test_the_container_runs_one_for_sqlite_files(tmp_path: Path) -> None:
    container = prepare(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'c.db'}"))
    checkpointer = container.wal_checkpointer
    assert checkpointer is not None
    assert checkpointer.running
    assert checkpointer.database == tmp_path / "c.db"
    container.close()
    assert not checkpointer.running


@pytest.mark.postgres
def test_no_checkpointer_for_postgresql(pg_url: str, tmp_path: Path) -> None:
    container = prepare(Settings(home=tmp_path, database_url=pg_url))
    assert container.wal_checkpointer is None
    container.close()


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        WalCheckpointer(tmp_path / "x.db", max_wal_bytes=0)
    with pytest.raises(ValueError, match="unknown checkpoint mode"):
        WalCheckpointer(tmp_path / "x.db").checkpoint("NOW")
