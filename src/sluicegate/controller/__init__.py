"""The rollout controller: the leader lease and the tick loop over the rollout use cases."""

from __future__ import annotations

from sluicegate.adapters.simulated_metrics import SimulatedMetricSource
from sluicegate.controller.engine import Engine
from sluicegate.controller.loop import Controller, holder_id
from sluicegate.service.rollouts import EngineSettings, LeaseLost

__all__ = [
    "Controller",
    "Engine",
    "EngineSettings",
    "LeaseLost",
    "SimulatedMetricSource",
    "holder_id",
]
