"""The controller's rollout engine: the rollout use cases, composed.

The decisions and effects of a tick are service use cases (``sluicegate.service.rollouts``:
``progress`` ticks, ``effects`` applies, judges and rolls back, ``journal`` writes fenced by the
lease). The controller only composes them and runs the loop (:mod:`sluicegate.controller.loop`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sluicegate.service.context import Deps
from sluicegate.service.gates import GateRuntime
from sluicegate.service.metrics.ports import MetricSource
from sluicegate.service.rollouts import Effects, EngineSettings, Journal, RolloutProgress

__all__ = ["Engine"]


@dataclass
class Engine:
    """Ticks every live rollout through the service use cases, as one lease holder."""

    deps: Deps
    sources: Callable[[Mapping[str, Any]], MetricSource]
    gates: GateRuntime | None = None
    settings: EngineSettings = field(default_factory=EngineSettings)
    holder: str | None = None  # None: no lease (single-process tests and tools)
    progress: RolloutProgress = field(init=False)

    def __post_init__(self) -> None:
        journal = Journal(self.deps, self.settings, self.holder)
        self.progress = RolloutProgress(journal, Effects(journal, self.sources), self.gates)

    def tick_all(self) -> list[str]:
        """One pass over every live rollout; the ids that changed status or step."""
        return self.progress.tick_all()

    def tick(self, rollout_id: str) -> bool:
        """One tick of one rollout; whether its status or step changed."""
        return self.progress.tick(rollout_id)
