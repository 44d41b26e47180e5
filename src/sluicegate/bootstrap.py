"""The composition root: settings from the environment, and the wiring of adapters to use cases.

Production (``sluice serve``), the CLI's admin commands and the tests all build through here.
Nothing happens at import time.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import yaml
from sqlalchemy import Engine, make_url

from sluicegate.adapters.db.audit_scan import scan_segments
from sluicegate.adapters.db.engine import build_engine
from sluicegate.adapters.db.migrate import upgrade
from sluicegate.adapters.db.uow import SqlUnitOfWorkFactory
from sluicegate.adapters.db.walcheckpoint import WalCheckpointer
from sluicegate.adapters.policy import RegoPolicyEngine
from sluicegate.adapters.prometheus import PrometheusConfig, PrometheusMetricSource
from sluicegate.adapters.push_metrics import PushMetricSource
from sluicegate.adapters.signing import Ed25519Signer, Ed25519Verifier
from sluicegate.adapters.system import SystemClock, UuidFactory
from sluicegate.adapters.webhooks import HttpxWebhookSender
from sluicegate.domain.errors import InvalidRiskMatrix
from sluicegate.domain.events import AuditAction
from sluicegate.domain.risk import RiskMatrix
from sluicegate.service.auditing import record
from sluicegate.service.context import SYSTEM, Deps, RequestContext
from sluicegate.service.gates.processes import GateRuntime
from sluicegate.service.metrics.ports import MetricSource
from sluicegate.service.notifications import DispatchSettings
from sluicegate.service.ports import Clock, IdFactory

__all__ = ["Container", "Settings", "build", "default_risk_matrix_path", "prepare"]


def default_risk_matrix_path() -> Path:
    return Path(__file__).resolve().parent / "resources" / "risk-matrix.yaml"


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path = Path(".sluicegate")
    database_url: str = ""
    risk_matrix_path: Path | None = None
    audit_key_file: Path | None = None
    checkpoint_every: int = 1000
    max_body_bytes: int = 1024 * 1024
    expiry_interval_seconds: float = 60.0
    host: str = "127.0.0.1"
    port: int = 8080
    webhook_interval_seconds: float = 2.0
    webhook_max_attempts: int = 5
    webhook_backoff_seconds: float = 10.0
    webhook_timeout_seconds: float = 10.0
    jit_max_hours: float = 8.0
    policy_dir: Path | None = None  # the Rego bundle of policy gates; None: they fail closed
    max_override_days: float = 7.0
    prometheus_url: str = ""  # the metric source for rollouts; "" = pushed samples only
    prometheus_bearer_token: str | None = None
    prometheus_username: str | None = None
    prometheus_password: str | None = None
    prometheus_timeout_seconds: float = 10.0
    metrics_retention_days: float = 14.0
    metrics_prune_interval_seconds: float = 3600.0
    metrics_max_batch: int = 1000
    controller_interval_seconds: float = 5.0  # the rollout controller tick; 0: not in-process
    controller_lease_seconds: float = 15.0
    breaker_cooldown_seconds: float = 300.0
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("SLUICE_HOME", ".sluicegate"))
        return cls(
            home=home,
            database_url=env.get("SLUICE_DATABASE_URL", ""),
            risk_matrix_path=Path(env["SLUICE_RISK_MATRIX"])
            if env.get("SLUICE_RISK_MATRIX")
            else None,
            audit_key_file=Path(env["SLUICE_AUDIT_KEY_FILE"])
            if env.get("SLUICE_AUDIT_KEY_FILE")
            else None,
            checkpoint_every=int(env.get("SLUICE_AUDIT_CHECKPOINT_EVERY", "1000")),
            max_body_bytes=int(env.get("SLUICE_MAX_BODY_BYTES", str(1024 * 1024))),
            expiry_interval_seconds=float(env.get("SLUICE_EXPIRY_INTERVAL", "60")),
            host=env.get("SLUICE_HOST", "127.0.0.1"),
            port=int(env.get("SLUICE_PORT", "8080")),
            webhook_interval_seconds=float(env.get("SLUICE_WEBHOOK_INTERVAL", "2")),
            webhook_max_attempts=int(env.get("SLUICE_WEBHOOK_MAX_ATTEMPTS", "5")),
            webhook_backoff_seconds=float(env.get("SLUICE_WEBHOOK_BACKOFF", "10")),
            webhook_timeout_seconds=float(env.get("SLUICE_WEBHOOK_TIMEOUT", "10")),
            jit_max_hours=float(env.get("SLUICE_JIT_MAX_HOURS", "8")),
            policy_dir=Path(env["SLUICE_POLICY_DIR"]) if env.get("SLUICE_POLICY_DIR") else None,
            max_override_days=float(env.get("SLUICE_MAX_OVERRIDE_DAYS", "7")),
            prometheus_url=env.get("SLUICE_PROMETHEUS_URL", ""),
            prometheus_bearer_token=env.get("SLUICE_PROMETHEUS_TOKEN") or None,
            prometheus_username=env.get("SLUICE_PROMETHEUS_USERNAME") or None,
            prometheus_password=env.get("SLUICE_PROMETHEUS_PASSWORD") or None,
            prometheus_timeout_seconds=float(env.get("SLUICE_PROMETHEUS_TIMEOUT", "10")),
            metrics_retention_days=float(env.get("SLUICE_METRICS_RETENTION_DAYS", "14")),
            metrics_prune_interval_seconds=float(env.get("SLUICE_METRICS_PRUNE_INTERVAL", "3600")),
            metrics_max_batch=int(env.get("SLUICE_METRICS_MAX_BATCH", "1000")),
            controller_interval_seconds=float(env.get("SLUICE_CONTROLLER_INTERVAL", "5")),
            controller_lease_seconds=float(env.get("SLUICE_CONTROLLER_LEASE", "15")),
            breaker_cooldown_seconds=float(env.get("SLUICE_BREAKER_COOLDOWN", "300")),
        )

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'sluicegate.db'}"

    @property
    def key_file(self) -> Path:
        return self.audit_key_file or self.home / "audit-ed25519.pem"


@dataclass(slots=True)
class Container:
    settings: Settings
    engine: Engine
    deps: Deps
    signer: Ed25519Signer | None
    _webhook_sender: HttpxWebhookSender | None = None
    gates: GateRuntime = field(default_factory=GateRuntime)
    _prometheus: PrometheusMetricSource | None = None
    wal_checkpointer: WalCheckpointer | None = None

    def verifier(self) -> Ed25519Verifier:
        """Trust the keys registered in the database plus the local signing key."""
        with self.deps.uow(readonly=True) as uow:
            pems = uow.audit.public_keys()
        if self.signer is not None:
            pems.append(self.signer.public_key_pem())
        return Ed25519Verifier(pems)

    def webhook_sender(self) -> HttpxWebhookSender:
        """The HTTP client of the webhook dispatcher, made on first use and closed by close()."""
        if self._webhook_sender is None:
            self._webhook_sender = HttpxWebhookSender()
        return self._webhook_sender

    def dispatch_settings(self) -> DispatchSettings:
        s = self.settings
        return DispatchSettings(
            max_attempts=s.webhook_max_attempts,
            backoff_base_seconds=s.webhook_backoff_seconds,
            timeout_seconds=s.webhook_timeout_seconds,
        )

    def metric_source(self) -> MetricSource:
        """Prometheus when ``prometheus_url`` is set (made once, closed by close()), else pushed
        samples."""
        s = self.settings
        if not s.prometheus_url:
            return PushMetricSource(self.deps.uow)
        if self._prometheus is None:
            self._prometheus = PrometheusMetricSource(
                PrometheusConfig(
                    url=s.prometheus_url,
                    timeout_seconds=s.prometheus_timeout_seconds,
                    bearer_token=s.prometheus_bearer_token,
                    username=s.prometheus_username,
                    password=s.prometheus_password,
                )
            )
        return self._prometheus

    def push_metric_source(self) -> MetricSource:
        """The source over samples pushed to ``POST /api/v1/metrics``, whatever is configured."""
        return PushMetricSource(self.deps.uow)

    def close(self) -> None:
        if self._prometheus is not None:
            self._prometheus.close()
            self._prometheus = None
        if self._webhook_sender is not None:
            self._webhook_sender.close()
            self._webhook_sender = None
        if self.wal_checkpointer is not None:
            self.wal_checkpointer.close()
            self.wal_checkpointer = None
        self.engine.dispose()


def load_risk_matrix(path: Path) -> RiskMatrix:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidRiskMatrix(f"cannot read risk matrix {path}: {exc}") from exc
    return RiskMatrix.from_dict(doc)


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
) -> Container:
    database = _sqlite_file(settings.url)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings.url, background_checkpoints=database is not None)
    checkpointer = WalCheckpointer(database).start() if database is not None else None
    signer = Ed25519Signer.load(settings.key_file) if settings.key_file.exists() else None
    matrix = load_risk_matrix(settings.risk_matrix_path or default_risk_matrix_path())
    deps = Deps(
        uow=SqlUnitOfWorkFactory(engine, signer, settings.checkpoint_every),
        clock=clock or SystemClock(),
        ids=ids or UuidFactory(),
        default_risk_matrix=matrix,
        audit_scanner=functools.partial(scan_segments, settings.url),
    )
    gates = GateRuntime(
        engine=RegoPolicyEngine(),
        policy_dir=settings.policy_dir,
        max_override=timedelta(days=settings.max_override_days),
    )
    return Container(settings, engine, deps, signer, gates=gates, wal_checkpointer=checkpointer)


def _sqlite_file(url: str) -> Path | None:
    """The database file of a file-backed SQLite URL (None for PostgreSQL and in-memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def prepare(settings: Settings, **kwargs: object) -> Container:
    """Migrate the schema, create the audit signing key if missing and register its public key."""
    settings.home.mkdir(parents=True, exist_ok=True)
    database = _sqlite_file(settings.url)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    upgrade(settings.url)
    if not settings.key_file.exists():
        Ed25519Signer.generate(settings.key_file)
    container = build(settings, **kwargs)  # type: ignore[arg-type]
    signer = container.signer
    assert signer is not None
    with container.deps.uow() as uow:
        if uow.audit.register_key(
            signer.key_id, signer.public_key_pem(), container.deps.clock.now()
        ):
            ctx = RequestContext(SYSTEM, actor_override="system:init")
            record(
                container.deps,
                uow,
                ctx,
                AuditAction.AUDIT_KEY_REGISTER,
                "audit-key",
                signer.key_id,
                after={"key_id": signer.key_id, "public_key": signer.public_key_pem()},
            )
    return container
