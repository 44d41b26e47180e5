"""Experiments: intake, the ranked queue, sign-offs, lifecycle transitions and expiry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluicegate.service.lazy import exports

if TYPE_CHECKING:
    from sluicegate.service.experiments.commands import (
        apply_transition as apply_transition,
    )
    from sluicegate.service.experiments.commands import (
        approve as approve,
    )
    from sluicegate.service.experiments.commands import (
        expire_due as expire_due,
    )
    from sluicegate.service.experiments.commands import (
        propose as propose,
    )
    from sluicegate.service.experiments.commands import (
        set_priority_weights as set_priority_weights,
    )
    from sluicegate.service.experiments.commands import (
        transition as transition,
    )
    from sluicegate.service.experiments.commands import (
        update as update,
    )
    from sluicegate.service.experiments.ports import (
        ApprovalRecord as ApprovalRecord,
    )
    from sluicegate.service.experiments.ports import (
        ApprovalRepository as ApprovalRepository,
    )
    from sluicegate.service.experiments.ports import (
        ExperimentRecord as ExperimentRecord,
    )
    from sluicegate.service.experiments.ports import (
        ExperimentRepository as ExperimentRepository,
    )
    from sluicegate.service.experiments.queries import (
        experiment_dict as experiment_dict,
    )
    from sluicegate.service.experiments.queries import (
        get as get,
    )
    from sluicegate.service.experiments.queries import (
        list_queue as list_queue,
    )
    from sluicegate.service.experiments.queries import (
        load_experiment as load_experiment,
    )
    from sluicegate.service.experiments.queries import (
        missing_signoffs as missing_signoffs,
    )
    from sluicegate.service.experiments.queries import (
        priority_inputs as priority_inputs,
    )
    from sluicegate.service.experiments.queries import (
        priority_weights as priority_weights,
    )

__all__ = [
    "ApprovalRecord",
    "ApprovalRepository",
    "ExperimentRecord",
    "ExperimentRepository",
    "apply_transition",
    "approve",
    "experiment_dict",
    "expire_due",
    "get",
    "list_queue",
    "load_experiment",
    "missing_signoffs",
    "priority_inputs",
    "priority_weights",
    "propose",
    "set_priority_weights",
    "transition",
    "update",
]

_TABLE = {
    "ApprovalRecord": "ports",
    "ApprovalRepository": "ports",
    "ExperimentRecord": "ports",
    "ExperimentRepository": "ports",
    "apply_transition": "commands",
    "approve": "commands",
    "experiment_dict": "queries",
    "expire_due": "commands",
    "get": "queries",
    "list_queue": "queries",
    "load_experiment": "queries",
    "missing_signoffs": "queries",
    "priority_inputs": "queries",
    "priority_weights": "queries",
    "propose": "commands",
    "set_priority_weights": "commands",
    "transition": "commands",
    "update": "commands",
}
__getattr__, __dir__ = exports(__name__, _TABLE)
