"""``python -m sluicegate.adapters.db.driftcheck``: the migration drift check.

Upgrades a scratch SQLite database to head and fails when the table definitions and the migrations
disagree (the equivalent of `alembic upgrade head && alembic check`).

Set ``SLUICE_DRIFTCHECK_URL`` to run the same check against another database (e.g. PostgreSQL).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from sluicegate.adapters.db.migrate import check_drift, upgrade


def main() -> int:
    url = os.environ.get("SLUICE_DRIFTCHECK_URL")
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'drift.db'}"
        upgrade(url)
        check_drift(url)
    sys.stdout.write("migrations: no drift between models and migrations\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
