"""Rollouts: rollout plans and their control, verdicts and incidents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluicegate.service.lazy import exports

if TYPE_CHECKING:
    from sluicegate.service.rollouts.analysis import (
        TickResult as TickResult,
    )
    from sluicegate.service.rollouts.analysis import (
        analyse_tick as analyse_tick,
    )
    from sluicegate.service.rollouts.analysis import (
        final_verdict as final_verdict,
    )
    from sluicegate.service.rollouts.analysis import (
        json_safe as json_safe,
    )
    from sluicegate.service.rollouts.commands import (
        SOURCE_KINDS as SOURCE_KINDS,
    )
    from sluicegate.service.rollouts.commands import (
        abort as abort,
    )
    from sluicegate.service.rollouts.commands import (
        create as create,
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
        start as start,
    )
    from sluicegate.service.rollouts.effects import (
        Effects as Effects,
    )
    from sluicegate.service.rollouts.incidents import (
        open_for_rollout as open_for_rollout,
    )
    from sluicegate.service.rollouts.journal import (
        CONTROLLER as CONTROLLER,
    )
    from sluicegate.service.rollouts.journal import (
        EngineSettings as EngineSettings,
    )
    from sluicegate.service.rollouts.journal import (
        Journal as Journal,
    )
    from sluicegate.service.rollouts.journal import (
        LeaseLost as LeaseLost,
    )
    from sluicegate.service.rollouts.journal import (
        Stale as Stale,
    )
    from sluicegate.service.rollouts.ports import (
        BreakerRepository as BreakerRepository,
    )
    from sluicegate.service.rollouts.ports import (
        IncidentRecord as IncidentRecord,
    )
    from sluicegate.service.rollouts.ports import (
        IncidentRepository as IncidentRepository,
    )
    from sluicegate.service.rollouts.ports import (
        LeaseRepository as LeaseRepository,
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
    from sluicegate.service.rollouts.ports import (
        RolloutStepRepository as RolloutStepRepository,
    )
    from sluicegate.service.rollouts.progress import (
        RolloutProgress as RolloutProgress,
    )
    from sluicegate.service.rollouts.queries import (
        breakers as breakers,
    )
    from sluicegate.service.rollouts.queries import (
        get as get,
    )
    from sluicegate.service.rollouts.queries import (
        incident_dict as incident_dict,
    )
    from sluicegate.service.rollouts.queries import (
        list_incidents as list_incidents,
    )
    from sluicegate.service.rollouts.queries import (
        list_rollouts as list_rollouts,
    )
    from sluicegate.service.rollouts.queries import (
        load_plan as load_plan,
    )
    from sluicegate.service.rollouts.queries import (
        load_rollout as load_rollout,
    )
    from sluicegate.service.rollouts.queries import (
        rollout_dict as rollout_dict,
    )
    from sluicegate.service.rollouts.queries import (
        status as status,
    )
    from sluicegate.service.rollouts.queries import (
        step_dict as step_dict,
    )
    from sluicegate.service.rollouts.queries import (
        weights as weights,
    )
    from sluicegate.service.rollouts.states import (
        write_rollout as write_rollout,
    )
    from sluicegate.service.rollouts.verdicts import (
        RolloutVerdicts as RolloutVerdicts,
    )
    from sluicegate.service.rollouts.verdicts import (
        in_flight_verdicts as in_flight_verdicts,
    )

__all__ = [
    "CONTROLLER",
    "SOURCE_KINDS",
    "BreakerRepository",
    "Effects",
    "EngineSettings",
    "IncidentRecord",
    "IncidentRepository",
    "Journal",
    "LeaseLost",
    "LeaseRepository",
    "RolloutProgress",
    "RolloutRecord",
    "RolloutRepository",
    "RolloutStepRecord",
    "RolloutStepRepository",
    "RolloutVerdicts",
    "Stale",
    "TickResult",
    "abort",
    "analyse_tick",
    "breakers",
    "create",
    "final_verdict",
    "get",
    "in_flight_verdicts",
    "incident_dict",
    "json_safe",
    "list_incidents",
    "list_rollouts",
    "load_plan",
    "load_rollout",
    "open_for_rollout",
    "pause",
    "promote",
    "resume",
    "rollout_dict",
    "start",
    "status",
    "step_dict",
    "weights",
    "write_rollout",
]

_TABLE = {
    "CONTROLLER": "journal",
    "Effects": "effects",
    "EngineSettings": "journal",
    "IncidentRecord": "ports",
    "RolloutStepRepository": "ports",
    "LeaseRepository": "ports",
    "IncidentRepository": "ports",
    "BreakerRepository": "ports",
    "Journal": "journal",
    "LeaseLost": "journal",
    "RolloutProgress": "progress",
    "RolloutRecord": "ports",
    "RolloutRepository": "ports",
    "RolloutStepRecord": "ports",
    "RolloutVerdicts": "verdicts",
    "SOURCE_KINDS": "commands",
    "Stale": "journal",
    "TickResult": "analysis",
    "abort": "commands",
    "analyse_tick": "analysis",
    "breakers": "queries",
    "create": "commands",
    "final_verdict": "analysis",
    "get": "queries",
    "in_flight_verdicts": "verdicts",
    "incident_dict": "queries",
    "json_safe": "analysis",
    "list_incidents": "queries",
    "list_rollouts": "queries",
    "load_plan": "queries",
    "load_rollout": "queries",
    "open_for_rollout": "incidents",
    "pause": "commands",
    "promote": "commands",
    "resume": "commands",
    "rollout_dict": "queries",
    "start": "commands",
    "status": "queries",
    "step_dict": "queries",
    "weights": "queries",
    "write_rollout": "states",
}
__getattr__, __dir__ = exports(__name__, _TABLE)
