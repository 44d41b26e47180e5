"""SLOs stored on the server: versioned (append-only revisions) and audited (issue 14 §1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluicegate.service.lazy import exports

if TYPE_CHECKING:
    from sluicegate.service.slo.commands import apply_slos as apply_slos
    from sluicegate.service.slo.ports import SloRepository as SloRepository
    from sluicegate.service.slo.ports import StoredSlo as StoredSlo
    from sluicegate.service.slo.queries import get_slo as get_slo
    from sluicegate.service.slo.queries import list_slos as list_slos
    from sluicegate.service.slo.queries import slo_rules as slo_rules
    from sluicegate.service.slo.queries import slo_view as slo_view

__all__ = [
    "SloRepository",
    "StoredSlo",
    "apply_slos",
    "get_slo",
    "list_slos",
    "slo_rules",
    "slo_view",
]

_TABLE = {
    "SloRepository": "ports",
    "StoredSlo": "ports",
    "apply_slos": "commands",
    "get_slo": "queries",
    "list_slos": "queries",
    "slo_rules": "queries",
    "slo_view": "queries",
}
__getattr__, __dir__ = exports(__name__, _TABLE)
