"""Engine construction for SQLite (the embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from sluicegate.adapters.db.walcheckpoint import FALLBACK_PAGES

__all__ = ["AUDIT_LOCK_KEY", "build_engine", "normalize_url", "private_file"]

log = logging.getLogger("sluicegate.db")

#: The PostgreSQL advisory lock that serialises audit appends so the chain never forks.
AUDIT_LOCK_KEY = 0x5175_6963_6567_6174 & 0x7FFF_FFFF_FFFF_FFFF


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and select the psycopg 3 driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def build_engine(url: str, *, background_checkpoints: bool = False, **kwargs: Any) -> Engine:
    """``background_checkpoints``: SQLite connections leave WAL checkpoints to a
    :class:`~sluicegate.adapters.db.walcheckpoint.WalCheckpointer` (run one!), keeping
    ``wal_autocheckpoint`` only as a far-off safety net."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database not in (None, "", ":memory:") and not database.startswith("file:"):
            private_file(Path(database))
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine, background_checkpoints)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine, background_checkpoints: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            if background_checkpoints:
                cursor.execute(f"PRAGMA wal_autocheckpoint={FALLBACK_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front (BEGIN IMMEDIATE) so that two transactions never
        # both read and then fail to upgrade; read-only units of work use a deferred BEGIN.
        readonly = conn.get_execution_options().get("sluice_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def private_file(path: Path) -> None:
    """Make ``path`` exist with mode 0600 before SQLite opens it.

    SQLite creates its -wal and -shm files with the database file's mode, so the three are
    private to the owner. An existing file that others may read is narrowed to 0600 (a warning
    says so); one the process cannot change is left, with a warning.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            try:
                path.chmod(0o600)
                log.warning("narrowed %s from mode %o to 0600", path, mode)
            except OSError as exc:
                log.warning("%s has mode %o and cannot be narrowed to 0600: %s", path, mode, exc)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists() and stat.S_IMODE(side.stat().st_mode) & 0o077:
                side.chmod(0o600)
        return
    except FileNotFoundError:
        return  # its folder does not exist: SQLite will refuse to open it and say so
    os.close(fd)
