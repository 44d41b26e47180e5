"""What every part of a rollout tick shares: settings, the lease fence, saving and history rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sluicegate.domain.events import AuditAction
from sluicegate.domain.rollouts import Breaker
from sluicegate.service.auditing import record
from sluicegate.service.context import SYSTEM, Deps, RequestContext
from sluicegate.service.ports import UnitOfWork
from sluicegate.service.rollouts.ports import RolloutRecord, RolloutStepRecord
from sluicegate.service.rollouts.states import write_rollout

__all__ = ["CONTROLLER", "EngineSettings", "Journal", "LeaseLost", "Stale"]

CONTROLLER = RequestContext(SYSTEM, actor_override="system:controller")


class LeaseLost(Exception):
    """The fence failed: another controller holds the lease; this one must stop writing."""


class Stale(Exception):
    """The rollout moved on between two transactions of this tick (retry on the next tick)."""


@dataclass(frozen=True, slots=True)
class EngineSettings:
    lease_name: str = "rollout-controller"
    lease_seconds: float = 15.0
    service_cooldown_seconds: float = 300.0
    error_threshold: int = 3
    error_cooldown_seconds: float = 60.0
    gate_recheck_seconds: float = 60.0


@dataclass
class Journal:
    """Writes a rollout's position and history, each write fenced by the controller's lease."""

    deps: Deps
    settings: EngineSettings = field(default_factory=EngineSettings)
    holder: str | None = None  # None: no lease (single-process tests and tools)

    def fence(self, uow: UnitOfWork) -> None:
        if self.holder is None:
            return
        now = self.deps.clock.now()
        s = self.settings
        if not uow.leases.acquire(s.lease_name, self.holder, s.lease_seconds, now):
            raise LeaseLost(f"{self.holder} no longer holds the {s.lease_name} lease")

    def save(self, uow: UnitOfWork, old: RolloutRecord, **changes: Any) -> RolloutRecord:
        self.fence(uow)
        new = write_rollout(self.deps, uow, old, **changes)
        if new is None:
            raise Stale(f"rollout {old.id} changed during the tick")
        return new

    def reload(self, uow: UnitOfWork, rollout: RolloutRecord) -> RolloutRecord:
        fresh = uow.rollouts.get(rollout.id)
        if (
            fresh is None
            or fresh.current_step != rollout.current_step
            or fresh.status != rollout.status
        ):
            raise Stale(f"rollout {rollout.id} moved on")
        return fresh

    def history(
        self,
        uow: UnitOfWork,
        rollout: RolloutRecord,
        action: str,
        status: str,
        desired: dict[str, Any],
        detail: dict[str, Any],
        *,
        finished: bool,
    ) -> RolloutStepRecord:
        existing = uow.rollout_steps.get(rollout.id, rollout.current_step, action)
        if existing is not None:
            return existing
        now = self.deps.clock.now()
        seq = max((s.seq for s in uow.rollout_steps.history(rollout.id)), default=0) + 1
        row = RolloutStepRecord(
            rollout_id=rollout.id,
            seq=seq,
            step_index=rollout.current_step,
            action=action,
            status=status,
            desired=desired,
            detail=detail,
            actor=CONTROLLER.actor,
            started_at=now,
            finished_at=now if finished else None,
        )
        uow.rollout_steps.add(row)
        return row

    def next_step(self, uow: UnitOfWork, rollout: RolloutRecord, **changes: Any) -> RolloutRecord:
        return self.save(
            uow,
            rollout,
            current_step=rollout.current_step + 1,
            step_state={},
            hold_reason=None,
            **changes,
        )

    def breaker_failure(self, uow: UnitOfWork, key: str, reason: str, **kw: Any) -> Breaker:
        now = self.deps.clock.now()
        current = uow.breakers.get(key) or Breaker(key, **kw)
        failed = current.failure(now, reason)
        uow.breakers.put(failed, now)
        if failed.state != current.current(now).state:
            record(
                self.deps,
                uow,
                CONTROLLER,
                AuditAction.BREAKER_OPEN,
                "breaker",
                key,
                after=failed.to_dict(),
            )
        return failed

    def breaker_success(self, key: str, rollout_id: str) -> None:
        now = self.deps.clock.now()
        with self.deps.uow() as uow:
            current = uow.breakers.get(key)
            if current is None:
                return
            closed = current.success(rollout_id, now)
            if closed != current:
                uow.breakers.put(closed, now)
                if closed.state != current.current(now).state:
                    record(
                        self.deps,
                        uow,
                        CONTROLLER,
                        AuditAction.BREAKER_CLOSE,
                        "breaker",
                        key,
                        after=closed.to_dict(),
                    )
