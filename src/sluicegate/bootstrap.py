"""The composition root: settings from the environment, and the wiring of adapters to use cases.

Production (``sluice serve``), the CLI's admin commands and the tests all build through here.
Nothing happens at import time.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BeforeValidator, Field, ValidationError
from pydantic_core import PydanticUndefined
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy import Engine, make_url

from sluicegate.adapters.db.audit import scan_segments
from sluicegate.adapters.db.engine import build_engine
from sluicegate.adapters.db.migrate import upgrade
from sluicegate.adapters.db.uow import SqlUnitOfWorkFactory
from sluicegate.adapters.db.walcheckpoint import WalCheckpointer
from sluicegate.adapters.delivery_sources import SourcesFile
from sluicegate.adapters.policy import RegoPolicyEngine
from sluicegate.adapters.prometheus import PrometheusConfig, PrometheusMetricSource
from sluicegate.adapters.push_metrics import PushMetricSource
from sluicegate.adapters.signing import (
    Ed25519Signer,
    Ed25519Verifier,
    KeyFileSigner,
    read_public_keys,
    write_public_keys,
)
from sluicegate.adapters.system import SystemClock, UuidFactory
from sluicegate.adapters.webhooks import HttpxWebhookSender
from sluicegate.adapters.witness import CommandPublisher, FilePublisher, WebhookPublisher
from sluicegate.domain.audit.coverage import CoveragePolicy
from sluicegate.domain.errors import FieldError, InvalidInput, InvalidRiskMatrix
from sluicegate.domain.events import AuditAction
from sluicegate.domain.risk import RiskMatrix
from sluicegate.service.audit.commands import HeadPublication
from sluicegate.service.audit.ports import HeadPublisher
from sluicegate.service.auditing import record
from sluicegate.service.cache import TtlCache, VersionedCache
from sluicegate.service.context import SYSTEM, Deps, RequestContext
from sluicegate.service.gates.processes import GateRuntime
from sluicegate.service.metrics.ports import MetricSource
from sluicegate.service.notifications import DispatchSettings
from sluicegate.service.ports import Clock, IdFactory

__all__ = [
    "Container",
    "InvalidSettings",
    "MissingTrustAnchor",
    "Settings",
    "build",
    "default_risk_matrix_path",
    "pinned_verifier",
    "prepare",
    "private_dir",
]


def default_risk_matrix_path() -> Path:
    return Path(__file__).resolve().parent / "resources" / "risk-matrix.yaml"


def _blank_is_none(value: object) -> object:
    """An empty variable means "not set" for the optional settings (as ``VAR= sluice ...``)."""
    return None if value == "" else value


_OptionalPath = Annotated[Path | None, BeforeValidator(_blank_is_none)]
_OptionalStr = Annotated[str | None, BeforeValidator(_blank_is_none)]

#: The environment ``Settings.from_env`` reads (None: construction from keywords only).
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("sluicegate_environ", default=None)


def _env(name: str, default: Any = PydanticUndefined, **kwargs: Any) -> Any:
    """A field read from the environment variable ``name``; keywords use the field name."""
    return Field(default, validation_alias=name, **kwargs)


class _MappingEnvSource(EnvSettingsSource):
    """The environment source over a given mapping (``os.environ`` or a test's dict)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls, case_sensitive=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return dict(self._environ)


class MissingTrustAnchor(InvalidInput):
    """Audit verification has no pinned public key to trust."""

    code = "audit-trust-anchor-missing"
    default_hint = (
        "Pin the checkpoint public key outside the database: SLUICE_AUDIT_TRUSTED_KEYS, "
        "or `sluice audit verify --public-key FILE`."
    )


class InvalidSettings(InvalidInput):
    """A ``SLUICE_*`` environment variable holds a value of the wrong type or range."""

    code = "invalid-settings"
    default_hint = "Fix or unset the named SLUICE_* variables; the README lists them."


class Settings(BaseSettings):
    """Every server setting, from ``SLUICE_*`` environment variables (``from_env``).

    Keyword construction (``Settings(home=...)``, as the tests do) reads no environment: it is
    the defaults plus the keywords. ``from_env`` reads the environment, or a given mapping, and
    raises :class:`InvalidSettings` naming each bad variable and why.
    """

    model_config = SettingsConfigDict(
        frozen=True,
        extra="ignore",
        populate_by_name=True,
        case_sensitive=True,
    )

    home: Path = _env("SLUICE_HOME", Path(".sluicegate"))
    database_url: str = _env("SLUICE_DATABASE_URL", "")
    risk_matrix_path: _OptionalPath = _env("SLUICE_RISK_MATRIX", None)
    audit_key_file: _OptionalPath = _env("SLUICE_AUDIT_KEY_FILE", None)
    checkpoint_every: int = _env("SLUICE_AUDIT_CHECKPOINT_EVERY", 1000, ge=0)
    # the ledger's trust anchor (pinned public keys) and where signed tree heads are published
    checkpoint_interval_seconds: float = _env("SLUICE_AUDIT_CHECKPOINT_INTERVAL", 60.0, ge=0)
    audit_trusted_keys_file: _OptionalPath = _env("SLUICE_AUDIT_TRUSTED_KEYS", None)
    audit_head_file: _OptionalPath = _env("SLUICE_AUDIT_HEAD_FILE", None)
    audit_head_webhook: _OptionalStr = _env("SLUICE_AUDIT_HEAD_WEBHOOK", None)
    audit_head_webhook_secret: _OptionalStr = _env("SLUICE_AUDIT_HEAD_WEBHOOK_SECRET", None)
    audit_head_command: _OptionalStr = _env("SLUICE_AUDIT_HEAD_COMMAND", None)
    max_body_bytes: int = _env("SLUICE_MAX_BODY_BYTES", 1024 * 1024)
    # how long a process trusts a token it looked up (0 = look up on every request); a write in
    # the same process clears it, another process's write applies within this time
    auth_cache_seconds: float = _env("SLUICE_AUTH_CACHE_SECONDS", 1.0, ge=0, le=60)
    expiry_interval_seconds: float = _env("SLUICE_EXPIRY_INTERVAL", 60.0)
    host: str = _env("SLUICE_HOST", "127.0.0.1")
    workers: int = _env("SLUICE_WORKERS", 1, ge=1, le=64)
    # uvicorn's access log (query strings redacted); off saves a log line per request
    access_log: bool = _env("SLUICE_ACCESS_LOG", True)
    port: int = _env("SLUICE_PORT", 8080)
    webhook_interval_seconds: float = _env("SLUICE_WEBHOOK_INTERVAL", 2.0)
    webhook_max_attempts: int = _env("SLUICE_WEBHOOK_MAX_ATTEMPTS", 5)
    webhook_backoff_seconds: float = _env("SLUICE_WEBHOOK_BACKOFF", 10.0)
    webhook_timeout_seconds: float = _env("SLUICE_WEBHOOK_TIMEOUT", 10.0)
    jit_max_hours: float = _env("SLUICE_JIT_MAX_HOURS", 8.0)
    # how long a dashboard sign-in lasts (src/sluicegate/web/session.py)
    ui_session_hours: float = _env("SLUICE_UI_SESSION_HOURS", 8.0, gt=0, le=24 * 30)
    # the Rego bundle of policy gates; None: they fail closed
    policy_dir: _OptionalPath = _env("SLUICE_POLICY_DIR", None)
    max_override_days: float = _env("SLUICE_MAX_OVERRIDE_DAYS", 7.0)
    # the metric source for rollouts; "" = pushed samples only
    prometheus_url: str = _env("SLUICE_PROMETHEUS_URL", "")
    prometheus_bearer_token: _OptionalStr = _env("SLUICE_PROMETHEUS_TOKEN", None)
    prometheus_username: _OptionalStr = _env("SLUICE_PROMETHEUS_USERNAME", None)
    prometheus_password: _OptionalStr = _env("SLUICE_PROMETHEUS_PASSWORD", None)
    prometheus_timeout_seconds: float = _env("SLUICE_PROMETHEUS_TIMEOUT", 10.0)
    metrics_retention_days: float = _env("SLUICE_METRICS_RETENTION_DAYS", 14.0)
    metrics_prune_interval_seconds: float = _env("SLUICE_METRICS_PRUNE_INTERVAL", 3600.0)
    metrics_max_batch: int = _env("SLUICE_METRICS_MAX_BATCH", 1000)
    # the rollout controller tick; 0: not in-process
    controller_interval_seconds: float = _env("SLUICE_CONTROLLER_INTERVAL", 5.0)
    controller_lease_seconds: float = _env("SLUICE_CONTROLLER_LEASE", 15.0)
    breaker_cooldown_seconds: float = _env("SLUICE_BREAKER_COOLDOWN", 300.0)
    # the flag endpoints: per-token OFREP rate limit (0 = off), the sync stream, scheduled changes
    ofrep_rate: float = _env("SLUICE_OFREP_RATE", 100.0, ge=0)
    ofrep_burst: float = _env("SLUICE_OFREP_BURST", 200.0, ge=0)
    sse_keepalive_seconds: float = _env("SLUICE_SSE_KEEPALIVE", 15.0, gt=0)
    sse_poll_seconds: float = _env("SLUICE_SSE_POLL", 5.0, gt=0)
    sse_max_seconds: float = _env("SLUICE_SSE_MAX_SECONDS", 300.0, gt=0)
    flag_schedule_interval_seconds: float = _env("SLUICE_FLAG_SCHEDULE_INTERVAL", 30.0, ge=0)
    # delivery ingest: who may post webhooks (a private file), and the per-token/source rate
    delivery_sources_file: _OptionalPath = _env("SLUICE_DELIVERY_SOURCES", None)
    ingest_rate: float = _env("SLUICE_INGEST_RATE", 200.0, ge=0)
    ingest_burst: float = _env("SLUICE_INGEST_BURST", 2000.0, ge=0)
    # Alertmanager notifications in: the labels that name the service (the first present wins),
    # the severity label, and the source the incidents are recorded under
    alert_service_labels: str = _env("SLUICE_ALERT_SERVICE_LABELS", "service,app,job")
    alert_severity_label: str = _env("SLUICE_ALERT_SEVERITY_LABEL", "severity", min_length=1)
    alert_source: str = _env(
        "SLUICE_ALERT_SOURCE", "alertmanager", max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$"
    )
    extra: Mapping[str, str] = Field(default_factory=dict, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - replaced by the mapping
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - no .env files
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - no secret files
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        environ = _ENVIRON.get()
        if environ is None:
            return (init_settings,)
        return (init_settings, _MappingEnvSource(settings_cls, environ))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings from ``env`` (default: ``os.environ``); raises InvalidSettings."""
        token = _ENVIRON.set(os.environ if env is None else env)
        try:
            return cls()
        except ValidationError as exc:
            raise InvalidSettings(
                f"invalid configuration: {_describe(exc)}",
                errors=[FieldError(_variable(err), err["msg"]) for err in exc.errors()],
            ) from None
        finally:
            _ENVIRON.reset(token)

    @classmethod
    def variable(cls, name: str) -> str:
        """The environment variable of the field ``name``."""
        alias = cls.model_fields[name].validation_alias
        assert isinstance(alias, str)
        return alias

    def source(self, name: str) -> str:
        """``env`` if the field was set (from the environment or a keyword), else ``default``."""
        return "env" if name in self.model_fields_set else "default"

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'sluicegate.db'}"

    @property
    def key_file(self) -> Path:
        return self.audit_key_file or self.home / "audit-ed25519.pem"

    @property
    def trusted_keys_file(self) -> Path:
        return self.audit_trusted_keys_file or self.home / "audit-trusted-keys.pem"

    @property
    def sources_file(self) -> Path:
        return self.delivery_sources_file or self.home / "delivery-sources.yaml"

    @property
    def head_file(self) -> Path:
        return self.audit_head_file or self.home / "audit-head.json"

    def coverage(self) -> CoveragePolicy:
        """What verification expects of the checkpoints, from the settings that make them."""
        return CoveragePolicy(
            every_events=self.checkpoint_every,
            every_seconds=self.checkpoint_interval_seconds,
            grace_seconds=max(self.checkpoint_interval_seconds, 30.0),
        )


def _variable(error: Any) -> str:
    loc = error.get("loc") or ()
    return str(loc[0]) if loc else "environment"


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        got = error.get("input")
        shown = f" (got {got!r})" if isinstance(got, str) else ""
        parts.append(f"{_variable(error)}: {error['msg']}{shown}")
    return "; ".join(parts)


@dataclass(slots=True)
class Container:
    settings: Settings
    engine: Engine
    deps: Deps
    signer: KeyFileSigner | None
    _webhook_sender: HttpxWebhookSender | None = None
    gates: GateRuntime = field(default_factory=GateRuntime)
    _prometheus: PrometheusMetricSource | None = None
    wal_checkpointer: WalCheckpointer | None = None
    heads: HeadPublication = field(default_factory=lambda: HeadPublication(()))
    _sources: SourcesFile | None = None

    def delivery_sources(self) -> SourcesFile:
        """The webhook sources of ``SLUICE_DELIVERY_SOURCES``, read again when the file changes."""
        if self._sources is None:
            self._sources = SourcesFile(self.settings.sources_file)
        return self._sources

    def verifier(self) -> Ed25519Verifier:
        """Trust the keys pinned in the trusted-keys file, never a key found only in the
        database (those count only when a trusted key endorses them)."""
        return pinned_verifier(self.settings)

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


def private_dir(path: Path) -> None:
    """Create ``path`` (and its parents) with mode 0700; an existing folder is left as it is,
    with a warning if others may enter it (it may be shared, as /tmp is)."""
    if path.is_dir():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            logging.getLogger("sluicegate").warning(
                "%s has mode %o: others may read the database and keys in it; chmod 700 it",
                path,
                mode,
            )
        return
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)  # mkdir's mode is filtered through the umask


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
) -> Container:
    database = _sqlite_file(settings.url)
    if database is not None:
        private_dir(database.parent)
    engine = build_engine(settings.url, background_checkpoints=database is not None)
    checkpointer = WalCheckpointer(database).start() if database is not None else None
    signer = KeyFileSigner(settings.key_file) if settings.key_file.exists() else None
    matrix = load_risk_matrix(settings.risk_matrix_path or default_risk_matrix_path())
    token_cache: TtlCache[object] = TtlCache(settings.auth_cache_seconds)
    deps = Deps(
        uow=SqlUnitOfWorkFactory(
            engine, signer, settings.checkpoint_every, on_write=token_cache.clear
        ),
        token_cache=token_cache,
        delivery_cache=VersionedCache(max_entries=4),
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
    return Container(
        settings,
        engine,
        deps,
        signer,
        gates=gates,
        wal_checkpointer=checkpointer,
        heads=HeadPublication(_head_publishers(settings)),
    )


def pinned_verifier(settings: Settings) -> Ed25519Verifier:
    """A verifier that trusts the keys of the trusted-keys file (``SLUICE_AUDIT_TRUSTED_KEYS``).

    It reads configuration only, never the database, so ``sluice audit verify --file`` on an
    auditor's machine uses the same anchor as a verification on the server host.
    """
    path = settings.trusted_keys_file
    if not path.exists():
        raise MissingTrustAnchor(
            f"no trust anchor: {path} does not exist "
            f"(set {Settings.variable('audit_trusted_keys_file')}, or pass --public-key)"
        )
    try:
        return Ed25519Verifier(read_public_keys(path))
    except (OSError, ValueError) as exc:
        raise MissingTrustAnchor(f"cannot read the trusted keys {path}: {exc}") from None


def _head_publishers(settings: Settings) -> list[HeadPublisher]:
    """The file always; the webhook and the witness command when configured."""
    out: list[HeadPublisher] = [FilePublisher(settings.head_file)]
    if settings.audit_head_webhook:
        out.append(
            WebhookPublisher(
                settings.audit_head_webhook,
                settings.audit_head_webhook_secret,
                settings.webhook_timeout_seconds,
            )
        )
    if settings.audit_head_command:
        out.append(CommandPublisher(settings.audit_head_command))
    return out


def _sqlite_file(url: str) -> Path | None:
    """The database file of a file-backed SQLite URL (None for PostgreSQL and in-memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def prepare(settings: Settings, **kwargs: object) -> Container:
    """Migrate the schema, create the audit signing key if missing and register its public key."""
    private_dir(settings.home)
    database = _sqlite_file(settings.url)
    if database is not None:
        private_dir(database.parent)
    upgrade(settings.url)
    if not settings.key_file.exists():
        Ed25519Signer.generate(settings.key_file)
    if not settings.trusted_keys_file.exists():
        # Pin the public half outside the database: verification trusts this file, not the
        # audit_keys table. (A file copied to the auditors' machines is a better anchor still.)
        write_public_keys(
            settings.trusted_keys_file, [Ed25519Signer.load(settings.key_file).public_key_pem()]
        )
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
