"""What every use case receives: the unit-of-work factory, the clock, ids and configuration."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sluicegate.domain.access.identity import Principal, Role
from sluicegate.domain.audit.segments import Segment
from sluicegate.domain.risk import RiskMatrix
from sluicegate.service.cache import TtlCache, VersionedCache
from sluicegate.service.ports import Clock, IdFactory, UnitOfWork, UnitOfWorkFactory

__all__ = ["SYSTEM", "AuditScanner", "Deps", "RequestContext", "ts_string"]

#: Verifies the planned segments of the audit log (plan, checkpoint sizes, workers, progress).
AuditScanner = Callable[
    [Sequence[tuple[int, int]], frozenset[int], int, Callable[[int], None] | None], list[Segment]
]


@dataclass(frozen=True, slots=True)
class Deps:
    uow: UnitOfWorkFactory
    clock: Clock
    ids: IdFactory
    default_risk_matrix: RiskMatrix
    audit_scanner: AuditScanner
    max_token_days: int = 365
    #: recently authenticated tokens (None: every request looks its token up)
    token_cache: TtlCache[object] | None = None
    #: the delivery metrics' linked facts by window, at the store's delivery version
    delivery_cache: VersionedCache[object] | None = None

    def risk_matrix(self, uow: UnitOfWork) -> RiskMatrix:
        """The admin-replaced matrix if there is one, else the configured default."""
        stored = uow.settings.get("risk_matrix")
        return self.default_risk_matrix if stored is None else RiskMatrix.from_dict(stored)


@dataclass(frozen=True, slots=True)
class RequestContext:
    principal: Principal
    request_id: str | None = None
    actor_override: str | None = None

    @property
    def actor(self) -> str:
        return self.actor_override or self.principal.actor


#: The principal background jobs act as (the expiry job); it is never reachable by a token.
SYSTEM = Principal(user_id="system", username="system", role=Role.ADMIN)


def ts_string(moment: datetime) -> str:
    """The fixed-width UTC timestamp stored in the audit ledger (sorts lexically)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
