"""The one writer of a rollout's row: its status moves only as the state machine allows."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sluicegate.domain.rollouts.machine import Status, check
from sluicegate.service.context import Deps
from sluicegate.service.ports import UnitOfWork
from sluicegate.service.rollouts.ports import RolloutRecord

__all__ = ["write_rollout"]


def write_rollout(
    deps: Deps, uow: UnitOfWork, old: RolloutRecord, **changes: Any
) -> RolloutRecord | None:
    """Write ``old`` with ``changes`` in the caller's transaction, or None on a conflict.

    A new ``status`` is checked by :func:`~sluicegate.domain.rollouts.machine.check` first; the
    write is a compare-and-set on the version read. The API's controls and the controller's
    journal both write rollouts here, each raising its own error on a conflict.
    """
    status = changes.get("status")
    if status is not None and status != old.status:
        check(old.status, Status(status))
    new = replace(old, version=old.version + 1, updated_at=deps.clock.now(), **changes)
    return new if uow.rollouts.update(new, old.version) else None
