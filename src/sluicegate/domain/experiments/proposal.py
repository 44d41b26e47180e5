"""The experiment proposal format (YAML or JSON) and its validation.

:func:`parse_proposal` turns a parsed document into a :class:`Proposal` or raises an
:class:`~sluicegate.domain.errors.InvalidInput` (or one of its specific subclasses) whose ``errors``
name every bad field by its dotted path. docs/proposal.md describes every field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from sluicegate.domain.errors import (
    FieldError,
    InvalidInput,
    MissingRiskAssessment,
    MissingRollbackPlan,
)
from sluicegate.domain.risk import (
    DataClassification,
    RiskFactors,
    SystemCriticality,
    UserImpact,
)
from sluicegate.domain.text import Name

__all__ = [
    "KEY_PATTERN",
    "Budget",
    "Category",
    "Kind",
    "Priority",
    "Proposal",
    "RiskInput",
    "RollbackPlan",
    "SuccessCriterion",
    "parse_proposal",
]

KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"

Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Short = Name


class Kind(StrEnum):
    FEATURE = "feature"
    TOOL_TRIAL = "tool-trial"
    DEPLOYMENT_PATTERN = "deployment-pattern"
    INFRASTRUCTURE = "infrastructure"
    PROCESS = "process"


class Category(StrEnum):
    GREENFIELD = "greenfield"
    TECH_DEBT = "tech-debt"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class RiskInput(_Strict):
    data_classification: DataClassification
    user_impact: UserImpact
    system_criticality: SystemCriticality

    def factors(self) -> RiskFactors:
        return RiskFactors(self.data_classification, self.user_impact, self.system_criticality)


class RollbackPlan(_Strict):
    steps: Annotated[list[Short], Field(min_length=1, max_length=50)]
    automated: bool
    expected_minutes: Annotated[int, Field(ge=0, le=60 * 24 * 7)]


class SuccessCriterion(_Strict):
    metric: Short
    target: Short


class Budget(_Strict):
    amount: Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class Priority(_Strict):
    """Ratings from 1 (low) to 5 (high) that feed the weighted priority score."""

    value: Annotated[int, Field(ge=1, le=5)] = 3
    strategic_fit: Annotated[int, Field(ge=1, le=5)] = 3
    cost: Annotated[int, Field(ge=1, le=5)] = 3
    time_to_learn: Annotated[int, Field(ge=1, le=5)] = 3


class Proposal(_Strict):
    key: Key
    title: Short
    summary: Text
    hypothesis: Text
    kind: Kind
    category: Category
    owner_team: Key
    services: Annotated[list[Key], Field(min_length=1, max_length=50)]
    risk: RiskInput
    rollback_plan: RollbackPlan
    success_criteria: Annotated[list[SuccessCriterion], Field(max_length=50)] = []
    budget: Budget | None = None
    expires_at: datetime | None = None
    links: Annotated[dict[Short, AnyHttpUrl], Field(max_length=50)] = {}
    priority: Priority = Priority()

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must include a timezone, e.g. 2027-06-30T00:00:00Z")
        return value

    def to_document(self) -> dict[str, Any]:
        """The proposal as plain JSON-compatible data (what is stored and audited)."""
        return self.model_dump(mode="json")


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_proposal(doc: object) -> Proposal:
    """Validate a parsed proposal document; raise with every bad field named."""
    if not isinstance(doc, Mapping):
        raise InvalidInput(
            "a proposal must be a mapping of fields",
            errors=[FieldError("", f"expected a mapping, got {type(doc).__name__}")],
        )
    try:
        return Proposal.model_validate(dict(doc))
    except ValidationError as exc:
        details = exc.errors()
    errors = [FieldError(_path(tuple(e["loc"])), e["msg"]) for e in details]
    # A missing plan or missing factors get their own codes; wrong values stay invalid-input.
    missing = {str(e["loc"][0]) for e in details if e["type"] == "missing" and e["loc"]}
    if "rollback_plan" in missing:
        raise MissingRollbackPlan(
            "the proposal lacks a complete rollback plan", errors=errors
        ) from None
    if "risk" in missing:
        raise MissingRiskAssessment(
            "the proposal lacks a complete risk assessment", errors=errors
        ) from None
    raise InvalidInput(f"invalid proposal: {len(errors)} problem(s)", errors=errors) from None
