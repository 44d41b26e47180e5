"""Rollout plans: the target, the steps and their validation (docs/rollouts.md, "Plans").

A plan is a plain mapping (YAML or JSON) attached to an experiment::

    target: {kind: flag, flag_set: shop, environment: staging, flag: new-checkout}
    services: [checkout]
    analysis: {intervals: 3, judge: {...}, monitor: {...}, source: {...}}
    steps:
      - ring: {name: internal, segments: [internal]}
      - weight: 5
      - analysis: {}
      - pause: {seconds: 600}
      - pause: {until: approved}

Without ``steps`` a plan gets the default ramp 1 -> 5 -> 25 -> 50 -> 100 %, each weight followed by
an analysis; a blue/green target gets analysis -> switch -> analysis (``validation``). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "DEFAULT_RAMP",
    "AnalysisSpec",
    "Desired",
    "RolloutPlan",
    "Step",
    "StepKind",
    "Target",
    "TargetKind",
    "desired_after",
]

#: The default ramp, in percent of traffic (or of a flag's users) on the new version.
DEFAULT_RAMP: tuple[int, ...] = (1, 5, 25, 50, 100)


class TargetKind(StrEnum):
    FLAG = "flag"
    DEPLOYMENT = "deployment"
    BLUE_GREEN = "blue-green"


class StepKind(StrEnum):
    RING = "ring"
    WEIGHT = "weight"
    SWITCH = "switch"
    PAUSE = "pause"
    ANALYSIS = "analysis"

    @property
    def applies(self) -> bool:
        """Steps that change what the target serves (written with an intent/outcome record)."""
        return self in (StepKind.RING, StepKind.WEIGHT, StepKind.SWITCH)


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    # flag targets (a deployment's environment is optional: production when absent)
    flag_set: str | None = None
    environment: str | None = None
    flag: str | None = None
    on_variant: str = "on"
    off_variant: str = "off"
    ring_attribute: str = "ring"
    # deployment and blue/green targets
    service: str | None = None
    deployment: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.kind is TargetKind.FLAG:
            return {
                "kind": self.kind.value,
                "flag_set": self.flag_set,
                "environment": self.environment,
                "flag": self.flag,
                "on_variant": self.on_variant,
                "off_variant": self.off_variant,
                "ring_attribute": self.ring_attribute,
            }
        doc: dict[str, Any] = {
            "kind": self.kind.value,
            "service": self.service,
            "deployment": self.deployment,
        }
        if self.environment is not None:
            doc["environment"] = self.environment
        return doc

    @property
    def deploys_to(self) -> str:
        """The environment the rollout changes: the flag set's, or the deployment's."""
        return self.environment or "production"


@dataclass(frozen=True, slots=True)
class AnalysisSpec:
    """How one analysis step judges: intervals to observe, the judge and monitor configs, the
    metric queries, and the metric source to ask (validated by the controller's source)."""

    intervals: int = 3
    judge: Mapping[str, Any] = field(default_factory=dict)
    monitor: Mapping[str, Any] = field(default_factory=dict)
    queries: Mapping[str, Any] = field(default_factory=dict)
    source: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "intervals": self.intervals,
            "judge": dict(self.judge),
            "monitor": dict(self.monitor),
            "queries": dict(self.queries),
            "source": dict(self.source),
        }


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    weight: int | None = None  # weight, switch (100), ring (weight for everyone else, optional)
    ring: str | None = None
    segments: tuple[str, ...] = ()
    seconds: int | None = None  # pause for a duration
    until_approved: bool = False  # pause until promoted by hand
    analysis: AnalysisSpec | None = None
    gate: str | None = None  # the experiment stage whose gates must pass before this step

    def to_dict(self) -> dict[str, Any]:
        """The plan's own form (``{"weight": 5}``, ``{"pause": {...}}``), parseable again."""
        body: Any
        if self.kind is StepKind.WEIGHT:
            body = self.weight
        elif self.kind is StepKind.SWITCH:
            body = True
        elif self.kind is StepKind.RING:
            body = {"name": self.ring, "segments": list(self.segments)}
            if self.weight is not None:
                body["weight"] = self.weight
        elif self.kind is StepKind.PAUSE:
            body = {"until": "approved"} if self.until_approved else {"seconds": self.seconds}
        else:
            assert self.analysis is not None
            body = self.analysis.to_dict()
        out: dict[str, Any] = {self.kind.value: body}
        if self.gate is not None:
            out["gate"] = self.gate
        return out

    def describe(self) -> str:
        if self.kind is StepKind.WEIGHT:
            return f"set weight {self.weight}%"
        if self.kind is StepKind.SWITCH:
            return "switch to green (100%)"
        if self.kind is StepKind.RING:
            return f"ring {self.ring} ({', '.join(self.segments)})"
        if self.kind is StepKind.PAUSE:
            return "pause until approved" if self.until_approved else f"pause {self.seconds}s"
        assert self.analysis is not None
        return f"analysis over {self.analysis.intervals} interval(s)"


@dataclass(frozen=True, slots=True)
class Desired:
    """What the target should serve: the new version's weight and the rings that get it all."""

    weight: int = 0
    rings: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"weight": self.weight, "rings": list(self.rings), "segments": list(self.segments)}

    @property
    def canary(self) -> int:
        return self.weight

    @property
    def stable(self) -> int:
        return 100 - self.weight


@dataclass(frozen=True, slots=True)
class RolloutPlan:
    target: Target
    steps: tuple[Step, ...]
    services: tuple[str, ...] = ()
    #: What the rollout ships, as ``(repo, sha)``: the deployment it is recorded as names them
    #: (docs/delivery.md, "Rollouts as deployments").
    revisions: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "target": self.target.to_dict(),
            "services": list(self.services),
            "steps": [s.to_dict() for s in self.steps],
        }
        if self.revisions:
            doc["revisions"] = [{"repo": r, "sha": s} for r, s in self.revisions]
        return doc


def desired_after(plan: RolloutPlan, index: int) -> Desired:
    """The target's desired state once steps ``0..index`` are done (``index`` -1: before any)."""
    weight = 0
    rings: list[str] = []
    segments: list[str] = []
    for step in plan.steps[: index + 1]:
        if step.kind is StepKind.RING:
            rings.append(step.ring or "")
            segments.extend(s for s in step.segments if s not in segments)
            if step.weight is not None:
                weight = step.weight
        elif step.kind is StepKind.WEIGHT:
            weight = step.weight or 0
        elif step.kind is StepKind.SWITCH:
            weight = 100
    return Desired(weight, tuple(rings), tuple(segments))
