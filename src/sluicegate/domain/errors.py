"""Domain errors.

Every error carries a stable kebab-case ``code``, a human ``message`` and a ``hint`` saying what to
do next; it knows nothing of HTTP or exit codes. One table in ``sluicegate.api.problems`` maps the
classes to HTTP statuses, one in ``sluicegate.cli.exits`` maps them to exit codes.

Exception tree::

    SluicegateError
    ├── InvalidInput          (invalid-input, and subclasses with their own codes)
    │   ├── MalformedDocument     (malformed-document: not parseable YAML/JSON)
    │   ├── MissingRollbackPlan   (missing-rollback-plan)
    │   ├── MissingRiskAssessment (missing-risk-assessment)
    │   └── InvalidRiskMatrix     (invalid-risk-matrix)
    ├── NotFound              (not-found)
    ├── Conflict              (conflict: optimistic-concurrency or uniqueness)
    ├── InvalidTransition     (invalid-transition)
    ├── ApprovalRequired      (approvals-missing)
    ├── SelfApproval          (self-approval)
    ├── Unauthenticated       (unauthenticated)
    └── Forbidden             (forbidden)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
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
    "Unauthenticated",
]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field; ``field`` is a dotted path such as ``risk.user_impact``."""

    field: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


class SluicegateError(Exception):
    """Base of every error the domain and the use cases raise on purpose."""

    code = "error"
    default_hint = ""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        errors: Sequence[FieldError] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        self.errors = tuple(errors)

    def __str__(self) -> str:
        return self.message


class InvalidInput(SluicegateError):
    code = "invalid-input"
    default_hint = "Fix the named fields and send the request again."


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
    code = "conflict"
    default_hint = "Fetch the current version and retry your change on top of it."


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
