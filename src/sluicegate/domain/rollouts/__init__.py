"""Progressive delivery, pure: rollout plans, the state machine, flag documents and breakers."""

from __future__ import annotations

from sluicegate.domain.rollouts.breaker import Breaker, BreakerState
from sluicegate.domain.rollouts.flagdoc import apply_desired, restore_flag
from sluicegate.domain.rollouts.machine import ACTIVE, FINAL, Status, check
from sluicegate.domain.rollouts.plan import (
    DEFAULT_RAMP,
    AnalysisSpec,
    Desired,
    RolloutPlan,
    Step,
    StepKind,
    Target,
    TargetKind,
    desired_after,
)
from sluicegate.domain.rollouts.validation import parse_plan

__all__ = [
    "ACTIVE",
    "DEFAULT_RAMP",
    "FINAL",
    "AnalysisSpec",
    "Breaker",
    "BreakerState",
    "Desired",
    "RolloutPlan",
    "Status",
    "Step",
    "StepKind",
    "Target",
    "TargetKind",
    "apply_desired",
    "check",
    "desired_after",
    "parse_plan",
    "restore_flag",
]
