"""SQLite WAL checkpoints on a background thread instead of inside a request's commit.

In WAL mode SQLite copies the log back into the database file ("checkpoint") from inside the
commit that pushes the log past ``wal_autocheckpoint`` pages, and that commit also waits for the
fsync. On the gate-check path this was the largest source of tail latency (a few commits per
thousand took 10-15 ms instead of 5). The server's connections therefore checkpoint only as a
safety net (:data:`FALLBACK_PAGES`), and this thread checkpoints (``PASSIVE``: never waits for
readers or writers) as soon as the log passes :data:`DEFAULT_MAX_WAL_BYTES`. See ADR 0009.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_MAX_WAL_BYTES",
    "FALLBACK_PAGES",
    "CheckpointResult",
    "WalCheckpointer",
]

log = logging.getLogger("sluicegate.db")

#: Checkpoint once the log is this large (SQLite's own default: 1000 pages of 4 KiB).
DEFAULT_MAX_WAL_BYTES = 4 * 1024 * 1024
#: ``wal_autocheckpoint`` of request connections: commits checkpoint themselves only if the
#: background thread has fallen this far behind (64 MiB of log).
FALLBACK_PAGES = 16_384


@dataclass(frozen=True, slots=True)
class CheckpointResult:
    """``PRAGMA wal_checkpoint``'s answer: busy flag, frames in the log, frames copied."""

    busy: bool
    log_frames: int
    checkpointed_frames: int


class WalCheckpointer:
    """Watches ``<database>-wal`` and checkpoints it when it grows past ``max_wal_bytes``."""

    def __init__(
        self,
        database: Path,
        *,
        max_wal_bytes: int = DEFAULT_MAX_WAL_BYTES,
        poll_seconds: float = 0.2,
    ) -> None:
        if max_wal_bytes < 1 or poll_seconds <= 0:
            raise ValueError("max_wal_bytes and poll_seconds must be positive")
        self.database = database
        self.wal = database.with_name(database.name + "-wal")
        self.max_wal_bytes = max_wal_bytes
        self.poll_seconds = poll_seconds
        self.checkpoints = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> WalCheckpointer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="sluicegate-wal-checkpoint", daemon=True
            )
            self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wal_bytes(self) -> int:
        try:
            return self.wal.stat().st_size
        except FileNotFoundError:
            return 0

    def checkpoint(self, mode: str = "PASSIVE") -> CheckpointResult:
        """Run one checkpoint on a connection of its own (``mode``: PASSIVE, FULL, TRUNCATE)."""
        if mode not in ("PASSIVE", "FULL", "RESTART", "TRUNCATE"):
            raise ValueError(f"unknown checkpoint mode {mode!r}")
        connection = sqlite3.connect(self.database, timeout=30, isolation_level=None)
        try:
            row = connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        finally:
            connection.close()
        self.checkpoints += 1
        return CheckpointResult(bool(row[0]), int(row[1]), int(row[2]))

    def _run(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            if self.wal_bytes() < self.max_wal_bytes:
                continue
            try:
                self.checkpoint()
            except sqlite3.Error:
                # Logged and retried on the next poll; commits still checkpoint themselves once
                # the log reaches FALLBACK_PAGES, so a failing thread cannot grow it forever.
                self.errors += 1
                log.exception("background WAL checkpoint of %s failed", self.database)

    def close(self) -> None:
        """Stop the thread (a last checkpoint is left to SQLite's own close of the database)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
