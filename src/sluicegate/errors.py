"""The root of Sluicegate's one error tree, shared by the light core and the server.

Every error raised on purpose is a :class:`SluicegateError` with a stable kebab-case ``code``, a
human ``message`` and a ``hint`` saying what to do next; it knows nothing of HTTP or exit codes.
``sluicegate.api.problems.STATUS`` maps classes to HTTP statuses and ``sluicegate.cli.exits.EXIT``
maps them to exit codes; both look a class up along its MRO, so a subclass inherits its parent's.

This module belongs to no layer and imports nothing, so that ``sluicegate.flags`` (which may not
import ``sluicegate.domain``) and ``sluicegate.stats`` can join the tree. It holds the root and
:class:`InvalidInput`, the one category the light core needs; the other categories live in
``sluicegate.domain.errors`` (ADR 0010). The whole tree::

    SluicegateError                    (error)
    ├── InvalidInput                   (invalid-input)            422, exit 2
    │   ├── MalformedDocument          (malformed-document)       400
    │   │   └── UnsupportedMediaType   (unsupported-media-type)   415  api.documents
    │   ├── MissingRollbackPlan, MissingRiskAssessment, InvalidRiskMatrix
    │   ├── ProcessDefinitionError     (invalid-process)          domain.gates.errors
    │   ├── InvalidOverride            (invalid-override)         domain.gates.errors
    │   ├── InvalidEvidence            (invalid-evidence)         service.evidence
    │   ├── EvidenceError              (unparseable-evidence)     domain.evidence.errors
    │   ├── ThresholdSpecError         (invalid-threshold)        domain.evidence.thresholds
    │   ├── ScheduleConfigError        (invalid-schedule)         domain.schedule
    │   ├── FlagDefinitionError        (invalid-flag-definition)  flags.errors
    │   ├── ConfigError                (invalid-judge-config)     stats.config
    │   ├── InputError                 (invalid-judge-input)      cli.judge
    │   ├── InputError                 (invalid-policy-input)     adapters.policy.regoinput
    │   ├── InvalidSettings            (invalid-settings)         bootstrap
    │   ├── PolicyCompileError         (policy-compile-error)     service.policy_port
    │   ├── MetricQueryError           (metric-query-invalid)     service.metrics_port
    │   ├── PayloadError               (invalid-webhook-payload)  domain.delivery.sources
    │   ├── InvalidSources             (invalid-delivery-sources) adapters.delivery_sources
    │   └── SloSpecError               (invalid-slo)              domain.slo.spec
    ├── NotFound                       (not-found)                404, exit 6
    ├── Conflict                       (conflict)                 409, exit 7
    │   ├── AlreadyExists              (already-exists)           409, exit 7
    │   ├── StateConflict              (state-conflict)           409, exit 7
    │   ├── StageNotReached            (stage-not-reached)        409, exit 3
    │   └── GateBlocked                                           409, exit 3
    │       ├── GateDenied             (gate-blocked)             exit 3
    │       └── GatePending            (gate-pending)             exit 5
    ├── InvalidTransition              (invalid-transition)       409, exit 3
    ├── ApprovalRequired               (approvals-missing)        409, exit 3
    ├── SelfApproval                   (self-approval)            403, exit 3
    ├── Unauthenticated                (unauthenticated)          401, exit 3
    ├── Forbidden                      (forbidden)                403, exit 3
    └── Unavailable                    (unavailable)              503, exit 1
        ├── PolicyError                (policy-error)             service.policy_port
        │   ├── PolicyCompileError     (also InvalidInput, which wins)
        │   ├── PolicyEvaluationError  (policy-evaluation-failed)
        │   └── PolicyUnavailable      (policy-unavailable)       service.gates
        ├── MetricSourceError          (metric-source-error)      service.metrics_port
        │   ├── MetricQueryError       (also InvalidInput, which wins)
        │   └── MetricSourceUnavailable (metric-source-unavailable)
        └── RateLimited                (rate-limited)             429  api.ratelimit

Errors that were ``ValueError`` before joining the tree still are (``class X(InvalidInput,
ValueError)``), so every ``except ValueError`` keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

__all__ = ["FieldError", "InvalidInput", "SluicegateError"]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field; ``field`` is a dotted path such as ``risk.user_impact``."""

    field: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


class SluicegateError(Exception):
    """Base of every error Sluicegate raises on purpose."""

    code: ClassVar[str] = "error"
    default_hint: ClassVar[str] = ""
    #: The problem+json title; empty means the class name.
    title: ClassVar[str] = ""

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
