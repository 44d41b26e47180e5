"""Response models of ``api/routes/ofrep.py`` (open-feature/protocol, service/openapi.yaml).

Documentation only: the evaluation endpoints are hot paths and answer pre-serialised bodies.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sluicegate.api.schemas import Schema

__all__ = ["BulkEvaluation", "Evaluation", "EvaluationFailure", "OfrepError", "RateLimited"]


class Evaluation(Schema):
    """A successful evaluation; ``value`` is absent when the caller's default applies."""

    key: str
    reason: str
    variant: str | None
    value: Any = Field(None, description="Absent for DISABLED or when no default variant exists")
    metadata: dict[str, Any]


class EvaluationFailure(Schema):
    """One flag of a bulk evaluation that failed."""

    key: str
    errorCode: str
    errorDetails: str


class BulkEvaluation(Schema):
    flags: list[Evaluation | EvaluationFailure]


class OfrepError(Schema):
    """400 and 404: ``key`` on single evaluations; ``code`` is Sluicegate's kebab-case code."""

    key: str | None = Field(None, description="Absent from bulk failures")
    errorCode: str
    errorDetails: str
    code: str


class RateLimited(Schema):
    errorDetails: str
