"""Every table of the schema, on one MetaData (for Alembic's drift check, migrations and tests).

Each feature keeps its tables beside its repositories (``adapters/db/<feature>.py``); importing
this module imports them all, so ``metadata`` here is complete.
"""

from __future__ import annotations

from sluicegate.adapters.db import (  # noqa: F401 - imported to register their tables
    access,
    audit,
    delivery,
    experiments,
    flags,
    gates,
    metrics,
    notifications,
    rollouts,
    settings,
    slo,
)
from sluicegate.adapters.db.schema import metadata

__all__ = ["metadata"]
