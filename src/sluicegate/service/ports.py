"""Ports: the seams the use cases need, implemented by adapters (and by fakes in unit tests)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from sluicegate.domain.audit import AuditEvent, Checkpoint
from sluicegate.domain.identity import ReviewerDomain, Role
from sluicegate.domain.rollouts.breaker import Breaker
from sluicegate.service.metrics_port import MetricSampleRepository

__all__ = [
    "ApprovalRecord",
    "ApprovalRepository",
    "AuditFilter",
    "AuditRepository",
    "ClaimedDelivery",
    "Clock",
    "EvidenceRecord",
    "ExperimentRecord",
    "ExperimentRepository",
    "FlagChangeRequestRecord",
    "FlagHead",
    "FlagRepository",
    "FlagRevisionRecord",
    "FlagSetRecord",
    "FlagTokenRecord",
    "GateDecisionRecord",
    "GateOverrideRecord",
    "GateRepository",
    "IdFactory",
    "IncidentRecord",
    "JitRecord",
    "JitRepository",
    "ProcessPinRecord",
    "ProcessVersionRecord",
    "RolloutRecord",
    "RolloutRepository",
    "RolloutStepRecord",
    "SettingsRepository",
    "Signer",
    "StageReviewRecord",
    "StoredPolicyBundle",
    "TeamRecord",
    "TeamRepository",
    "TokenRecord",
    "TokenRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UserRecord",
    "UserRepository",
    "WebhookDeliveryRecord",
    "WebhookRepository",
    "WebhookSubscriptionRecord",
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


@dataclass(frozen=True, slots=True)
class TeamRecord:
    id: str
    key: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    username: str
    display_name: str
    role: Role
    domains: frozenset[ReviewerDomain]
    teams: frozenset[str]
    created_at: datetime
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class TokenRecord:
    id: str
    user_id: str
    name: str
    prefix: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class ExperimentRecord:
    id: str
    key: str
    title: str
    owner_team: str
    state: str
    risk_level: str
    priority_score: float
    proposer_id: str
    document: dict[str, Any]
    assessment: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    id: str
    experiment_id: str
    reviewer_id: str
    reviewer: str
    domain: ReviewerDomain
    decision: str
    comment: str
    created_at: datetime
    stage: str | None = None  # None: the intake sign-off; else the stage it approves entry to


@dataclass(frozen=True, slots=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    since: str | None = None
    until: str | None = None
    after_seq: int = 0
    limit: int = 100
    extra: dict[str, str] = field(default_factory=dict)


class TeamRepository(Protocol):
    def add(self, team: TeamRecord) -> None: ...
    def get_by_key(self, key: str) -> TeamRecord | None: ...
    def list_all(self) -> list[TeamRecord]: ...
    def add_member(self, team_id: str, user_id: str) -> None: ...


class UserRepository(Protocol):
    def add(self, user: UserRecord) -> None: ...
    def get(self, user_id: str) -> UserRecord | None: ...
    def username_of(self, user_id: str) -> str | None: ...
    def get_by_username(self, username: str) -> UserRecord | None: ...
    def list_all(self) -> list[UserRecord]: ...
    def count(self) -> int: ...


class TokenRepository(Protocol):
    def add(self, token: TokenRecord, token_hash: str) -> None: ...
    def get(self, token_id: str) -> TokenRecord | None: ...
    def find_by_hash(self, token_hash: str) -> TokenRecord | None: ...
    def list_for_user(self, user_id: str) -> list[TokenRecord]: ...
    def revoke(self, token_id: str, when: datetime) -> None: ...


class ExperimentRepository(Protocol):
    def add(self, exp: ExperimentRecord) -> None: ...
    def get_by_key(self, key: str) -> ExperimentRecord | None: ...
    def query(
        self, state: str | None = None, team: str | None = None
    ) -> list[ExperimentRecord]: ...
    def update(self, exp: ExperimentRecord, expected_version: int) -> bool:
        """Write ``exp`` if the stored version is ``expected_version``; False on a conflict."""
        ...

    def due_for_expiry(self, now: datetime, states: Sequence[str]) -> list[ExperimentRecord]: ...


class ApprovalRepository(Protocol):
    def add(self, approval: ApprovalRecord) -> None: ...
    def for_experiment(self, experiment_id: str) -> list[ApprovalRecord]: ...


class SettingsRepository(Protocol):
    def get(self, key: str) -> Any | None: ...
    def get_many(self, keys: Sequence[str]) -> dict[str, Any]: ...  # the keys that are set
    def put(self, key: str, value: Any, when: datetime) -> None: ...


class AuditRepository(Protocol):
    def append(
        self,
        *,
        ts: str,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: str,
        before: object,
        after: object,
        reason: str | None,
        request_id: str | None,
    ) -> AuditEvent: ...

    def checkpoint(self, ts: str) -> Checkpoint | None: ...
    def page(self, flt: AuditFilter) -> list[AuditEvent]: ...
    def iter_rows(self, batch: int = 10_000) -> Iterator[tuple[Any, ...]]: ...
    def checkpoints(self) -> list[Checkpoint]: ...
    def register_key(self, key_id: str, public_pem: str, when: datetime) -> bool: ...
    def public_keys(self) -> list[str]: ...
    def max_seq(self) -> int: ...
    def count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class FlagSetRecord:
    """A flag set in one environment, with its head (current) revision."""

    id: str
    name: str
    environment: str
    owner_team: str
    experiment_key: str | None
    policy: dict[str, Any]
    head_seq: int
    revision: str
    document: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FlagHead:
    """The light view of a flag set that evaluation needs on every request."""

    id: str
    name: str
    environment: str
    head_seq: int
    revision: str


@dataclass(frozen=True, slots=True)
class FlagRevisionRecord:
    id: str
    flag_set_id: str
    seq: int
    revision: str
    document: dict[str, Any]
    diff: dict[str, Any]
    actor: str
    reason: str | None
    source: str
    rollback_of: int | None
    change_request_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FlagChangeRequestRecord:
    id: str
    flag_set_id: str
    state: str
    base_seq: int
    document: dict[str, Any]
    diff: dict[str, Any]
    author_id: str
    author: str
    reason: str | None
    rollback_of: int | None
    reviewer: str | None
    review_comment: str | None
    apply_at: datetime | None
    applied_seq: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FlagTokenRecord:
    id: str
    flag_set_id: str
    name: str
    prefix: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class FlagRepository(Protocol):
    def add_set(self, flag_set: FlagSetRecord) -> None: ...
    def get_set(self, name: str, environment: str) -> FlagSetRecord | None: ...
    def get_set_by_id(self, flag_set_id: str) -> FlagSetRecord | None: ...
    def list_sets(
        self, name: str | None = None, team: str | None = None
    ) -> list[FlagSetRecord]: ...
    def environments(self, name: str) -> list[str]: ...
    def head(self, name: str, environment: str) -> FlagHead | None: ...
    def move_head(self, flag_set: FlagSetRecord, expected_seq: int) -> bool:
        """Write the head fields of ``flag_set`` if the stored head is ``expected_seq``."""
        ...

    def update_settings(self, flag_set: FlagSetRecord) -> None: ...
    def add_revision(self, revision: FlagRevisionRecord) -> None: ...
    def get_revision(self, flag_set_id: str, seq: int) -> FlagRevisionRecord | None: ...
    def revisions(self, flag_set_id: str, limit: int = 100) -> list[FlagRevisionRecord]: ...
    def add_change_request(self, request: FlagChangeRequestRecord) -> None: ...
    def get_change_request(self, request_id: str) -> FlagChangeRequestRecord | None: ...
    def change_requests(
        self, flag_set_id: str, state: str | None = None
    ) -> list[FlagChangeRequestRecord]: ...
    def update_change_request(
        self, request: FlagChangeRequestRecord, expected_state: str
    ) -> bool: ...
    def due_change_requests(self, now: datetime) -> list[FlagChangeRequestRecord]: ...
    def add_token(self, token: FlagTokenRecord, token_hash: str) -> None: ...
    def find_token(self, token_hash: str) -> tuple[FlagTokenRecord, FlagHead] | None:
        """A scoped token and the head of its flag set, in one query (hot path of OFREP)."""
        ...

    def get_token(self, token_id: str) -> FlagTokenRecord | None: ...
    def tokens(self, flag_set_id: str) -> list[FlagTokenRecord]: ...
    def revoke_token(self, token_id: str, when: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class WebhookSubscriptionRecord:
    """A webhook subscription; its signing secret is kept apart and never leaves the store."""

    id: str
    name: str
    url: str
    events: tuple[str, ...]
    format: str
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class WebhookDeliveryRecord:
    """One queued delivery of one event to one subscription (the outbox row)."""

    id: str
    subscription_id: str
    event_id: str
    event_type: str
    envelope: dict[str, Any]
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery claimed by one dispatcher, with what it needs to send it."""

    delivery: WebhookDeliveryRecord
    url: str
    format: str
    secret: str


class WebhookRepository(Protocol):
    def add_subscription(self, sub: WebhookSubscriptionRecord, secret: str) -> None: ...
    def get_subscription(self, sub_id: str) -> WebhookSubscriptionRecord | None: ...
    def list_subscriptions(self) -> list[WebhookSubscriptionRecord]: ...
    def update_subscription(self, sub: WebhookSubscriptionRecord) -> None: ...
    def delete_subscription(self, sub_id: str) -> int:
        """Delete the subscription and its deliveries; the number of deliveries deleted."""
        ...

    def active_subscriptions(self) -> list[WebhookSubscriptionRecord]: ...
    def add_delivery(self, delivery: WebhookDeliveryRecord) -> None: ...
    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[ClaimedDelivery]:
        """Mark up to ``limit`` due deliveries as being sent until ``lease_until``."""
        ...

    def finish(
        self,
        delivery_id: str,
        *,
        state: str,
        attempts: int,
        next_attempt_at: datetime | None,
        last_status: int | None,
        last_error: str | None,
        now: datetime,
    ) -> None: ...
    def get_delivery(self, delivery_id: str) -> WebhookDeliveryRecord | None: ...
    def deliveries(
        self, state: str | None = None, subscription_id: str | None = None, limit: int = 100
    ) -> list[WebhookDeliveryRecord]: ...
    def requeue(self, delivery_id: str, now: datetime) -> bool:
        """Move a dead delivery back to pending with a fresh attempt budget; False if not dead."""
        ...


@dataclass(frozen=True, slots=True)
class JitRecord:
    """A just-in-time access request and, once approved, its grant (same id)."""

    id: str
    requester_id: str
    requester: str
    experiment_key: str
    stage: str
    role: Role
    duration_seconds: int
    reason: str
    state: str
    created_at: datetime
    decided_by: str | None = None
    decision_comment: str | None = None
    decided_at: datetime | None = None
    expires_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None


class JitRepository(Protocol):
    def add(self, req: JitRecord) -> None: ...
    def get(self, req_id: str) -> JitRecord | None: ...
    def query(
        self,
        requester_id: str | None = None,
        experiment_key: str | None = None,
        state: str | None = None,
    ) -> list[JitRecord]: ...
    def update(self, req: JitRecord, expected_state: str) -> bool:
        """Write ``req`` if the stored state is ``expected_state``; False on a conflict."""
        ...


@dataclass(frozen=True, slots=True)
class ProcessVersionRecord:
    """One immutable version of a process: the resolved document and the YAML it came from."""

    id: str
    name: str
    version: int
    content_hash: str
    document: dict[str, Any]
    source: str
    source_name: str
    templates: list[dict[str, str]]
    applied_by: str
    applied_at: datetime


@dataclass(frozen=True, slots=True)
class ProcessPinRecord:
    """The process version an experiment follows (pinned at its first gate check)."""

    experiment_id: str
    process_name: str
    process_version: int
    pinned_by: str
    pinned_at: datetime


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """Parsed facts of one uploaded artifact (the artifact itself is not stored)."""

    id: str
    experiment_id: str
    kind: str
    namespace: str
    facts: dict[str, Any]
    filename: str | None
    sha256: str
    size: int
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class GateOverrideRecord:
    id: str
    experiment_id: str
    stage: str
    gate: str
    justification: str
    expires_at: datetime
    created_by: str
    created_at: datetime
    revoked_by: str | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = None
    experiment_key: str = ""  # filled in on reads


@dataclass(frozen=True, slots=True)
class GateDecisionRecord:
    id: str
    experiment_id: str
    experiment_key: str
    stage: str
    outcome: str
    process_name: str
    process_version: int
    process_hash: str
    policy_revision: str | None
    input_hash: str
    input: dict[str, Any]
    checks: list[dict[str, Any]]
    overrides_applied: list[dict[str, Any]]
    requested_by: str
    ci_run_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredPolicyBundle:
    """A policy bundle kept by revision so that decisions can be replayed after it changed."""

    revision: str
    modules: list[dict[str, str]]
    data: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StageReviewRecord:
    """A stage review with what the approval checks need to know of its reviewer."""

    reviewer: str
    role: str
    domains: tuple[str, ...]
    in_owner_team: bool
    decision: str
    comment: str
    at: datetime


class GateRepository(Protocol):
    def add_process_version(self, record: ProcessVersionRecord) -> None: ...
    def latest_process_version(self, name: str) -> ProcessVersionRecord | None: ...
    def get_process_version(self, name: str, version: int) -> ProcessVersionRecord | None: ...
    def get_pin(self, experiment_id: str) -> ProcessPinRecord | None: ...
    def set_pin(self, pin: ProcessPinRecord) -> None: ...
    def add_evidence(self, record: EvidenceRecord) -> None: ...
    def evidence_for(self, experiment_id: str) -> list[EvidenceRecord]: ...
    def add_override(self, record: GateOverrideRecord) -> None: ...
    def get_override(self, override_id: str) -> GateOverrideRecord | None: ...
    def overrides_for(self, experiment_id: str) -> list[GateOverrideRecord]: ...
    def revoke_override(self, override_id: str, by: str, when: datetime, reason: str) -> bool: ...
    def add_decision(self, record: GateDecisionRecord) -> None: ...
    def get_decision(self, decision_id: str) -> GateDecisionRecord | None: ...
    def get_bundle(self, revision: str) -> StoredPolicyBundle | None: ...
    def add_bundle(self, bundle: StoredPolicyBundle) -> None: ...
    def stage_reviews(
        self, experiment_id: str, stage: str, owner_team: str
    ) -> list[StageReviewRecord]: ...


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

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, readonly: bool = False) -> UnitOfWork: ...


# -- progressive delivery (docs/rollouts.md) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class RolloutRecord:
    """A rollout and its crash-safe position: the step being worked on and that step's state."""

    id: str
    experiment_key: str
    name: str
    status: str
    target_kind: str
    target_ref: str
    plan: dict[str, Any]
    current_step: int
    step_state: dict[str, Any]
    weight: int
    rings: list[str]
    baseline: dict[str, Any]
    tick: int
    hold_reason: str | None
    outcome: dict[str, Any] | None
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RolloutStepRecord:
    """One entry of the applied-step history: an intent (``applying``) and then its outcome."""

    rollout_id: str
    seq: int
    step_index: int
    action: str
    status: str
    desired: dict[str, Any]
    detail: dict[str, Any]
    actor: str
    started_at: datetime
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    id: str
    rollout_id: str
    experiment_key: str
    services: list[str]
    title: str
    status: str
    evidence: dict[str, Any]
    opened_at: datetime
    resolved_at: datetime | None = None


class RolloutRepository(Protocol):
    def add(self, rollout: RolloutRecord) -> None: ...
    def get(self, rollout_id: str) -> RolloutRecord | None: ...
    def query(
        self, status: str | None = None, experiment_key: str | None = None
    ) -> list[RolloutRecord]: ...
    def due(self, statuses: Sequence[str]) -> list[str]:
        """Ids of the rollouts in ``statuses``, oldest first (the controller's work list)."""
        ...

    def update(self, rollout: RolloutRecord, expected_version: int) -> bool:
        """Write ``rollout`` if the stored version is ``expected_version``; False on a conflict."""
        ...

    def step(self, rollout_id: str, step_index: int, action: str) -> RolloutStepRecord | None: ...
    def add_step(self, step: RolloutStepRecord) -> None: ...
    def finish_step(
        self, rollout_id: str, seq: int, status: str, detail: dict[str, Any], when: datetime
    ) -> None: ...
    def steps(self, rollout_id: str) -> list[RolloutStepRecord]: ...
    def get_breaker(self, key: str) -> Breaker | None: ...
    def put_breaker(self, breaker: Breaker, when: datetime) -> None: ...
    def breakers(self) -> list[Breaker]: ...
    def add_incident(self, incident: IncidentRecord) -> None: ...
    def incidents(
        self, rollout_id: str | None = None, experiment_key: str | None = None
    ) -> list[IncidentRecord]: ...
    def acquire_lease(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        """Take or renew the lease: one UPDATE ... WHERE expires_at < now OR holder = me."""
        ...

    def release_lease(self, name: str, holder: str) -> None: ...
    def lease(self, name: str) -> tuple[str, datetime] | None: ...
