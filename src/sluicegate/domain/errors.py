"""Domain errors.

Every error carries a stable kebab-case ``code``, a human ``message`` and a ``hint`` saying what to
do next; it knows nothing of HTTP or exit codes. One table in ``sluicegate.api.problems`` maps the
classes to HTTP statuses, one in ``sluicegate.cli.exits`` maps them to exit codes.

The root (:class:`SluicegateError`), :class:`FieldError` and :class:`InvalidInput` live in
``sluicegate.errors`` so that the light core can join the tree; they are re-exported here. The
whole tree is drawn in the docstring of ``sluicegate.errors``. This module's part::

    SluicegateError
    ├── InvalidInput          (invalid-input, and subclasses with their own codes)
    │   ├── MalformedDocument     (malformed-document: not parseable YAML/JSON)
    │   ├── MissingRollbackPlan   (missing-rollback-plan)
    │   ├── MissingRiskAssessment (missing-risk-assessment)
    │   └── InvalidRiskMatrix     (invalid-risk-matrix)
    ├── NotFound              (not-found)
    ├── Conflict              (conflict: optimistic concurrency, a stale version)
    │   ├── AlreadyExists         (already-exists: a uniqueness rule, e.g. a duplicate key)
    │   ├── StateConflict         (state-conflict: its state refuses it, e.g. already revoked)
    │   └── StageNotReached       (stage-not-reached: the change needs a later lifecycle stage)
    ├── InvalidTransition     (invalid-transition)
    ├── ApprovalRequired      (approvals-missing)
    ├── SelfApproval          (self-approval)
    ├── Unauthenticated       (unauthenticated)
    ├── Forbidden             (forbidden)
    └── Unavailable           (unavailable: a policy bundle or metric store failed)
"""

from __future__ import annotations

from collections.abc import Sequence

from sluicegate.errors import FieldError, InvalidInput, SluicegateError

__all__ = [
    "AlreadyExists",
    "ApprovalRequired",
    "Conflict",
    "FieldError",
    "Forbidden",
    "InvalidInput",
    "InvalidRiskMatrix",
    "InvalidTransition",
    "MalformedDocument",
    "MissingRiskAssessment",
    "MissingRollbackPlan",
    "NotFound",
    "SelfApproval",
    "SluicegateError",
    "StageNotReached",
    "StateConflict",
    "Unauthenticated",
    "Unavailable",
]


class MalformedDocument(InvalidInput):
    code = "malformed-document"
    default_hint = "Send well-formed YAML or JSON (check indentation and quoting)."


class MissingRollbackPlan(InvalidInput):
    code = "missing-rollback-plan"
    default_hint = (
        "Add rollback_plan with steps, automated (true/false) and expected_minutes; "
        "intake refuses experiments that cannot be undone."
    )


class MissingRiskAssessment(InvalidInput):
    code = "missing-risk-assessment"
    default_hint = (
        "Add risk with data_classification, user_impact and system_criticality; "
        "the risk level decides sign-offs and evidence."
    )


class InvalidRiskMatrix(InvalidInput):
    code = "invalid-risk-matrix"
    default_hint = "See docs/risk-matrix.md for the matrix format."


class NotFound(SluicegateError):
    code = "not-found"


class Conflict(SluicegateError):
    """The change was made against a version that is no longer current (optimistic concurrency).

    Its two subclasses are conflicts that retrying on a fresh version does not cure, so they
    carry their own codes and hints (ADR 0016).
    """

    code = "conflict"
    default_hint = "Fetch the current version and retry your change on top of it."


class AlreadyExists(Conflict):
    """A uniqueness rule refused it: the key or name is taken, or it was already recorded once."""

    code = "already-exists"
    default_hint = "Choose another key or name, or work with the existing one."


class StateConflict(Conflict):
    """The thing's current state does not allow the action (already revoked, final, not pending)."""

    code = "state-conflict"
    default_hint = "Show it to see its current state; this action does not apply to that state."


class StageNotReached(Conflict):
    """The experiment has not reached the stage that the change needs (a rollout's target)."""

    code = "stage-not-reached"
    default_hint = "Move the experiment through its stages first (`sluice experiment show KEY`)."


class InvalidTransition(SluicegateError):
    code = "invalid-transition"

    def __init__(self, message: str, *, allowed: Sequence[str], hint: str | None = None) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none (the state is final)"
        super().__init__(message, hint=hint or f"Allowed transitions: {allowed_text}.")
        self.allowed = tuple(allowed)


class ApprovalRequired(SluicegateError):
    code = "approvals-missing"

    def __init__(self, message: str, *, missing: Sequence[str], hint: str | None = None) -> None:
        super().__init__(
            message,
            hint=hint
            or "Ask reviewers holding the missing domains to run "
            "`sluice experiment approve KEY --domain DOMAIN`.",
        )
        self.missing = tuple(missing)


class SelfApproval(SluicegateError):
    code = "self-approval"
    default_hint = "Separation of duties: a reviewer other than the proposer must approve."


class Unauthenticated(SluicegateError):
    code = "unauthenticated"
    default_hint = "Send 'Authorization: Bearer <token>'; `sluice token create` issues one."


class Forbidden(SluicegateError):
    code = "forbidden"
    default_hint = "Ask an admin for a token with a role that allows this action."


class Unavailable(SluicegateError):
    """Something the use case depends on (the policy bundle, the metric store) failed."""

    code = "unavailable"
    default_hint = "Retry later; if it persists, check the server's policy and metric settings."
