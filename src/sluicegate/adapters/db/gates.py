"""Process versions, pins, evidence, overrides, decisions and policy bundles."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    Row,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    insert,
    select,
    update,
)

from sluicegate.adapters.db.access import team_members, teams, users
from sluicegate.adapters.db.experiments import approvals, experiments
from sluicegate.adapters.db.jsontext import dump_json
from sluicegate.adapters.db.schema import UTCDateTime, metadata
from sluicegate.domain.gates.decision import Outcome
from sluicegate.service.gates.ports import (
    EvidenceRecord,
    GateDecisionRecord,
    GateOverrideRecord,
    ProcessPinRecord,
    ProcessVersionRecord,
    StageReviewRecord,
    StoredPolicyBundle,
)

__all__ = [
    "APPEND_ONLY",
    "SqlGates",
    "evidence",
    "experiment_processes",
    "gate_decisions",
    "gate_overrides",
    "policy_bundles",
    "process_versions",
]


process_versions = Table(
    "process_versions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(80), nullable=False),
    Column("document", Text, nullable=False),  # the resolved process (canonical JSON)
    Column("source", Text, nullable=False),  # the YAML as applied (for line/column in SARIF)
    Column("source_name", String(255), nullable=False),
    Column("templates", Text, nullable=False),  # [{"name", "source"}] the source extended
    Column("applied_by", String(200), nullable=False),
    Column("applied_at", UTCDateTime(), nullable=False),
    UniqueConstraint("name", "version"),
)


experiment_processes = Table(
    "experiment_processes",
    metadata,
    Column("experiment_id", String(32), ForeignKey("experiments.id"), primary_key=True),
    Column("process_name", String(64), nullable=False),
    Column("process_version", Integer, nullable=False),
    Column("pinned_by", String(200), nullable=False),
    Column("pinned_at", UTCDateTime(), nullable=False),
)


evidence = Table(
    "evidence",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("experiment_id", String(32), ForeignKey("experiments.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("namespace", String(32), nullable=False),
    Column("facts", Text, nullable=False),
    Column("filename", String(255), nullable=True),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("uploaded_by", String(200), nullable=False),
    Column("uploaded_at", UTCDateTime(), nullable=False),
)


gate_overrides = Table(
    "gate_overrides",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("experiment_id", String(32), ForeignKey("experiments.id"), nullable=False, index=True),
    Column("stage", String(64), nullable=False),
    Column("gate", String(64), nullable=False),
    Column("justification", Text, nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_by", String(200), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("revoke_reason", Text, nullable=True),
)


gate_decisions = Table(
    "gate_decisions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("experiment_id", String(32), ForeignKey("experiments.id"), nullable=False),
    Column("experiment_key", String(64), nullable=False),
    Column("stage", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("process_name", String(64), nullable=False),
    Column("process_version", Integer, nullable=False),
    Column("process_hash", String(80), nullable=False),
    Column("policy_revision", String(80), nullable=True),
    Column("input_hash", String(80), nullable=False),
    Column("input", Text, nullable=False),
    Column("checks", Text, nullable=False),
    Column("overrides_applied", Text, nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("ci_run_id", String(200), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_gate_decisions_experiment_stage", "experiment_id", "stage", "created_at"),
)


policy_bundles = Table(
    "policy_bundles",
    metadata,
    Column("revision", String(80), primary_key=True),
    Column("modules", Text, nullable=False),  # [{"path", "source", "package"}]
    Column("data", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)


#: Tables whose rows are never updated or deleted (triggers in migration 0003).
APPEND_ONLY = ("process_versions", "gate_decisions", "policy_bundles")


def _dump(value: Any) -> str:
    return dump_json(value, ascii_only=True)  # the gate tables' encoding, kept (see dump_json)


def _process(row: Row[Any]) -> ProcessVersionRecord:
    return ProcessVersionRecord(
        id=row.id,
        name=row.name,
        version=int(row.version),
        content_hash=row.content_hash,
        document=json.loads(row.document),
        source=row.source,
        source_name=row.source_name,
        templates=json.loads(row.templates),
        applied_by=row.applied_by,
        applied_at=row.applied_at,
    )


def _override(row: Row[Any]) -> GateOverrideRecord:
    return GateOverrideRecord(
        id=row.id,
        experiment_id=row.experiment_id,
        stage=row.stage,
        gate=row.gate,
        justification=row.justification,
        expires_at=row.expires_at,
        created_by=row.created_by,
        created_at=row.created_at,
        revoked_by=row.revoked_by,
        revoked_at=row.revoked_at,
        revoke_reason=row.revoke_reason,
        experiment_key=row.key,
    )


def _overrides_query() -> Select[Any]:
    return select(gate_overrides, experiments.c.key).join(
        experiments, experiments.c.id == gate_overrides.c.experiment_id
    )


# Statements on the gate check path, built once (bound by parameter name) rather than per call.
_GET_PROCESS_VERSION = select(process_versions).where(
    process_versions.c.name == bindparam("name"),
    process_versions.c.version == bindparam("version"),
)


_GET_PIN = select(experiment_processes).where(
    experiment_processes.c.experiment_id == bindparam("experiment_id")
)


_EVIDENCE_FOR = (
    select(evidence)
    .where(evidence.c.experiment_id == bindparam("experiment_id"))
    .order_by(evidence.c.uploaded_at, evidence.c.id)
)


_OVERRIDES_FOR = (
    _overrides_query()
    .where(gate_overrides.c.experiment_id == bindparam("experiment_id"))
    .order_by(gate_overrides.c.created_at, gate_overrides.c.id)
)


_ADD_DECISION = insert(gate_decisions)


_GET_BUNDLE = select(policy_bundles).where(policy_bundles.c.revision == bindparam("revision"))


_OWNERS = (
    select(team_members.c.user_id)
    .join(teams, teams.c.id == team_members.c.team_id)
    .where(teams.c.key == bindparam("owner_team"))
)


_STAGE_REVIEWS = (
    select(
        users.c.username,
        users.c.role,
        users.c.domains,
        users.c.id.in_(_OWNERS).label("in_owner_team"),
        approvals.c.decision,
        approvals.c.comment,
        approvals.c.created_at,
    )
    .join(users, users.c.id == approvals.c.reviewer_id)
    .where(
        approvals.c.experiment_id == bindparam("experiment_id"),
        approvals.c.stage == bindparam("stage"),
    )
    .order_by(approvals.c.created_at, approvals.c.id)
)


class SqlGates:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- processes -------------------------------------------------------------------------

    def add_process_version(self, record: ProcessVersionRecord) -> None:
        self._conn.execute(
            insert(process_versions).values(
                id=record.id,
                name=record.name,
                version=record.version,
                content_hash=record.content_hash,
                document=_dump(record.document),
                source=record.source,
                source_name=record.source_name,
                templates=_dump(record.templates),
                applied_by=record.applied_by,
                applied_at=record.applied_at,
            )
        )

    def latest_process_version(self, name: str) -> ProcessVersionRecord | None:
        row = self._conn.execute(
            select(process_versions)
            .where(process_versions.c.name == name)
            .order_by(process_versions.c.version.desc())
            .limit(1)
        ).first()
        return _process(row) if row else None

    def get_process_version(self, name: str, version: int) -> ProcessVersionRecord | None:
        row = self._conn.execute(_GET_PROCESS_VERSION, {"name": name, "version": version}).first()
        return _process(row) if row else None

    def get_pin(self, experiment_id: str) -> ProcessPinRecord | None:
        row = self._conn.execute(_GET_PIN, {"experiment_id": experiment_id}).first()
        if row is None:
            return None
        return ProcessPinRecord(
            row.experiment_id,
            row.process_name,
            int(row.process_version),
            row.pinned_by,
            row.pinned_at,
        )

    def set_pin(self, pin: ProcessPinRecord) -> None:
        values = {
            "process_name": pin.process_name,
            "process_version": pin.process_version,
            "pinned_by": pin.pinned_by,
            "pinned_at": pin.pinned_at,
        }
        done = self._conn.execute(
            update(experiment_processes)
            .where(experiment_processes.c.experiment_id == pin.experiment_id)
            .values(**values)
        )
        if done.rowcount == 0:
            self._conn.execute(
                insert(experiment_processes).values(experiment_id=pin.experiment_id, **values)
            )

    # -- evidence --------------------------------------------------------------------------

    def add_evidence(self, record: EvidenceRecord) -> None:
        self._conn.execute(
            insert(evidence).values(
                id=record.id,
                experiment_id=record.experiment_id,
                kind=record.kind,
                namespace=record.namespace,
                facts=_dump(record.facts),
                filename=record.filename,
                sha256=record.sha256,
                size=record.size,
                uploaded_by=record.uploaded_by,
                uploaded_at=record.uploaded_at,
            )
        )

    def evidence_for(self, experiment_id: str) -> list[EvidenceRecord]:
        rows = self._conn.execute(_EVIDENCE_FOR, {"experiment_id": experiment_id})
        return [
            EvidenceRecord(
                id=r.id,
                experiment_id=r.experiment_id,
                kind=r.kind,
                namespace=r.namespace,
                facts=json.loads(r.facts),
                filename=r.filename,
                sha256=r.sha256,
                size=int(r.size),
                uploaded_by=r.uploaded_by,
                uploaded_at=r.uploaded_at,
            )
            for r in rows
        ]

    # -- overrides -------------------------------------------------------------------------

    def add_override(self, record: GateOverrideRecord) -> None:
        self._conn.execute(
            insert(gate_overrides).values(
                id=record.id,
                experiment_id=record.experiment_id,
                stage=record.stage,
                gate=record.gate,
                justification=record.justification,
                expires_at=record.expires_at,
                created_by=record.created_by,
                created_at=record.created_at,
                revoked_by=record.revoked_by,
                revoked_at=record.revoked_at,
                revoke_reason=record.revoke_reason,
            )
        )

    def get_override(self, override_id: str) -> GateOverrideRecord | None:
        row = self._conn.execute(
            _overrides_query().where(gate_overrides.c.id == override_id)
        ).first()
        return _override(row) if row else None

    def overrides_for(self, experiment_id: str) -> list[GateOverrideRecord]:
        rows = self._conn.execute(_OVERRIDES_FOR, {"experiment_id": experiment_id})
        return [_override(r) for r in rows]

    def revoke_override(self, override_id: str, by: str, when: datetime, reason: str) -> bool:
        done = self._conn.execute(
            update(gate_overrides)
            .where(gate_overrides.c.id == override_id, gate_overrides.c.revoked_at.is_(None))
            .values(revoked_by=by, revoked_at=when, revoke_reason=reason)
        )
        return done.rowcount == 1

    # -- decisions and bundles -------------------------------------------------------------

    def add_decision(self, record: GateDecisionRecord) -> None:
        self._conn.execute(
            _ADD_DECISION,
            {
                "id": record.id,
                "experiment_id": record.experiment_id,
                "experiment_key": record.experiment_key,
                "stage": record.stage,
                "outcome": record.outcome,
                "process_name": record.process_name,
                "process_version": record.process_version,
                "process_hash": record.process_hash,
                "policy_revision": record.policy_revision,
                "input_hash": record.input_hash,
                "input": _dump(record.input),
                "checks": _dump(record.checks),
                "overrides_applied": _dump(record.overrides_applied),
                "requested_by": record.requested_by,
                "ci_run_id": record.ci_run_id,
                "created_at": record.created_at,
            },
        )

    def get_decision(self, decision_id: str) -> GateDecisionRecord | None:
        row = self._conn.execute(
            select(gate_decisions).where(gate_decisions.c.id == decision_id)
        ).first()
        if row is None:
            return None
        return GateDecisionRecord(
            id=row.id,
            experiment_id=row.experiment_id,
            experiment_key=row.experiment_key,
            stage=row.stage,
            outcome=Outcome(row.outcome),
            process_name=row.process_name,
            process_version=int(row.process_version),
            process_hash=row.process_hash,
            policy_revision=row.policy_revision,
            input_hash=row.input_hash,
            input=json.loads(row.input),
            checks=json.loads(row.checks),
            overrides_applied=json.loads(row.overrides_applied),
            requested_by=row.requested_by,
            ci_run_id=row.ci_run_id,
            created_at=row.created_at,
        )

    def get_bundle(self, revision: str) -> StoredPolicyBundle | None:
        row = self._conn.execute(_GET_BUNDLE, {"revision": revision}).first()
        if row is None:
            return None
        return StoredPolicyBundle(
            row.revision, json.loads(row.modules), json.loads(row.data), row.created_at
        )

    def add_bundle(self, bundle: StoredPolicyBundle) -> None:
        self._conn.execute(
            insert(policy_bundles).values(
                revision=bundle.revision,
                modules=_dump(bundle.modules),
                data=_dump(bundle.data),
                created_at=bundle.created_at,
            )
        )

    def stage_reviews(
        self, experiment_id: str, stage: str, owner_team: str
    ) -> list[StageReviewRecord]:
        rows = self._conn.execute(
            _STAGE_REVIEWS,
            {"experiment_id": experiment_id, "stage": stage, "owner_team": owner_team},
        )
        return [
            StageReviewRecord(
                reviewer=r.username,
                role=r.role,
                domains=tuple(sorted(json.loads(r.domains))),
                in_owner_team=bool(r.in_owner_team),
                decision=r.decision,
                comment=r.comment,
                at=r.created_at,
            )
            for r in rows
        ]
