"""The rollout controller: leader lease, tick loop, idempotent steps (docs/rollouts.md)."""

from __future__ import annotations

from sluicegate.controller.base import EngineSettings, LeaseLost
from sluicegate.controller.engine import Engine
from sluicegate.controller.loop import Controller, holder_id
from sluicegate.controller.simulated import SimulatedMetricSource

__all__ = [
    "Controller",
    "Engine",
    "EngineSettings",
    "LeaseLost",
    "SimulatedMetricSource",
    "holder_id",
]
