"""The vocabulary of what happens: audit actions and notification event types, in one place.

Every audit event a use case records names an :class:`AuditAction`; every webhook notification
names an :class:`EventType`. Their values are what the ledger stores and what subscribers
receive, so they never change once released (docs/audit-ledger.md, docs/notifications.md).

Every audited state change can be subscribed to: :data:`NOTIFIED_AS` gives each action the event
type it is notified as, and :data:`NOT_NOTIFIED` says why the few others are not. Most actions
are notified by ``service/auditing.record`` itself, with the audit event as the payload; the
actions in :data:`NOTIFIED_BY_USE_CASE` have a use case that sends its own, richer event.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

__all__ = [
    "NOTIFIED_AS",
    "NOTIFIED_BY_RECORD",
    "NOTIFIED_BY_USE_CASE",
    "NOT_NOTIFIED",
    "AuditAction",
    "EventType",
]


class AuditAction(StrEnum):
    """The ``action`` of an audit event: ``<entity>.<verb>``."""

    AUDIT_CHECKPOINT = "audit.checkpoint"
    AUDIT_KEY_REGISTER = "audit.key-register"
    BREAKER_CLOSE = "breaker.close"
    BREAKER_OPEN = "breaker.open"
    CHANGE_RECORD = "change.record"
    DELIVERY_INCIDENT_RECORD = "delivery-incident.record"
    DEPLOYMENT_RECORD = "deployment.record"
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
    SLO_APPLY = "slo.apply"
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
    # Notified by ``record`` with the audit event as the payload (NOTIFIED_AS).
    AUDIT_KEY_REGISTERED = "audit.key-registered"
    BREAKER_CLOSED = "breaker.closed"
    BREAKER_OPENED = "breaker.opened"
    CHANGE_RECORDED = "change.recorded"
    DELIVERY_INCIDENT_RECORDED = "delivery-incident.recorded"
    DEPLOYMENT_RECORDED = "deployment.recorded"
    EVIDENCE_ADDED = "evidence.added"
    EXPERIMENT_CREATED = "experiment.created"
    EXPERIMENT_PROCESS_MIGRATED = "experiment.process-migrated"
    EXPERIMENT_SIGNED_OFF = "experiment.signed-off"
    EXPERIMENT_STAGE_REVIEWED = "experiment.stage-reviewed"
    EXPERIMENT_UPDATED = "experiment.updated"
    FLAG_CHANGE_APPROVED = "flag-change.approved"
    FLAG_CHANGE_REJECTED = "flag-change.rejected"
    FLAG_CHANGE_REQUESTED = "flag-change.requested"
    FLAG_CHANGE_SUPERSEDED = "flag-change.superseded"
    FLAG_SET_CREATED = "flag-set.created"
    FLAG_SET_REVISED = "flag-set.revised"
    FLAG_SET_SETTINGS_CHANGED = "flag-set.settings-changed"
    FLAG_TOKEN_ISSUED = "flag-token.issued"
    FLAG_TOKEN_REVOKED = "flag-token.revoked"
    JIT_USED = "jit.used"
    PROCESS_APPLIED = "process.applied"
    RISK_MATRIX_REPLACED = "risk-matrix.replaced"
    ROLLOUT_ABORTED = "rollout.aborted"
    ROLLOUT_ANALYSIS_FAILED = "rollout.analysis-failed"
    ROLLOUT_ANALYSIS_PASSED = "rollout.analysis-passed"
    ROLLOUT_CREATED = "rollout.created"
    ROLLOUT_HELD = "rollout.held"
    ROLLOUT_PAUSED = "rollout.paused"
    ROLLOUT_PROMOTED = "rollout.promoted"
    ROLLOUT_RESUMED = "rollout.resumed"
    ROLLOUT_STARTED = "rollout.started"
    ROLLOUT_STEP_APPLIED = "rollout.step-applied"
    ROLLOUT_SUCCEEDED = "rollout.succeeded"
    SETTINGS_UPDATED = "settings.updated"
    SLO_APPLIED = "slo.applied"
    TEAM_CREATED = "team.created"
    TOKEN_ISSUED = "token.issued"
    TOKEN_REVOKED = "token.revoked"
    USER_CREATED = "user.created"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_DELETED = "webhook.deleted"
    WEBHOOK_DELIVERY_RETRIED = "webhook.delivery-retried"
    WEBHOOK_UPDATED = "webhook.updated"


_A, _E = AuditAction, EventType

#: Actions whose use case enqueues its own event, with its own payload, in the same transaction.
NOTIFIED_BY_USE_CASE: Mapping[AuditAction, EventType] = {
    _A.EXPERIMENT_TRANSITION: _E.EXPERIMENT_TRANSITIONED,
    _A.GATE_DECISION: _E.GATE_DECISION,
    _A.OVERRIDE_CREATE: _E.OVERRIDE_CREATED,
    _A.OVERRIDE_REVOKE: _E.OVERRIDE_REVOKED,
    _A.JIT_REQUEST: _E.JIT_REQUESTED,
    _A.JIT_APPROVE: _E.JIT_GRANTED,
    _A.JIT_DENY: _E.JIT_DENIED,
    _A.JIT_REVOKE: _E.JIT_REVOKED,
    _A.JIT_EXPIRE: _E.JIT_EXPIRED,
    _A.ROLLOUT_ROLLBACK: _E.ROLLOUT_ROLLED_BACK,
    _A.INCIDENT_OPEN: _E.INCIDENT_OPENED,
}

#: Actions ``record`` notifies itself: the event's data is the audit event (action, entity,
#: actor, reason, before, after, audit_seq, request_id).
NOTIFIED_BY_RECORD: Mapping[AuditAction, EventType] = {
    _A.AUDIT_KEY_REGISTER: _E.AUDIT_KEY_REGISTERED,
    _A.BREAKER_CLOSE: _E.BREAKER_CLOSED,
    _A.BREAKER_OPEN: _E.BREAKER_OPENED,
    _A.CHANGE_RECORD: _E.CHANGE_RECORDED,
    _A.DELIVERY_INCIDENT_RECORD: _E.DELIVERY_INCIDENT_RECORDED,
    _A.DEPLOYMENT_RECORD: _E.DEPLOYMENT_RECORDED,
    _A.EVIDENCE_ADD: _E.EVIDENCE_ADDED,
    _A.EXPERIMENT_APPROVE: _E.EXPERIMENT_SIGNED_OFF,
    _A.EXPERIMENT_CREATE: _E.EXPERIMENT_CREATED,
    _A.EXPERIMENT_PROCESS_MIGRATE: _E.EXPERIMENT_PROCESS_MIGRATED,
    _A.EXPERIMENT_STAGE_REVIEW: _E.EXPERIMENT_STAGE_REVIEWED,
    _A.EXPERIMENT_UPDATE: _E.EXPERIMENT_UPDATED,
    _A.FLAG_CHANGE_APPROVE: _E.FLAG_CHANGE_APPROVED,
    _A.FLAG_CHANGE_CREATE: _E.FLAG_CHANGE_REQUESTED,
    _A.FLAG_CHANGE_REJECT: _E.FLAG_CHANGE_REJECTED,
    _A.FLAG_CHANGE_SUPERSEDE: _E.FLAG_CHANGE_SUPERSEDED,
    _A.FLAG_SET_CREATE: _E.FLAG_SET_CREATED,
    _A.FLAG_SET_REVISE: _E.FLAG_SET_REVISED,
    _A.FLAG_SET_SETTINGS: _E.FLAG_SET_SETTINGS_CHANGED,
    _A.FLAG_TOKEN_ISSUE: _E.FLAG_TOKEN_ISSUED,
    _A.FLAG_TOKEN_REVOKE: _E.FLAG_TOKEN_REVOKED,
    _A.JIT_USE: _E.JIT_USED,
    _A.PROCESS_APPLY: _E.PROCESS_APPLIED,
    _A.RISK_MATRIX_REPLACE: _E.RISK_MATRIX_REPLACED,
    _A.ROLLOUT_ABORT: _E.ROLLOUT_ABORTED,
    _A.ROLLOUT_ANALYSIS_FAIL: _E.ROLLOUT_ANALYSIS_FAILED,
    _A.ROLLOUT_ANALYSIS_PASS: _E.ROLLOUT_ANALYSIS_PASSED,
    _A.ROLLOUT_CREATE: _E.ROLLOUT_CREATED,
    _A.ROLLOUT_HOLD: _E.ROLLOUT_HELD,
    _A.ROLLOUT_PAUSE: _E.ROLLOUT_PAUSED,
    _A.ROLLOUT_PROMOTE: _E.ROLLOUT_PROMOTED,
    _A.ROLLOUT_RESUME: _E.ROLLOUT_RESUMED,
    _A.ROLLOUT_START: _E.ROLLOUT_STARTED,
    _A.ROLLOUT_STEP_APPLY: _E.ROLLOUT_STEP_APPLIED,
    _A.ROLLOUT_SUCCEED: _E.ROLLOUT_SUCCEEDED,
    _A.SETTINGS_UPDATE: _E.SETTINGS_UPDATED,
    _A.SLO_APPLY: _E.SLO_APPLIED,
    _A.TEAM_CREATE: _E.TEAM_CREATED,
    _A.TOKEN_ISSUE: _E.TOKEN_ISSUED,
    _A.TOKEN_REVOKE: _E.TOKEN_REVOKED,
    _A.USER_CREATE: _E.USER_CREATED,
    _A.WEBHOOK_CREATE: _E.WEBHOOK_CREATED,
    _A.WEBHOOK_DELETE: _E.WEBHOOK_DELETED,
    _A.WEBHOOK_DELIVERY_RETRY: _E.WEBHOOK_DELIVERY_RETRIED,
    _A.WEBHOOK_UPDATE: _E.WEBHOOK_UPDATED,
}

#: Every audited state change's event type (docs/notifications.md lists them).
NOTIFIED_AS: Mapping[AuditAction, EventType] = {**NOTIFIED_BY_USE_CASE, **NOTIFIED_BY_RECORD}

#: Audited actions that are not notified, and why.
NOT_NOTIFIED: Mapping[AuditAction, str] = {
    _A.AUDIT_CHECKPOINT: (
        "a checkpoint is the ledger's own bookkeeping: it signs the events before it and changes "
        "nothing a subscriber manages (every event it covers was notified when it happened)"
    ),
}
