"""What the gate engine needs from outside, as Protocols the service layer implements.

The domain must not import adapters or the service layer, so the Rego engine is passed in as a
:class:`PolicyEvaluator` (the service wraps ``PolicyEngine.evaluate`` + a bundle) and the
progressive-delivery analysis as a :class:`MetricVerdictSource`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = ["MetricVerdict", "MetricVerdictSource", "PolicyEvaluator", "PolicyVerdict"]


@dataclass(frozen=True, slots=True)
class PolicyVerdict:
    """Deny and warn messages as ``(package, message)`` pairs, and the bundle revision."""

    revision: str
    deny: tuple[tuple[str, str], ...] = ()
    warn: tuple[tuple[str, str], ...] = ()


class PolicyEvaluator(Protocol):
    """One loaded policy bundle, ready to evaluate input documents."""

    @property
    def revision(self) -> str: ...

    def __call__(self, input_doc: Mapping[str, Any]) -> PolicyVerdict: ...


MetricStatus = Literal["pass", "fail", "inconclusive", "running"]


@dataclass(frozen=True, slots=True)
class MetricVerdict:
    """The result of a rollout analysis as the progressive-delivery work reports it."""

    status: MetricStatus
    analysis: str = ""
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "analysis": self.analysis, "reasons": list(self.reasons)}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> MetricVerdict:
        return cls(doc["status"], str(doc.get("analysis", "")), tuple(doc.get("reasons", ())))


class MetricVerdictSource(Protocol):
    """Answers the latest analysis verdict for an experiment's stage (None: no analysis yet)."""

    def verdict(self, experiment: str, stage: str, analysis: str) -> MetricVerdict | None: ...
