"""The SQL unit of work: one transaction per use case; commit on success, roll back on error."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from sluicegate.adapters.db.access import SqlJit, SqlTeams, SqlTokens, SqlUsers
from sluicegate.adapters.db.audit import SqlAuditRepository
from sluicegate.adapters.db.delivery import SqlChanges, SqlDeliveryIncidents, SqlDeployments
from sluicegate.adapters.db.experiments import SqlApprovals, SqlExperiments
from sluicegate.adapters.db.flags import SqlFlags
from sluicegate.adapters.db.gates import SqlGates
from sluicegate.adapters.db.metrics import SqlMetricSamples
from sluicegate.adapters.db.notifications import SqlWebhooks
from sluicegate.adapters.db.rollouts import (
    SqlBreakers,
    SqlIncidents,
    SqlLeases,
    SqlRollouts,
    SqlRolloutSteps,
)
from sluicegate.adapters.db.settings import SqlSettings
from sluicegate.adapters.db.slo import SqlSlos
from sluicegate.domain.errors import Conflict
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
from sluicegate.service.ports import SettingsRepository, Signer
from sluicegate.service.rollouts.ports import (
    BreakerRepository,
    IncidentRepository,
    LeaseRepository,
    RolloutRepository,
    RolloutStepRepository,
)
from sluicegate.service.slo.ports import SloRepository

__all__ = ["SqlUnitOfWork", "SqlUnitOfWorkFactory"]


class SqlUnitOfWork:
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

    def __init__(
        self,
        engine: Engine,
        signer: Signer | None,
        checkpoint_every: int,
        readonly: bool,
        on_write: Callable[[], None] | None = None,
    ) -> None:
        self._on_write = on_write
        self._engine = engine
        self._signer = signer
        self._every = checkpoint_every
        self._readonly = readonly
        self._conn: Connection | None = None

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._conn

    def __enter__(self) -> Self:
        conn = self._engine.connect()
        if self._readonly:
            # One consistent snapshot for multi-query reads (verification pages the whole log).
            level = "REPEATABLE READ" if conn.dialect.name == "postgresql" else None
            conn = conn.execution_options(sluice_readonly=True)
            if level:
                conn = conn.execution_options(isolation_level=level)
        conn.begin()
        self._conn = conn
        self.teams = SqlTeams(conn)
        self.users = SqlUsers(conn)
        self.tokens = SqlTokens(conn)
        self.experiments = SqlExperiments(conn)
        self.approvals = SqlApprovals(conn)
        self.settings = SqlSettings(conn)
        self.audit = SqlAuditRepository(conn, self._signer, self._every)
        self.flags = SqlFlags(conn)
        self.webhooks = SqlWebhooks(conn)
        self.jit = SqlJit(conn)
        self.gates = SqlGates(conn)
        self.rollouts = SqlRollouts(conn)
        self.rollout_steps = SqlRolloutSteps(conn)
        self.breakers = SqlBreakers(conn)
        self.incidents = SqlIncidents(conn)
        self.leases = SqlLeases(conn)
        self.metric_samples = SqlMetricSamples(conn)
        self.deployments = SqlDeployments(conn)
        self.changes = SqlChanges(conn)
        self.delivery_incidents = SqlDeliveryIncidents(conn)
        self.slos = SqlSlos(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.connection
        try:
            if isinstance(exc, IntegrityError):
                conn.rollback()
                raise Conflict(f"the change conflicts with stored data: {exc.orig}") from exc
            if exc_type is None and not self._readonly:
                try:
                    conn.commit()
                except IntegrityError as err:
                    raise Conflict(f"the change conflicts with stored data: {err.orig}") from err
                if self._on_write is not None:
                    self._on_write()
            else:
                conn.rollback()
        finally:
            conn.close()
            self._conn = None


class SqlUnitOfWorkFactory:
    def __init__(
        self,
        engine: Engine,
        signer: Signer | None,
        checkpoint_every: int,
        on_write: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.signer = signer
        self.checkpoint_every = checkpoint_every
        #: called after every committed write (the token cache clears itself)
        self.on_write = on_write

    def __call__(self, *, readonly: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.engine, self.signer, self.checkpoint_every, readonly, self.on_write
        )
