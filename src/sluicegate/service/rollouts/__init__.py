"""Rollouts: rollout plans and their control, verdicts and incidents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluicegate.service.lazy import exports

if TYPE_CHECKING:
    from sluicegate.service.rollouts.commands import (
        SOURCE_KINDS as SOURCE_KINDS,
    )
    from sluicegate.service.rollouts.commands import (
        RolloutVerdicts as RolloutVerdicts,
    )
    from sluicegate.service.rollouts.commands import (
        abort as abort,
    )
    from sluicegate.service.rollouts.commands import (
        breakers as breakers,
    )
    from sluicegate.service.rollouts.commands import (
        create as create,
    )
    from sluicegate.service.rollouts.commands import (
        get as get,
    )
    from sluicegate.service.rollouts.commands import (
        in_flight_verdicts as in_flight_verdicts,
    )
    from sluicegate.service.rollouts.commands import (
        incident_dict as incident_dict,
    )
    from sluicegate.service.rollouts.commands import (
        list_incidents as list_incidents,
    )
    from sluicegate.service.rollouts.commands import (
        list_rollouts as list_rollouts,
    )
    from sluicegate.service.rollouts.commands import (
        load_plan as load_plan,
    )
    from sluicegate.service.rollouts.commands import (
        pause as pause,
    )
    from sluicegate.service.rollouts.commands import (
        promote as promote,
    )
    from sluicegate.service.rollouts.commands import (
        resume as resume,
    )
    from sluicegate.service.rollouts.commands import (
        rollout_dict as rollout_dict,
    )
    from sluicegate.service.rollouts.commands import (
        start as start,
    )
    from sluicegate.service.rollouts.commands import (
        status as status,
    )
    from sluicegate.service.rollouts.commands import (
        step_dict as step_dict,
    )
    from sluicegate.service.rollouts.commands import (
        weights as weights,
    )
    from sluicegate.service.rollouts.incidents import (
        open_for_rollout as open_for_rollout,
    )
    from sluicegate.service.rollouts.ports import (
        IncidentRecord as IncidentRecord,
    )
    from sluicegate.service.rollouts.ports import (
        RolloutRecord as RolloutRecord,
    )
    from sluicegate.service.rollouts.ports import (
        RolloutRepository as RolloutRepository,
    )
    from sluicegate.service.rollouts.ports import (
        RolloutStepRecord as RolloutStepRecord,
    )

__all__ = [
    "SOURCE_KINDS",
    "IncidentRecord",
    "RolloutRecord",
    "RolloutRepository",
    "RolloutStepRecord",
    "RolloutVerdicts",
    "abort",
    "breakers",
    "create",
    "get",
    "in_flight_verdicts",
    "incident_dict",
    "list_incidents",
    "list_rollouts",
    "load_plan",
    "open_for_rollout",
    "pause",
    "promote",
    "resume",
    "rollout_dict",
    "start",
    "status",
    "step_dict",
    "weights",
]

_TABLE = {
    "IncidentRecord": "ports",
    "RolloutRecord": "ports",
    "RolloutRepository": "ports",
    "RolloutStepRecord": "ports",
    "RolloutVerdicts": "commands",
    "SOURCE_KINDS": "commands",
    "abort": "commands",
    "breakers": "commands",
    "create": "commands",
    "get": "commands",
    "in_flight_verdicts": "commands",
    "incident_dict": "commands",
    "list_incidents": "commands",
    "list_rollouts": "commands",
    "load_plan": "commands",
    "open_for_rollout": "incidents",
    "pause": "commands",
    "promote": "commands",
    "resume": "commands",
    "rollout_dict": "commands",
    "start": "commands",
    "status": "commands",
    "step_dict": "commands",
    "weights": "commands",
}
__getattr__, __dir__ = exports(__name__, _TABLE)
