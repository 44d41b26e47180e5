"""Building a gate's :class:`GateContext` from the store: the experiment, reviews, overrides.

``review_ask_for`` answers what a stage review of an experiment may be: a stage of the process
that governs it (the lifecycle's stages while none does), in a domain that stage's gates count.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from sluicegate.domain.errors import FieldError, InvalidInput
from sluicegate.domain.experiments.lifecycle import STAGES
from sluicegate.domain.gates import (
    Approval,
    EnvironmentInfo,
    ExperimentSummary,
    GateContext,
    Override,
    Requester,
    ReviewAsk,
    ReviewBoard,
    StageDef,
    review_ask,
)
from sluicegate.service.context import RequestContext
from sluicegate.service.experiments.ports import ExperimentRecord
from sluicegate.service.gates.evaluator import current_policy
from sluicegate.service.gates.evidence import facts_of
from sluicegate.service.gates.processes import GateRuntime, governing_version
from sluicegate.service.ports import UnitOfWork

__all__ = ["build_context", "review_ask_for", "summary_of"]


def _approvals(uow: UnitOfWork, exp: ExperimentRecord, stage: str) -> tuple[Approval, ...]:
    """The stage's reviews; a reviewer in the owner team counts as role ``service-owner``."""
    out: list[Approval] = []
    for r in uow.gates.stage_reviews(exp.id, stage, exp.owner_team):
        role = "service-owner" if r.in_owner_team else r.role
        decision: Literal["approve", "reject"] = "reject" if r.decision == "reject" else "approve"
        out.append(Approval(r.reviewer, role, r.at, decision, r.domains, r.comment))
    return tuple(out)


def _environment(settings: Any, name: str) -> EnvironmentInfo:
    """``settings`` is the stored ``environments`` setting (a mapping of name to document)."""
    settings = settings or {}
    doc = settings.get(name) if isinstance(settings, Mapping) else None
    if not isinstance(doc, Mapping):
        return EnvironmentInfo(name)
    return EnvironmentInfo.from_dict({**doc, "name": name})


def _overrides(uow: UnitOfWork, exp: ExperimentRecord, stage: str) -> tuple[Override, ...]:
    return tuple(
        Override(
            gate=o.gate,
            stage=o.stage,
            experiment=exp.key,
            justification=o.justification,
            expires_at=o.expires_at,
            by=o.created_by,
            created_at=o.created_at,
        )
        for o in uow.gates.overrides_for(exp.id)
        if o.stage == stage and o.revoked_at is None
    )


def summary_of(exp: ExperimentRecord) -> ExperimentSummary:
    """The experiment as gates see it."""
    doc = exp.document
    risk_doc = doc.get("risk") or {}
    return ExperimentSummary(
        key=exp.key,
        kind=str(doc.get("kind", "")),
        team=exp.owner_team,
        services=tuple(str(s) for s in doc.get("services", []) or []),
        state=exp.state,
        risk=exp.assessment,
        id=exp.id,
        title=exp.title,
        data_classification=str(risk_doc.get("data_classification", "")),
        tags=tuple(str(t) for t in doc.get("tags", []) or []),
    )


def build_context(
    uow: UnitOfWork,
    runtime: GateRuntime,
    ctx: RequestContext,
    exp: ExperimentRecord,
    stage_def: StageDef,
    now: datetime,
    ci_run_id: str | None,
) -> GateContext:
    proposer = uow.users.username_of(exp.proposer_id)
    stored = uow.settings.get_many(("review_board", "environments"))
    board = stored.get("review_board")
    policy = (
        current_policy(uow, runtime, now)
        if any(g.type == "policy" for g in stage_def.gates)
        else None
    )
    requester = (
        Requester(ctx.principal.username, "ci", ci_run_id)
        if ci_run_id
        else Requester(ctx.principal.username)
    )
    return GateContext(
        experiment=summary_of(exp),
        stage=stage_def.name,
        environment=_environment(stored.get("environments"), stage_def.environment),
        requester=requester,
        now=now,
        approvals=_approvals(uow, exp, stage_def.name),
        authors=(proposer,) if proposer is not None else (),
        evidence=facts_of(uow.gates.evidence_for(exp.id)),
        overrides=_overrides(uow, exp, stage_def.name),
        review_board=None if board is None else ReviewBoard.from_dict(board),
        policy=policy,
    )


def review_ask_for(
    uow: UnitOfWork, runtime: GateRuntime, exp: ExperimentRecord, stage: str
) -> ReviewAsk | None:
    """What stage ``stage``'s gates count of a review of ``exp``; None while no process governs.

    Raises :class:`InvalidInput` naming ``stage`` when the governing process (pinned, or the
    selector's choice) has no such stage, or, ungoverned, when ``stage`` is not a lifecycle stage.
    """
    rec, _ = governing_version(uow, exp)
    if rec is None:
        names = [s.value for s in STAGES]
        where = "the lifecycle (no process governs it yet)"
        stage_def = None
    else:
        version = runtime.version_of(rec)
        names = [s.name for s in version.process.stages]
        where = f"its process {version.label}"
        stage_def = next((s for s in version.process.stages if s.name == stage), None)
    if stage not in names:
        raise InvalidInput(
            f"{exp.key!r} has no stage {stage!r} in {where}",
            errors=[FieldError("stage", f"one of {', '.join(names)}")],
        )
    return None if stage_def is None else review_ask(stage_def, summary_of(exp))
