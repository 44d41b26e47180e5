"""Core ports shared by every feature: clock, ids, signer, settings and the unit of work.

Each feature's own records and repositories live beside it, in ``service/<feature>/ports.py``;
the unit of work gathers those repositories into one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

if TYPE_CHECKING:
    # Only for the annotations of UnitOfWork: importing a feature at run time would import its
    # use cases, which import this module.
    from sluicegate.service.access.ports import (
        JitRepository,
        TeamRepository,
        TokenRepository,
        UserRepository,
    )
    from sluicegate.service.audit.ports import AuditRepository
    from sluicegate.service.delivery.ports import (
        ChangeRepository,
        DeploymentRepository,
        IncidentEventRepository,
    )
    from sluicegate.service.experiments.ports import ApprovalRepository, ExperimentRepository
    from sluicegate.service.flags.ports import FlagRepository
    from sluicegate.service.gates.ports import GateRepository
    from sluicegate.service.metrics.ports import MetricSampleRepository
    from sluicegate.service.notifications.ports import WebhookRepository
    from sluicegate.service.rollouts.ports import (
        BreakerRepository,
        IncidentRepository,
        LeaseRepository,
        RolloutRepository,
        RolloutStepRepository,
    )
    from sluicegate.service.slo.ports import SloRepository

__all__ = [
    "Clock",
    "IdFactory",
    "SettingsRepository",
    "Signer",
    "UnitOfWork",
    "UnitOfWorkFactory",
]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class IdFactory(Protocol):
    def new_id(self) -> str: ...


class Signer(Protocol):
    key_id: str

    def sign(self, payload: bytes) -> str:
        """Hex-encoded Ed25519 signature."""
        ...

    def public_key_pem(self) -> str: ...


class SettingsRepository(Protocol):
    def get(self, key: str) -> Any | None: ...
    def get_many(self, keys: Sequence[str]) -> dict[str, Any]: ...  # the keys that are set
    def put(self, key: str, value: Any, when: datetime) -> None: ...


class UnitOfWork(Protocol):
    teams: TeamRepository
    users: UserRepository
    tokens: TokenRepository
    experiments: ExperimentRepository
    approvals: ApprovalRepository
    settings: SettingsRepository
    audit: AuditRepository
    flags: FlagRepository
    webhooks: WebhookRepository
    jit: JitRepository
    gates: GateRepository
    metric_samples: MetricSampleRepository
    rollouts: RolloutRepository
    rollout_steps: RolloutStepRepository
    breakers: BreakerRepository
    incidents: IncidentRepository
    leases: LeaseRepository
    deployments: DeploymentRepository
    changes: ChangeRepository
    delivery_incidents: IncidentEventRepository
    slos: SloRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, readonly: bool = False) -> UnitOfWork: ...
