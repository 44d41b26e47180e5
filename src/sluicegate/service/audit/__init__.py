"""Audit: reading, exporting, checkpointing and verifying the tamper-evident ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluicegate.service.lazy import exports

if TYPE_CHECKING:
    from sluicegate.service.audit.ports import (
        AuditFilter as AuditFilter,
    )
    from sluicegate.service.audit.ports import (
        AuditRepository as AuditRepository,
    )
    from sluicegate.service.audit.queries import (
        checkpoint as checkpoint,
    )
    from sluicegate.service.audit.queries import (
        export as export,
    )
    from sluicegate.service.audit.queries import (
        page as page,
    )
    from sluicegate.service.audit.queries import (
        verify as verify,
    )

__all__ = [
    "AuditFilter",
    "AuditRepository",
    "checkpoint",
    "export",
    "page",
    "verify",
]

_TABLE = {
    "AuditFilter": "ports",
    "AuditRepository": "ports",
    "checkpoint": "queries",
    "export": "queries",
    "page": "queries",
    "verify": "queries",
}
__getattr__, __dir__ = exports(__name__, _TABLE)
