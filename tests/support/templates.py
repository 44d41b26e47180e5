"""Seeded database templates: migrate and seed once per process, copy per test.

Migrating a new database and creating the harness's users took most of the setup time of every
API test. A template is seeded the ordinary way (``prepare`` plus the identity use cases) in a
private directory the first time a process needs one, and later harnesses get a copy:

* SQLite: the template file is copied to the test's (not yet existing) database file;
* PostgreSQL: the test's (still empty) database is recreated with ``CREATE DATABASE ... TEMPLATE``.

The audit signing key the template registered is copied into the test's home, so the signer, the
registered public key and the token secrets are exactly those of a freshly seeded installation.
Templates are per process, so pytest-xdist workers never share one.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from sluicegate.adapters.signing import Ed25519Signer, write_public_keys
from sluicegate.bootstrap import Settings

__all__ = ["restore", "sqlite_template"]

#: Seeds the database and home of the given settings and returns the token secrets by username.
Seeder = Callable[[Settings], dict[str, str]]


@dataclass(frozen=True, slots=True)
class _Template:
    source: str  # the SQLite file, or the PostgreSQL template database's name
    key_pem: bytes  # the audit signing key registered in the template
    tokens: dict[str, str]


_templates: dict[tuple[str, int], _Template] = {}
_workdir: Path | None = None


def _dir() -> Path:
    global _workdir  # noqa: PLW0603 - one private directory per process, removed at exit
    if _workdir is None:
        _workdir = Path(tempfile.mkdtemp(prefix="sluice-templates-"))
        atexit.register(shutil.rmtree, _workdir, True)
    return _workdir


def restore(settings: Settings, seeder: Seeder) -> dict[str, str] | None:
    """Fill ``settings``' fresh database and home from a template; the token secrets, or None
    when the database is not fresh (the caller then seeds it itself).

    ``SLUICE_TEST_TEMPLATES=0`` turns templates off: every harness is seeded the slow way.
    """
    if os.environ.get("SLUICE_TEST_TEMPLATES") == "0" or settings.key_file.exists():
        return None
    parsed = make_url(settings.url)
    if parsed.get_backend_name() == "sqlite":
        target = _sqlite_path(settings.url)
        if target is None or any(_sidecars(target)):
            return None
        template = sqlite_template(settings.checkpoint_every, seeder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template.source, target)
    elif parsed.get_backend_name() == "postgresql":
        admin = _admin_dsn(settings.url)
        name = parsed.database
        assert name
        if not _pg_is_empty(settings.url):
            return None
        template = _pg_template(settings, admin, seeder)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}"')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template.source}"')
    else:
        return None
    settings.home.mkdir(parents=True, exist_ok=True)
    _write_key(settings.key_file, template.key_pem)
    if not settings.trusted_keys_file.exists():  # what prepare() pins, outside the database
        write_public_keys(
            settings.trusted_keys_file, [Ed25519Signer.load(settings.key_file).public_key_pem()]
        )
    return dict(template.tokens)


def sqlite_template(checkpoint_every: int, seeder: Seeder) -> _Template:
    """The process's seeded SQLite template for ``checkpoint_every`` (made on first use)."""
    cached = _templates.get(("sqlite", checkpoint_every))
    if cached is not None:
        return cached
    root = _dir() / f"sqlite-{checkpoint_every}"
    database = root / "sluicegate.db"
    settings = Settings(
        home=root / "home",
        database_url=f"sqlite:///{database}",
        checkpoint_every=checkpoint_every,
    )
    tokens = seeder(settings)
    # Fold the write-ahead log into the file so that the file alone is the whole database.
    with contextlib.closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    leftovers = [p for p in _sidecars(database) if p != database and p.stat().st_size > 0]
    assert not leftovers, f"template database still has {leftovers}"
    template = _Template(str(database), settings.key_file.read_bytes(), tokens)
    _templates["sqlite", checkpoint_every] = template
    return template


def _pg_template(settings: Settings, admin: str, seeder: Seeder) -> _Template:
    parsed = make_url(settings.url)
    server = f"{parsed.host}:{parsed.port}"
    cached = _templates.get((server, settings.checkpoint_every))
    if cached is not None:
        return cached
    name = "tpl_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    home = _dir() / f"pg-{name}"
    seeded = Settings(
        home=home,
        database_url=parsed.set(database=name).render_as_string(hide_password=False),
        checkpoint_every=settings.checkpoint_every,
    )
    tokens = seeder(seeded)  # closes its container: no session is left on the template
    template = _Template(name, seeded.key_file.read_bytes(), tokens)
    _templates[server, settings.checkpoint_every] = template
    return template


def _sqlite_path(url: str) -> Path | None:
    database = make_url(url).database
    if database in (None, "", ":memory:"):
        return None
    return Path(database)


def _sidecars(database: Path) -> list[Path]:
    """The database file itself and its journal, WAL and shared-memory files, where present."""
    names = ("", "-journal", "-wal", "-shm")
    return [p for p in (database.with_name(database.name + n) for n in names) if p.exists()]


def _admin_dsn(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )


def _pg_is_empty(url: str) -> bool:
    """No tables in the database and nobody else connected (so it may be recreated)."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM information_schema.tables"
            "        WHERE table_schema NOT IN ('pg_catalog', 'information_schema')),"
            "       (SELECT count(*) FROM pg_stat_activity"
            "        WHERE datname = current_database() AND pid <> pg_backend_pid())"
        ).fetchone()
    assert row is not None
    return bool(row[0] == 0 and row[1] == 0)


def _write_key(path: Path, pem: bytes) -> None:
    """Write the signing key as ``Ed25519Signer.generate`` does (mode 0600, never overwrite)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
