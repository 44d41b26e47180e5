"""Audit: reading, exporting, checkpointing and verifying the tamper-evident ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluicegate.service.lazy import exports

if TYPE_CHECKING:
    from sluicegate.service.audit.commands import (
        HeadPublication as HeadPublication,
    )
    from sluicegate.service.audit.commands import (
        checkpoint_due as checkpoint_due,
    )
    from sluicegate.service.audit.commands import (
        rotate_key as rotate_key,
    )
    from sluicegate.service.audit.ports import (
        AuditFilter as AuditFilter,
    )
    from sluicegate.service.audit.ports import (
        AuditRepository as AuditRepository,
    )
    from sluicegate.service.audit.ports import (
        HeadPublisher as HeadPublisher,
    )
    from sluicegate.service.audit.ports import (
        KeyRecord as KeyRecord,
    )
    from sluicegate.service.audit.ports import (
        TrustAnchor as TrustAnchor,
    )
    from sluicegate.service.audit.queries import (
        check_against as check_against,
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
    "HeadPublication",
    "HeadPublisher",
    "KeyRecord",
    "TrustAnchor",
    "check_against",
    "checkpoint",
    "checkpoint_due",
    "export",
    "page",
    "rotate_key",
    "verify",
]

_TABLE = {
    "AuditFilter": "ports",
    "AuditRepository": "ports",
    "HeadPublication": "commands",
    "HeadPublisher": "ports",
    "KeyRecord": "ports",
    "TrustAnchor": "ports",
    "check_against": "queries",
    "checkpoint_due": "commands",
    "rotate_key": "commands",
    "checkpoint": "queries",
    "export": "queries",
    "page": "queries",
    "verify": "queries",
}
__getattr__, __dir__ = exports(__name__, _TABLE)
