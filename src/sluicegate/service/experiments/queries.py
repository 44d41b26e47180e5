"""Reading experiments: one experiment, the ranked queue, missing sign-offs, the API view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.errors import (
    FieldError,
    InvalidInput,
    NotFound,
)
from sluicegate.domain.experiments import lifecycle
from sluicegate.domain.experiments.lifecycle import State
from sluicegate.domain.experiments.priority import DEFAULT_WEIGHTS, PriorityInputs, PriorityWeights
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.experiments.ports import ApprovalRecord, ExperimentRecord
from sluicegate.service.ports import UnitOfWork

__all__ = [
    "experiment_dict",
    "get",
    "list_queue",
    "load_experiment",
    "missing_signoffs",
    "priority_inputs",
    "priority_weights",
]


def priority_weights(uow: UnitOfWork) -> PriorityWeights:
    stored = uow.settings.get("priority_weights")
    return DEFAULT_WEIGHTS if stored is None else PriorityWeights.from_dict(stored)


def priority_inputs(proposal_doc: Mapping[str, Any]) -> PriorityInputs:
    p = proposal_doc.get("priority") or {}
    return PriorityInputs(
        value=int(p.get("value", 3)),
        strategic_fit=int(p.get("strategic_fit", 3)),
        cost=int(p.get("cost", 3)),
        time_to_learn=int(p.get("time_to_learn", 3)),
    )


def experiment_dict(
    exp: ExperimentRecord, approvals: list[ApprovalRecord] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": exp.id,
        "key": exp.key,
        "title": exp.title,
        "owner_team": exp.owner_team,
        "state": exp.state,
        "version": exp.version,
        "risk": exp.assessment,
        "priority_score": exp.priority_score,
        "proposal": exp.document,
        "proposer_id": exp.proposer_id,
        "created_at": exp.created_at.isoformat(),
        "updated_at": exp.updated_at.isoformat(),
        "expires_at": exp.expires_at.isoformat() if exp.expires_at else None,
        "allowed_transitions": [s.value for s in lifecycle.allowed_from(exp.state)],
    }
    if approvals is not None:
        out["approvals"] = [
            {
                "reviewer": a.reviewer,
                "domain": a.domain.value,
                "decision": a.decision,
                "comment": a.comment,
                "created_at": a.created_at.isoformat(),
                "stage": a.stage,
            }
            for a in approvals
        ]
        out["missing_signoffs"] = missing_signoffs(exp, approvals)
    return out


def load_experiment(uow: UnitOfWork, key: str) -> ExperimentRecord:
    exp = uow.experiments.get_by_key(key)
    if exp is None:
        raise NotFound(f"experiment {key!r} not found", hint="`sluice experiment list` shows keys.")
    return exp


def get(deps: Deps, ctx: RequestContext, key: str) -> tuple[ExperimentRecord, list[ApprovalRecord]]:
    authorize(ctx.principal, Action.EXPERIMENT_READ)
    with deps.uow(readonly=True) as uow:
        exp = load_experiment(uow, key)
        return exp, uow.approvals.for_experiment(exp.id)


def list_queue(
    deps: Deps, ctx: RequestContext, state: str | None = None, team: str | None = None
) -> list[ExperimentRecord]:
    """Experiments ranked by weighted priority score (highest first)."""
    authorize(ctx.principal, Action.EXPERIMENT_READ)
    if state is not None and state not in {s.value for s in State}:
        raise InvalidInput(
            f"unknown state {state!r}",
            errors=[FieldError("state", f"one of {', '.join(s.value for s in State)}")],
        )
    with deps.uow(readonly=True) as uow:
        return uow.experiments.query(state=state, team=team)


def missing_signoffs(exp: ExperimentRecord, approvals: list[ApprovalRecord]) -> list[str]:
    required = list(exp.assessment.get("required_signoffs", []))
    have = {a.domain.value for a in approvals if a.decision == "approve" and a.stage is None}
    return [d for d in required if d not in have]
