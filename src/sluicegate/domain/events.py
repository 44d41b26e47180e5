"""The vocabulary of what happens: audit actions and notification event types, in one place.

Every audit event a use case records names an :class:`AuditAction`; every webhook notification
names an :class:`EventType`. Their values are what the ledger stores and what subscribers
receive, so they never change once released (docs/audit-ledger.md, docs/notifications.md).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AuditAction", "EventType"]


class AuditAction(StrEnum):
    """The ``action`` of an audit event: ``<entity>.<verb>``."""

    AUDIT_CHECKPOINT = "audit.checkpoint"
    AUDIT_KEY_REGISTER = "audit.key-register"
    BREAKER_CLOSE = "breaker.close"
    BREAKER_OPEN = "breaker.open"
    EVIDENCE_ADD = "evidence.add"
    EXPERIMENT_APPROVE = "experiment.approve"
    EXPERIMENT_CREATE = "experiment.create"
    EXPERIMENT_PROCESS_MIGRATE = "experiment.process-migrate"
    EXPERIMENT_STAGE_REVIEW = "experiment.stage-review"
    EXPERIMENT_TRANSITION = "experiment.transition"
    EXPERIMENT_UPDATE = "experiment.update"
    FLAG_CHANGE_APPROVE = "flag-change.approve"
    FLAG_CHANGE_CREATE = "flag-change.create"
    FLAG_CHANGE_REJECT = "flag-change.reject"
    FLAG_CHANGE_SUPERSEDE = "flag-change.supersede"
    FLAG_SET_CREATE = "flag-set.create"
    FLAG_SET_REVISE = "flag-set.revise"
    FLAG_SET_SETTINGS = "flag-set.settings"
    FLAG_TOKEN_ISSUE = "flag-token.issue"
    FLAG_TOKEN_REVOKE = "flag-token.revoke"
    GATE_DECISION = "gate.decision"
    INCIDENT_OPEN = "incident.open"
    JIT_APPROVE = "jit.approve"
    JIT_DENY = "jit.deny"
    JIT_EXPIRE = "jit.expire"
    JIT_REQUEST = "jit.request"
    JIT_REVOKE = "jit.revoke"
    JIT_USE = "jit.use"
    OVERRIDE_CREATE = "override.create"
    OVERRIDE_REVOKE = "override.revoke"
    PROCESS_APPLY = "process.apply"
    RISK_MATRIX_REPLACE = "risk-matrix.replace"
    ROLLOUT_ABORT = "rollout.abort"
    ROLLOUT_ANALYSIS_FAIL = "rollout.analysis-fail"
    ROLLOUT_ANALYSIS_PASS = "rollout.analysis-pass"
    ROLLOUT_CREATE = "rollout.create"
    ROLLOUT_HOLD = "rollout.hold"
    ROLLOUT_PAUSE = "rollout.pause"
    ROLLOUT_PROMOTE = "rollout.promote"
    ROLLOUT_RESUME = "rollout.resume"
    ROLLOUT_ROLLBACK = "rollout.rollback"
    ROLLOUT_START = "rollout.start"
    ROLLOUT_STEP_APPLY = "rollout.step-apply"
    ROLLOUT_SUCCEED = "rollout.succeed"
    SETTINGS_UPDATE = "settings.update"
    TEAM_CREATE = "team.create"
    TOKEN_ISSUE = "token.issue"
    TOKEN_REVOKE = "token.revoke"
    USER_CREATE = "user.create"
    WEBHOOK_CREATE = "webhook.create"
    WEBHOOK_DELETE = "webhook.delete"
    WEBHOOK_DELIVERY_RETRY = "webhook.delivery-retry"
    WEBHOOK_UPDATE = "webhook.update"


class EventType(StrEnum):
    """The type of a webhook notification (``X-Sluicegate-Event``)."""

    APPROVAL_REQUESTED = "approval.requested"
    EXPERIMENT_TRANSITIONED = "experiment.transitioned"
    GATE_DECISION = "gate.decision"
    OVERRIDE_CREATED = "override.created"
    OVERRIDE_REVOKED = "override.revoked"
    JIT_REQUESTED = "jit.requested"
    JIT_GRANTED = "jit.granted"
    JIT_DENIED = "jit.denied"
    JIT_REVOKED = "jit.revoked"
    JIT_EXPIRED = "jit.expired"
    ROLLOUT_WEIGHTS = "rollout.weights"
    ROLLOUT_ROLLED_BACK = "rollout.rolled-back"
    INCIDENT_OPENED = "incident.opened"
