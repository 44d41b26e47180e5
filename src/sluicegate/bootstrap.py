"""The composition root: settings from the environment, and the wiring of adapters to use cases.

Production (``sluice serve``), the CLI's admin commands and the tests all build through here.
Nothing happens at import time.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import Engine

from sluicegate.adapters.db.audit_scan import scan_segments
from sluicegate.adapters.db.engine import build_engine
from sluicegate.adapters.db.migrate import upgrade
from sluicegate.adapters.db.uow import SqlUnitOfWorkFactory
from sluicegate.adapters.signing import Ed25519Signer, Ed25519Verifier
from sluicegate.adapters.system import SystemClock, UuidFactory
from sluicegate.domain.errors import InvalidRiskMatrix
from sluicegate.domain.risk import RiskMatrix
from sluicegate.service.auditing import record
from sluicegate.service.context import SYSTEM, Deps, RequestContext
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

    def verifier(self) -> Ed25519Verifier:
        """Trust the keys registered in the database plus the local signing key."""
        with self.deps.uow(readonly=True) as uow:
            pems = uow.audit.public_keys()
        if self.signer is not None:
            pems.append(self.signer.public_key_pem())
        return Ed25519Verifier(pems)

    def close(self) -> None:
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
    if settings.url.startswith("sqlite:///"):
        Path(settings.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings.url)
    signer = Ed25519Signer.load(settings.key_file) if settings.key_file.exists() else None
    matrix = load_risk_matrix(settings.risk_matrix_path or default_risk_matrix_path())
    deps = Deps(
        uow=SqlUnitOfWorkFactory(engine, signer, settings.checkpoint_every),
        clock=clock or SystemClock(),
        ids=ids or UuidFactory(),
        default_risk_matrix=matrix,
        audit_scanner=functools.partial(scan_segments, settings.url),
    )
    return Container(settings, engine, deps, signer)


def prepare(settings: Settings, **kwargs: object) -> Container:
    """Migrate the schema, create the audit signing key if missing and register its public key."""
    settings.home.mkdir(parents=True, exist_ok=True)
    if settings.url.startswith("sqlite:///"):
        Path(settings.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
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
                "audit.key-register",
                "audit-key",
                signer.key_id,
                after={"key_id": signer.key_id, "public_key": signer.public_key_pem()},
            )
    return container
