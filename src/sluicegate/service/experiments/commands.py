"""Experiment writes: intake, updates, sign-offs, stage reviews, transitions and expiry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sluicegate.domain.access.identity import (
    Action,
    ReviewDecision,
    ReviewerDomain,
    authorize,
    require_team,
)
from sluicegate.domain.errors import (
    AlreadyExists,
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    SelfApproval,
    StateConflict,
)
from sluicegate.domain.events import AuditAction, EventType
from sluicegate.domain.experiments import lifecycle
from sluicegate.domain.experiments.lifecycle import State
from sluicegate.domain.experiments.priority import PriorityWeights, score
from sluicegate.domain.experiments.proposal import Proposal, parse_proposal
from sluicegate.domain.gates import Decision, Outcome, ReviewAsk
from sluicegate.domain.risk import RiskLevel
from sluicegate.service import notifications
from sluicegate.service.access import jit
from sluicegate.service.auditing import record
from sluicegate.service.context import SYSTEM, Deps, RequestContext
from sluicegate.service.experiments.ports import ApprovalRecord, ExperimentRecord
from sluicegate.service.experiments.queries import (
    load_experiment,
    missing_signoffs,
    priority_inputs,
    priority_weights,
)
from sluicegate.service.gates import (
    GateBlocked,
    GateRuntime,
    enter_stage,
    governed_stage,
    review_ask_for,
)
from sluicegate.service.ports import UnitOfWork

__all__ = [
    "apply_transition",
    "approve",
    "expire_due",
    "propose",
    "set_priority_weights",
    "transition",
    "update",
]


_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


def _audit_view(exp: ExperimentRecord) -> dict[str, Any]:
    """What the ledger records of an experiment (the full state, minus timestamps it has)."""
    return {
        "key": exp.key,
        "state": exp.state,
        "version": exp.version,
        "risk_level": exp.risk_level,
        "priority_score": exp.priority_score,
        "proposal": exp.document,
        "assessment": exp.assessment,
    }


def propose(deps: Deps, ctx: RequestContext, document: object) -> ExperimentRecord:
    authorize(ctx.principal, Action.EXPERIMENT_PROPOSE)
    proposal: Proposal = parse_proposal(document)
    now = deps.clock.now()
    with deps.uow() as uow:
        if uow.teams.get_by_key(proposal.owner_team) is None:
            raise InvalidInput(
                f"unknown team {proposal.owner_team!r}",
                errors=[FieldError("owner_team", "no such team")],
            )
        require_team(ctx.principal, proposal.owner_team)
        if uow.experiments.get_by_key(proposal.key) is not None:
            raise AlreadyExists(
                f"an experiment with key {proposal.key!r} already exists",
                hint="Choose another key.",
            )
        assessment = deps.risk_matrix(uow).assess(proposal.risk.factors())
        doc = proposal.to_document()
        exp = ExperimentRecord(
            id=deps.ids.new_id(),
            key=proposal.key,
            title=proposal.title,
            owner_team=proposal.owner_team,
            state=State.PROPOSED,
            risk_level=assessment.level,
            priority_score=score(priority_inputs(doc), assessment.level, priority_weights(uow)),
            proposer_id=ctx.principal.user_id,
            document=doc,
            assessment=assessment.to_dict(),
            version=1,
            created_at=now,
            updated_at=now,
            expires_at=proposal.expires_at,
        )
        uow.experiments.add(exp)
        record(
            deps,
            uow,
            ctx,
            AuditAction.EXPERIMENT_CREATE,
            "experiment",
            exp.key,
            after=_audit_view(exp),
        )
    return exp


_IMMUTABLE = ("key", "owner_team")


def update(
    deps: Deps,
    ctx: RequestContext,
    key: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None = None,
    reason: str | None = None,
) -> ExperimentRecord:
    """Merge ``changes`` into the proposal; risk factors may change only while proposed.

    The write is a compare-and-set on the version read in this transaction, so of two concurrent
    updates one wins and the other gets :class:`Conflict`.
    """
    if not isinstance(changes, Mapping) or not changes:
        raise InvalidInput("nothing to update", errors=[FieldError("body", "empty change set")])
    for name in _IMMUTABLE:
        if name in changes:
            raise InvalidInput(
                f"{name} cannot change", errors=[FieldError(name, "immutable after intake")]
            )
    with deps.uow() as uow:
        exp = load_experiment(uow, key)
        # A just-in-time grant on this experiment at its current stage raises the role (jit.py).
        ctx = jit.effective_context(deps, uow, ctx, exp)
        authorize(ctx.principal, Action.EXPERIMENT_UPDATE)
        require_team(ctx.principal, exp.owner_team)
        if expected_version is not None and expected_version != exp.version:
            raise Conflict(f"{key!r} is at version {exp.version}, not {expected_version}")
        if exp.state in lifecycle.FINAL_STATES:
            raise StateConflict(f"{key!r} is {exp.state}; final experiments cannot change")
        if "risk" in changes and exp.state != State.PROPOSED:
            raise InvalidInput(
                "risk factors can change only while the experiment is proposed",
                errors=[FieldError("risk", f"the experiment is {exp.state}; propose a new one")],
            )
        proposal = parse_proposal({**exp.document, **changes})
        doc = proposal.to_document()
        assessment = (
            deps.risk_matrix(uow).assess(proposal.risk.factors()).to_dict()
            if "risk" in changes
            else exp.assessment
        )
        updated = replace(
            exp,
            title=proposal.title,
            document=doc,
            assessment=assessment,
            risk_level=RiskLevel(assessment["level"]),
            priority_score=score(
                priority_inputs(doc), RiskLevel(assessment["level"]), priority_weights(uow)
            ),
            expires_at=proposal.expires_at,
            version=exp.version + 1,
            updated_at=deps.clock.now(),
        )
        if not uow.experiments.update(updated, exp.version):
            raise Conflict(f"{key!r} was changed by someone else; reload and retry")
        record(
            deps,
            uow,
            ctx,
            AuditAction.EXPERIMENT_UPDATE,
            "experiment",
            key,
            before=_audit_view(exp),
            after=_audit_view(updated),
            reason=reason,
        )
    return updated


def approve(
    deps: Deps,
    ctx: RequestContext,
    key: str,
    domain: str | None,
    comment: str = "",
    *,
    stage: str | None = None,
    decision: str = "approve",
    gates: GateRuntime | None = None,
) -> ApprovalRecord:
    """Record a sign-off in one reviewer domain. The proposer can never approve.

    Without ``stage`` it is the intake sign-off (while proposed), taken only in a domain the risk
    assessment asks for; with ``stage`` it is a review (approve or reject) of the promotion into
    that stage, which the stage's approval gates read: the stage must exist in the experiment's
    process and the domain must be one its gates count (``gates.review_ask_for``).
    """
    authorize(ctx.principal, Action.EXPERIMENT_APPROVE)
    if stage is not None:
        return _stage_review(deps, ctx, key, stage, decision, domain, comment, gates)
    if decision != "approve":
        raise InvalidInput(
            "intake sign-offs approve; reject an experiment with a transition to rejected",
            errors=[FieldError("decision", "only 'approve' without a stage")],
        )
    try:
        reviewer_domain = ReviewerDomain(domain or "")
    except ValueError:
        raise InvalidInput(
            f"unknown reviewer domain {domain!r}",
            errors=[FieldError("domain", f"one of {', '.join(d.value for d in ReviewerDomain)}")],
        ) from None
    if reviewer_domain not in ctx.principal.domains:
        raise Forbidden(
            f"{ctx.principal.username} does not hold the {domain} reviewer domain",
            hint="Ask a reviewer who holds that domain.",
        )
    with deps.uow() as uow:
        exp = load_experiment(uow, key)
        if exp.proposer_id == ctx.principal.user_id:
            raise SelfApproval(f"{ctx.principal.username} proposed {key!r} and cannot approve it")
        if exp.state != State.PROPOSED:
            raise StateConflict(
                f"{key!r} is {exp.state}; sign-offs are taken while it is proposed",
                hint="Review its next promotion instead: "
                "`sluice experiment approve KEY --domain DOMAIN --stage STAGE`.",
            )
        asked = [str(d) for d in exp.assessment.get("required_signoffs", [])]
        if reviewer_domain.value not in asked:
            raise InvalidInput(
                f"{key!r} (risk {exp.risk_level}) needs no {reviewer_domain.value} sign-off",
                errors=[
                    FieldError(
                        "domain",
                        "the risk assessment asks for sign-off from: "
                        + (", ".join(asked) or "nobody"),
                    )
                ],
            )
        if any(
            a.reviewer_id == ctx.principal.user_id and a.domain == reviewer_domain
            for a in uow.approvals.for_experiment(exp.id)
        ):
            raise AlreadyExists(
                f"{ctx.principal.username} already signed off {key!r} for {domain}",
                hint="Each reviewer signs off a domain once; `sluice experiment show KEY` lists "
                "the sign-offs.",
            )
        approval = ApprovalRecord(
            id=deps.ids.new_id(),
            experiment_id=exp.id,
            reviewer_id=ctx.principal.user_id,
            reviewer=ctx.principal.username,
            domain=reviewer_domain,
            decision=ReviewDecision.APPROVE,
            comment=comment,
            created_at=deps.clock.now(),
        )
        uow.approvals.add(approval)
        record(
            deps,
            uow,
            ctx,
            AuditAction.EXPERIMENT_APPROVE,
            "experiment",
            key,
            after={"domain": domain, "reviewer": ctx.principal.username, "comment": comment},
        )
    return approval


def transition(
    deps: Deps,
    ctx: RequestContext,
    key: str,
    target: str,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
    gates: GateRuntime | None = None,
) -> ExperimentRecord:
    """Move ``key`` to ``target``; entering a stage guarded by gates is a governed promotion.

    When an applied process governs the experiment (docs/gates.md, "Governed promotions"), the
    stage's gates are checked in the same transaction as the move: a passing decision and the
    transition it allows commit together; a denied or pending decision is stored (and committed)
    and the transition is refused with :class:`GateBlocked` naming the decision id.
    """
    try:
        to = State(target)
    except ValueError:
        raise InvalidInput(
            f"unknown state {target!r}",
            errors=[FieldError("to", f"one of {', '.join(s.value for s in State)}")],
        ) from None
    action = Action.EXPERIMENT_REJECT if to is State.REJECTED else Action.EXPERIMENT_TRANSITION
    blocked: Decision | None = None
    with deps.uow() as uow:
        exp = load_experiment(uow, key)
        # A just-in-time grant on this experiment at its current stage raises the role (jit.py).
        ctx = jit.effective_context(deps, uow, ctx, exp)
        authorize(ctx.principal, action)
        require_team(ctx.principal, exp.owner_team)
        if expected_version is not None and expected_version != exp.version:
            raise Conflict(f"{key!r} is at version {exp.version}, not {expected_version}")
        lifecycle.check(exp.state, to)
        decision = _promotion_gate(deps, uow, ctx, exp, to, gates)
        if decision is not None and decision.outcome is not Outcome.PASS:
            blocked = decision  # the decision record commits; the experiment does not move
        else:
            updated = apply_transition(deps, uow, ctx, exp, to, reason=reason)
    if blocked is not None:
        raise GateBlocked(blocked)
    return updated


def _promotion_gate(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    exp: ExperimentRecord,
    to: State,
    gates: GateRuntime | None,
) -> Decision | None:
    """The stored gate decision of a governed promotion into ``to``; None when ungoverned."""
    if to in lifecycle.FINAL_STATES or to in (State.PROPOSED, State.APPROVED):
        return None
    runtime = gates or GateRuntime()
    version = governed_stage(uow, runtime, exp, to.value)
    if version is None:
        return None
    return enter_stage(deps, uow, ctx, runtime, exp, version, to.value)


def apply_transition(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    exp: ExperimentRecord,
    to: State,
    *,
    reason: str | None,
    detail: Mapping[str, Any] | None = None,
) -> ExperimentRecord:
    """The one writer of an experiment's state, in the caller's transaction.

    :func:`~sluicegate.domain.lifecycle.decide` rules on the move; this applies it: the
    compare-and-set write (a concurrent change raises :class:`Conflict`), the
    ``experiment.transition`` audit event (``detail`` adds to what it records), the end of the
    just-in-time grants of the stage left behind, and the ``experiment.transitioned``
    notification. The API, the expiry job and the rollout controller all move experiments here.
    """
    missing = (
        missing_signoffs(exp, uow.approvals.for_experiment(exp.id)) if to is State.APPROVED else []
    )
    move = lifecycle.decide(
        exp.key,
        exp.state,
        to,
        reason=reason,
        risk_level=exp.risk_level,
        missing_signoffs=missing,
    )
    updated = replace(exp, state=move.after, version=exp.version + 1, updated_at=deps.clock.now())
    if not uow.experiments.update(updated, exp.version):
        raise Conflict(f"{exp.key!r} was changed by someone else; reload and retry")
    record(
        deps,
        uow,
        ctx,
        AuditAction.EXPERIMENT_TRANSITION,
        "experiment",
        exp.key,
        before={"state": exp.state, "version": exp.version},
        after={"state": updated.state, "version": updated.version, **(detail or {})},
        reason=move.reason,
    )
    # Grants for the stage it left end now (also on a rollback or expiry), in this transaction.
    jit.revoke_for_experiment(deps, uow, ctx, exp.key, exp.state)
    notifications.enqueue(
        uow,
        EventType.EXPERIMENT_TRANSITIONED,
        {
            "experiment": exp.key,
            "from": exp.state,
            "to": updated.state,
            "version": updated.version,
            "actor": ctx.actor,
            "reason": move.reason,
        },
        deps=deps,
    )
    return updated


def _stage_review(
    deps: Deps,
    ctx: RequestContext,
    key: str,
    stage: str,
    decision: str,
    domain: str | None,
    comment: str,
    gates: GateRuntime | None,
) -> ApprovalRecord:
    if decision not in ("approve", "reject"):
        raise InvalidInput(
            f"unknown decision {decision!r}", errors=[FieldError("decision", "approve or reject")]
        )
    if not _STAGE_NAME.fullmatch(stage):
        raise InvalidInput(
            f"{stage!r} is not a stage name", errors=[FieldError("stage", "a lower-case slug")]
        )
    held = sorted(d.value for d in ctx.principal.domains)
    if domain is not None and domain not in held:
        raise Forbidden(
            f"{ctx.principal.username} does not hold the {domain} reviewer domain",
            hint="Ask a reviewer who holds that domain.",
        )
    if not held:
        raise Forbidden(
            f"{ctx.principal.username} holds no reviewer domain",
            hint="Stage reviews are recorded in a reviewer domain; ask an admin to grant one.",
        )
    with deps.uow() as uow:
        exp = load_experiment(uow, key)
        if exp.proposer_id == ctx.principal.user_id:
            raise SelfApproval(
                f"{ctx.principal.username} proposed {key!r} and cannot review its promotion"
            )
        if exp.state in lifecycle.FINAL_STATES:
            raise StateConflict(f"{key!r} is {exp.state}; final experiments take no reviews")
        ask = review_ask_for(uow, gates or GateRuntime(), exp, stage)  # 422 for a stage it lacks
        chosen = _review_domain(ask, exp, stage, decision, domain, held)
        if any(
            a.reviewer_id == ctx.principal.user_id and a.stage == stage and a.domain.value == chosen
            for a in uow.approvals.for_experiment(exp.id)
        ):
            raise AlreadyExists(
                f"{ctx.principal.username} already reviewed {key!r} for {stage} ({chosen})",
                hint="Each reviewer reviews a promotion once per domain.",
            )
        approval = ApprovalRecord(
            id=deps.ids.new_id(),
            experiment_id=exp.id,
            reviewer_id=ctx.principal.user_id,
            reviewer=ctx.principal.username,
            domain=ReviewerDomain(chosen),
            decision=ReviewDecision(decision),
            comment=comment,
            created_at=deps.clock.now(),
            stage=stage,
        )
        uow.approvals.add(approval)
        record(
            deps,
            uow,
            ctx,
            AuditAction.EXPERIMENT_STAGE_REVIEW,
            "experiment",
            key,
            after={
                "stage": stage,
                "decision": decision,
                "domain": chosen,
                "reviewer": ctx.principal.username,
                "comment": comment,
            },
        )
    return approval


def _review_domain(
    ask: ReviewAsk | None,
    exp: ExperimentRecord,
    stage: str,
    decision: str,
    domain: str | None,
    held: list[str],
) -> str:
    """The domain a stage review is recorded in: one the stage's gates count (422 otherwise).

    A rejection counts whatever the reviewer's domain (any valid rejection blocks an approval
    gate), so it needs only a stage whose gates read reviews.
    """
    if ask is None:  # no process governs the experiment yet: no gate to ask
        return domain or held[0]
    if not ask.reads_reviews:
        raise InvalidInput(
            f"no gate of stage {stage!r} reads reviews for {exp.key!r}",
            errors=[FieldError("stage", "a stage with an approval or review-board gate")],
        )
    if decision == "reject":
        return domain or held[0]
    counted = ", ".join(sorted(ask.domains)) or "none"
    if domain is not None:
        if not ask.counts(domain):
            raise InvalidInput(
                f"stage {stage!r} of {exp.key!r} counts no {domain} review",
                errors=[FieldError("domain", f"one the stage's gates count: {counted}")],
            )
        return domain
    chosen = ask.choose(held)
    if chosen is None:
        raise InvalidInput(
            f"stage {stage!r} of {exp.key!r} counts none of your reviewer domains "
            f"({', '.join(held)})",
            errors=[FieldError("domain", f"one the stage's gates count: {counted}")],
        )
    return chosen


def set_priority_weights(
    deps: Deps, ctx: RequestContext, weights: Mapping[str, Any]
) -> PriorityWeights:
    """Replace the priority weights and re-score every experiment, in one audited transaction."""
    authorize(ctx.principal, Action.SETTINGS_WRITE)
    new = PriorityWeights.from_dict(weights)
    with deps.uow() as uow:
        old = priority_weights(uow)
        uow.settings.put("priority_weights", new.to_dict(), deps.clock.now())
        for exp in uow.experiments.query():
            rescored = score(priority_inputs(exp.document), RiskLevel(exp.risk_level), new)
            if rescored != exp.priority_score:
                changed = replace(exp, priority_score=rescored, version=exp.version + 1)
                if not uow.experiments.update(changed, exp.version):
                    raise Conflict(f"{exp.key!r} changed while re-scoring; retry")
        record(
            deps,
            uow,
            ctx,
            AuditAction.SETTINGS_UPDATE,
            "settings",
            "priority_weights",
            before=old.to_dict(),
            after=new.to_dict(),
        )
    return new


def expire_due(deps: Deps) -> list[str]:
    """Move every active experiment past its expiry to expired (the time-box job)."""
    ctx = RequestContext(SYSTEM, actor_override="system:expiry")
    now = deps.clock.now()
    expired: list[str] = []
    with deps.uow() as uow:
        active = [s.value for s in lifecycle.ACTIVE_STATES if s is not State.GENERAL_AVAILABILITY]
        for exp in uow.experiments.due_for_expiry(now, active):
            expires_at = exp.expires_at.isoformat() if exp.expires_at else "?"
            reason = f"time-box expired at {expires_at}"
            try:
                apply_transition(deps, uow, ctx, exp, State.EXPIRED, reason=reason)
            except Conflict:
                continue  # changed concurrently (nothing was written); the next run looks again
            expired.append(exp.key)
    return expired
