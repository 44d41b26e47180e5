"""The gate context: everything a gate evaluation looks at, as pure data with injected time.

:meth:`GateContext.to_dict` is the canonical input document of a decision (hashed and stored so
that the decision can be replayed); :meth:`GateContext.from_dict` reads it back. The policy
evaluator is a collaborator, not data: it is left out of the document and supplied again on
replay (the decision records its bundle revision).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sluicegate.domain.canonical import normalize
from sluicegate.domain.gates.boards import ReviewBoard
from sluicegate.domain.gates.overrides import Override
from sluicegate.domain.gates.ports import MetricVerdict, PolicyEvaluator
from sluicegate.domain.risk import RiskLevel

__all__ = [
    "Approval",
    "EnvironmentInfo",
    "ExperimentSummary",
    "GateContext",
    "Requester",
]


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, Mapping):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_float(v) for v in value)
    return False


def _time(raw: str) -> datetime:
    return datetime.fromisoformat(raw)


@dataclass(frozen=True, slots=True)
class ExperimentSummary:
    """``risk`` is ``RiskAssessment.to_dict()`` (at least ``level``)."""

    key: str
    kind: str
    team: str
    services: tuple[str, ...]
    state: str
    risk: Mapping[str, Any]
    id: str = ""
    title: str = ""
    data_classification: str = ""
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # as the recorded input stores it (see GateContext.__post_init__)
        if _has_float(self.risk):
            object.__setattr__(self, "risk", normalize(dict(self.risk)))

    @property
    def risk_level(self) -> RiskLevel | None:
        try:
            return RiskLevel(str(self.risk.get("level")))
        except ValueError:
            return None

    def risk_list(self, key: str) -> tuple[str, ...]:
        return tuple(str(v) for v in self.risk.get(key, ()) or ())

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "team": self.team,
            "services": list(self.services),
            "state": self.state,
            "risk": copy.deepcopy(dict(self.risk)),
            "id": self.id,
            "title": self.title,
            "data_classification": self.data_classification,
            "tags": list(self.tags),
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ExperimentSummary:
        return cls(
            key=doc["key"],
            kind=doc["kind"],
            team=doc["team"],
            services=tuple(doc.get("services", ())),
            state=doc["state"],
            risk=dict(doc.get("risk", {})),
            id=doc.get("id", ""),
            title=doc.get("title", ""),
            data_classification=doc.get("data_classification", ""),
            tags=tuple(doc.get("tags", ())),
        )


@dataclass(frozen=True, slots=True)
class EnvironmentInfo:
    name: str
    timezone: str = "UTC"
    compliant: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "timezone": self.timezone,
            "compliant": self.compliant,
            "labels": dict(self.labels),
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> EnvironmentInfo:
        return cls(
            doc["name"],
            doc.get("timezone", "UTC"),
            bool(doc.get("compliant", False)),
            dict(doc.get("labels", {})),
        )


@dataclass(frozen=True, slots=True)
class Approval:
    """One recorded review: ``decision`` is approve or reject; ``domains`` the reviewer holds."""

    by: str
    role: str
    at: datetime
    decision: Literal["approve", "reject"] = "approve"
    domains: tuple[str, ...] = ()
    comment: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "role": self.role,
            "at": self.at.astimezone(UTC).isoformat(),
            "decision": self.decision,
            "domains": list(self.domains),
            "comment": self.comment,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Approval:
        return cls(
            by=doc["by"],
            role=doc["role"],
            at=_time(doc["at"]),
            decision=doc.get("decision", "approve"),
            domains=tuple(doc.get("domains", ())),
            comment=doc.get("comment", ""),
        )


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asked: a user, or CI (``id`` is the pipeline identity, ``run_id`` its run)."""

    id: str
    kind: Literal["user", "ci"] = "user"
    run_id: str | None = None

    def __str__(self) -> str:
        return f"ci:{self.id}#{self.run_id}" if self.kind == "ci" else f"user:{self.id}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "run_id": self.run_id}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Requester:
        return cls(doc["id"], doc.get("kind", "user"), doc.get("run_id"))


@dataclass(frozen=True, slots=True)
class GateContext:
    """Everything one evaluation of a stage's gates may look at (``now`` is aware UTC)."""

    experiment: ExperimentSummary
    stage: str
    environment: EnvironmentInfo
    requester: Requester
    now: datetime
    approvals: tuple[Approval, ...] = ()
    authors: tuple[str, ...] = ()
    evidence: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    overrides: tuple[Override, ...] = ()
    review_board: ReviewBoard | None = None
    metric_verdicts: Mapping[str, MetricVerdict] = field(default_factory=dict)
    policy: PolicyEvaluator | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError("GateContext.now must be timezone-aware")
        # One instant, one document: the hashed input always carries ``now`` in UTC.
        object.__setattr__(self, "now", self.now.astimezone(UTC))
        # The checks see the facts as the recorded input stores them (canonical JSON writes an
        # integral float as an integer), so that a replay prints the same reasons.
        if _has_float(self.evidence):
            object.__setattr__(self, "evidence", normalize(dict(self.evidence)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment.to_dict(),
            "stage": self.stage,
            "environment": self.environment.to_dict(),
            "requester": self.requester.to_dict(),
            "now": self.now.isoformat(),
            "approvals": [a.to_dict() for a in self.approvals],
            "authors": list(self.authors),
            "evidence": copy.deepcopy({k: dict(v) for k, v in self.evidence.items()}),
            "overrides": [o.to_dict() for o in self.overrides],
            "review_board": None if self.review_board is None else self.review_board.to_dict(),
            "metric_verdicts": {k: v.to_dict() for k, v in self.metric_verdicts.items()},
        }

    @classmethod
    def from_dict(
        cls, doc: Mapping[str, Any], *, policy: PolicyEvaluator | None = None
    ) -> GateContext:
        board = doc.get("review_board")
        return cls(
            experiment=ExperimentSummary.from_dict(doc["experiment"]),
            stage=doc["stage"],
            environment=EnvironmentInfo.from_dict(doc["environment"]),
            requester=Requester.from_dict(doc["requester"]),
            now=_time(doc["now"]),
            approvals=tuple(Approval.from_dict(a) for a in doc.get("approvals", ())),
            authors=tuple(doc.get("authors", ())),
            evidence={k: dict(v) for k, v in doc.get("evidence", {}).items()},
            overrides=tuple(Override.from_dict(o) for o in doc.get("overrides", ())),
            review_board=None if board is None else ReviewBoard.from_dict(board),
            metric_verdicts={
                k: MetricVerdict.from_dict(v) for k, v in doc.get("metric_verdicts", {}).items()
            },
            policy=policy,
        )
