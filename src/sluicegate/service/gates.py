"""Gate use cases: check a stage's gates, explain (replay) a decision, and manage overrides.

``check_gate`` builds the :class:`GateContext` from the database (experiment and risk, the stage's
approvals and rejections, requester and authors, evidence facts, overrides, review board and
environment settings, ``now`` from the clock), wires the policy bundle, evaluates, stores the
decision record, audits it and queues a ``gate.decision`` notification, all in one transaction.
The policy bundle is stored by revision the first time it decides, so that ``explain`` can replay
a decision with the same bundle after the directory changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sluicegate.domain.errors import Conflict, FieldError, InvalidInput, NotFound, SelfApproval
from sluicegate.domain.gates import (
    Approval,
    CheckRecord,
    CheckStatus,
    Decision,
    DecisionInput,
    Enforcement,
    EnvironmentInfo,
    ExperimentSummary,
    GateBlocked,
    GateContext,
    GateDenied,
    GatePending,
    InvalidOverride,
    MetricVerdict,
    Outcome,
    Override,
    PolicyVerdict,
    ProcessVersion,
    Requester,
    ReviewBoard,
    StageDef,
    evaluate_gate,
    replay,
    validate_override,
)
from sluicegate.domain.identity import Action, authorize, require_team
from sluicegate.service import notifications
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.evidence import facts_of
from sluicegate.service.policy_port import PolicyBundle, PolicyEngine, PolicyError, PolicyModule
from sluicegate.service.ports import (
    ExperimentRecord,
    GateDecisionRecord,
    GateOverrideRecord,
    StoredPolicyBundle,
    UnitOfWork,
)
from sluicegate.service.processes import (
    GateRuntime,
    governing_version,
    resolve_for,
)
from sluicegate.service.rollouts import RolloutVerdicts

__all__ = [
    "GateBlocked",
    "GateDenied",
    "GatePending",
    "GateRuntime",
    "check_gate",
    "create_override",
    "decision_dict",
    "enter_stage",
    "explain",
    "get_decision",
    "governed_stage",
    "list_overrides",
    "override_dict",
    "rebuild",
    "revoke_override",
    "set_gate_setting",
]

UNAVAILABLE = "unavailable"
_UNAVAILABLE_PREFIX = "check error: PolicyUnavailable: "


class PolicyUnavailable(PolicyError):
    """Raised by the stand-in evaluator when no usable bundle exists: policy gates fail closed."""

    code = "policy-unavailable"


@dataclasses.dataclass(frozen=True, slots=True)
class _Unavailable:
    reason: str

    @property
    def revision(self) -> str:
        return UNAVAILABLE

    def __call__(
        self,
        input_doc: Mapping[str, Any],  # noqa: ARG002 - the PolicyEvaluator signature
    ) -> PolicyVerdict:
        raise PolicyUnavailable(self.reason)


@dataclasses.dataclass(frozen=True, slots=True)
class _Evaluator:
    engine: PolicyEngine
    bundle: PolicyBundle

    @property
    def revision(self) -> str:
        return self.bundle.revision

    def __call__(self, input_doc: Mapping[str, Any]) -> PolicyVerdict:
        decision = self.engine.evaluate(self.bundle, input_doc)
        return PolicyVerdict(
            revision=decision.revision,
            deny=tuple((m.package, m.msg) for m in decision.deny),
            warn=tuple((m.package, m.msg) for m in decision.warn),
        )


def _current_policy(
    uow: UnitOfWork, runtime: GateRuntime, now: datetime
) -> _Evaluator | _Unavailable:
    if runtime.engine is None or runtime.policy_dir is None:
        return _Unavailable("no policy bundle configured (set SLUICE_POLICY_DIR)")
    try:
        bundle = runtime.load_bundle()
    except PolicyError as exc:
        return _Unavailable(f"the policy bundle does not compile: {exc}")
    if bundle.revision in runtime._stored_revisions:
        pass  # seen committed before; policy_bundles is append-only
    elif uow.gates.get_bundle(bundle.revision) is not None:
        with runtime._lock:
            runtime._stored_revisions.add(bundle.revision)
    else:
        uow.gates.add_bundle(
            StoredPolicyBundle(
                revision=bundle.revision,
                modules=[
                    {"path": m.path, "source": m.source, "package": m.package}
                    for m in bundle.modules
                ],
                data=dict(bundle.data),
                created_at=now,
            )
        )
    return _Evaluator(runtime.engine, bundle)


def _stored_policy(
    uow: UnitOfWork, runtime: GateRuntime, rec: GateDecisionRecord
) -> _Evaluator | _Unavailable | None:
    revision = rec.policy_revision
    if revision is None:
        return None
    if revision == UNAVAILABLE:
        for check in rec.checks:
            for reason in check.get("reasons", []):
                if str(reason).startswith(_UNAVAILABLE_PREFIX):
                    return _Unavailable(str(reason).removeprefix(_UNAVAILABLE_PREFIX))
        return _Unavailable("no policy bundle configured (set SLUICE_POLICY_DIR)")
    stored = uow.gates.get_bundle(revision)
    if stored is None or runtime.engine is None:
        return _Unavailable(f"policy bundle {revision} is not available for replay")
    modules = tuple(PolicyModule(m["path"], m["source"], m["package"]) for m in stored.modules)
    bundle = PolicyBundle(f"stored:{revision}", revision, modules, stored.data)
    return _Evaluator(runtime.engine, bundle)


# --- building the context ---------------------------------------------------------------------


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


def _summary(exp: ExperimentRecord) -> ExperimentSummary:
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


def _context(
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
        _current_policy(uow, runtime, now)
        if any(g.type == "policy" for g in stage_def.gates)
        else None
    )
    requester = (
        Requester(ctx.principal.username, "ci", ci_run_id)
        if ci_run_id
        else Requester(ctx.principal.username)
    )
    return GateContext(
        experiment=_summary(exp),
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


# --- checking ---------------------------------------------------------------------------------


def decision_dict(decision: Decision, ci_run_id: str | None = None) -> dict[str, Any]:
    return {**decision.to_dict(), "ci_run_id": ci_run_id}


def _stored(rec: GateDecisionRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "process": rec.process_name,
        "process_version": rec.process_version,
        "process_hash": rec.process_hash,
        "stage": rec.stage,
        "experiment": rec.experiment_key,
        "policy_revision": rec.policy_revision,
        "input_hash": rec.input_hash,
        "checks": rec.checks,
        "overrides_applied": rec.overrides_applied,
        "requested_by": rec.input["context"]["requester"],
        "outcome": rec.outcome,
        "evaluated_at": rec.input["context"]["now"],
        "ci_run_id": rec.ci_run_id,
    }


def _decide(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    runtime: GateRuntime,
    exp: ExperimentRecord,
    version: ProcessVersion,
    stage: str,
    ci_run_id: str | None,
    metric_verdicts: Mapping[str, MetricVerdict] | None = None,
) -> Decision:
    stage_def = version.process.stage(stage)
    now = deps.clock.now()
    gate_ctx = _context(uow, runtime, ctx, exp, stage_def, now, ci_run_id)
    if metric_verdicts:
        gate_ctx = dataclasses.replace(gate_ctx, metric_verdicts=dict(metric_verdicts))
    # metric-verdict gates read the experiment's rollouts (verdicts given above take precedence)
    decision = evaluate_gate(
        version, stage, gate_ctx, id_factory=deps.ids.new_id, metrics=RolloutVerdicts(uow)
    )
    uow.gates.add_decision(
        GateDecisionRecord(
            id=decision.id,
            experiment_id=exp.id,
            experiment_key=exp.key,
            stage=stage,
            outcome=decision.outcome.value,
            process_name=decision.process,
            process_version=decision.process_version,
            process_hash=decision.process_hash,
            policy_revision=decision.policy_revision,
            input_hash=decision.input_hash,
            input=decision.input.to_dict(),
            checks=[c.to_dict() for c in decision.checks],
            overrides_applied=[o.to_dict() for o in decision.overrides_applied],
            requested_by=str(decision.requested_by),
            ci_run_id=ci_run_id,
            created_at=now,
        )
    )
    summary = {
        "decision_id": decision.id,
        "experiment": exp.key,
        "stage": stage,
        "outcome": decision.outcome.value,
        "process": version.label,
        "input_hash": decision.input_hash,
        "policy_revision": decision.policy_revision,
        "blocking": [c.gate for c in decision.blocking],
    }
    record(deps, uow, ctx, "gate.decision", "gate-decision", decision.id, after=summary)
    notifications.enqueue(uow, "gate.decision", summary, deps=deps)
    waiting = [
        c.gate
        for c in decision.checks
        if c.blocking and c.status is CheckStatus.PENDING and c.type in ("approval", "review-board")
    ]
    if waiting:
        notifications.enqueue(
            uow,
            "approval.requested",
            {"experiment": exp.key, "stage": stage, "gates": waiting, "decision_id": decision.id},
            deps=deps,
        )
    return decision


def _load(uow: UnitOfWork, key: str) -> ExperimentRecord:
    exp = uow.experiments.get_by_key(key)
    if exp is None:
        raise NotFound(f"experiment {key!r} not found", hint="`sluice experiment list` shows keys.")
    return exp


def check_gate(
    deps: Deps,
    ctx: RequestContext,
    runtime: GateRuntime,
    key: str,
    stage: str,
    *,
    ci_run_id: str | None = None,
) -> Decision:
    """Evaluate the gates guarding ``stage`` for experiment ``key`` and store the decision."""
    authorize(ctx.principal, Action.GATE_CHECK)
    with deps.uow() as uow:
        exp = _load(uow, key)
        require_team(ctx.principal, exp.owner_team)
        version = resolve_for(deps, uow, ctx, runtime, exp, pin=True)
        return _decide(deps, uow, ctx, runtime, exp, version, stage, ci_run_id)


def governed_stage(
    uow: UnitOfWork, runtime: GateRuntime, exp: ExperimentRecord, stage: str
) -> ProcessVersion | None:
    """The process version whose gates guard ``stage`` for ``exp``, or None when ungoverned.

    Governed: the experiment is pinned to a process version, or the selector chooses a process
    that has been applied, and that process guards ``stage`` with at least one gate. Until an
    administrator applies a process, experiments transition as before (docs/gates.md).
    """
    rec, _ = governing_version(uow, exp)
    if rec is None:
        return None
    version = runtime.version_of(rec)
    for stage_def in version.process.stages:
        if stage_def.name == stage and stage_def.gates:
            return version
    return None


def enter_stage(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    runtime: GateRuntime,
    exp: ExperimentRecord,
    version: ProcessVersion,
    stage: str,
    *,
    metric_verdicts: Mapping[str, MetricVerdict] | None = None,
) -> Decision:
    """The stored gate decision of a governed promotion (pins the experiment if needed).

    ``metric_verdicts`` (analysis name -> verdict) stand in for what the rollouts report: the
    controller passes its own rollout's verdict so far when it checks a gated step.
    """
    if uow.gates.get_pin(exp.id) is None:
        resolve_for(deps, uow, ctx, runtime, exp, pin=True)
    return _decide(deps, uow, ctx, runtime, exp, version, stage, None, metric_verdicts)


def get_decision(deps: Deps, ctx: RequestContext, decision_id: str) -> dict[str, Any]:
    authorize(ctx.principal, Action.EXPERIMENT_READ)
    with deps.uow(readonly=True) as uow:
        rec = uow.gates.get_decision(decision_id)
        if rec is None:
            raise NotFound(f"decision {decision_id!r} not found")
        return _stored(rec)


def rebuild(deps: Deps, ctx: RequestContext, runtime: GateRuntime, decision_id: str) -> Decision:
    """A stored decision as a :class:`Decision` (gate locations from the stored process file)."""
    authorize(ctx.principal, Action.EXPERIMENT_READ)
    with deps.uow(readonly=True) as uow:
        rec = uow.gates.get_decision(decision_id)
        if rec is None:
            raise NotFound(f"decision {decision_id!r} not found")
        process_rec = uow.gates.get_process_version(rec.process_name, rec.process_version)
    locations = {}
    if process_rec is not None:
        stage = runtime.version_of(process_rec).process.stage(rec.stage)
        locations = {g.id: g.location for g in stage.gates}
    decision_input = DecisionInput.from_dict(rec.input)
    checks = tuple(
        CheckRecord(
            gate=c["gate"],
            type=c["type"],
            enforcement=Enforcement(c["enforcement"]),
            status=CheckStatus(c["status"]),
            reasons=tuple(c["reasons"]),
            warnings=tuple(c["warnings"]),
            blocking=bool(c["blocking"]),
            overridden_by=c["overridden_by"],
            data=c["data"],
            location=locations.get(c["gate"]),
        )
        for c in rec.checks
    )
    return Decision(
        id=rec.id,
        process=rec.process_name,
        process_version=rec.process_version,
        process_hash=rec.process_hash,
        stage=rec.stage,
        experiment=rec.experiment_key,
        policy_revision=rec.policy_revision,
        input_hash=rec.input_hash,
        checks=checks,
        overrides_applied=tuple(Override.from_dict(o) for o in rec.overrides_applied),
        requested_by=decision_input.context.requester,
        outcome=Outcome(rec.outcome),
        evaluated_at=decision_input.context.now,
        input=decision_input,
    )


def explain(
    deps: Deps, ctx: RequestContext, runtime: GateRuntime, decision_id: str
) -> dict[str, Any]:
    """The stored decision, and whether replaying its input with its bundle gives the same."""
    authorize(ctx.principal, Action.EXPERIMENT_READ)
    with deps.uow(readonly=True) as uow:
        rec = uow.gates.get_decision(decision_id)
        if rec is None:
            raise NotFound(f"decision {decision_id!r} not found")
        policy = _stored_policy(uow, runtime, rec)
    stored = _stored(rec)
    decision_input = DecisionInput.from_dict(rec.input, policy=policy)
    again = replay(decision_input, id_factory=lambda: rec.id)
    replayed = {**again.to_dict(), "ci_run_id": rec.ci_run_id}
    differences = [
        name
        for name in ("outcome", "checks", "input_hash", "process_hash", "policy_revision")
        if replayed[name] != stored[name]
    ]
    return {
        **stored,
        "replay": {
            "outcome": again.outcome.value,
            "input_hash": again.input_hash,
            "matches": not differences,
            "differences": differences,
        },
    }


# --- overrides --------------------------------------------------------------------------------


def override_dict(rec: GateOverrideRecord, experiment: str) -> dict[str, Any]:
    return {
        "id": rec.id,
        "experiment": experiment,
        "stage": rec.stage,
        "gate": rec.gate,
        "justification": rec.justification,
        "expires_at": rec.expires_at.isoformat(),
        "created_by": rec.created_by,
        "created_at": rec.created_at.isoformat(),
        "revoked_by": rec.revoked_by,
        "revoked_at": None if rec.revoked_at is None else rec.revoked_at.isoformat(),
        "revoke_reason": rec.revoke_reason,
    }


def create_override(
    deps: Deps,
    ctx: RequestContext,
    runtime: GateRuntime,
    key: str,
    *,
    stage: str,
    gate: str,
    justification: str,
    expires_at: datetime | None,
) -> GateOverrideRecord:
    """Record a justified, expiring override of one soft-mandatory gate (reviewer or admin)."""
    authorize(ctx.principal, Action.OVERRIDE_MANAGE)
    now = deps.clock.now()
    with deps.uow() as uow:
        exp = _load(uow, key)
        if exp.proposer_id == ctx.principal.user_id:
            raise SelfApproval(f"{ctx.principal.username} proposed {key!r} and cannot override")
        version = resolve_for(deps, uow, ctx, runtime, exp, pin=False)
        gate_def = version.process.stage(stage).gate(gate)
        if gate_def.enforcement is not Enforcement.SOFT_MANDATORY:
            raise InvalidOverride(
                f"gate {stage}/{gate} is {gate_def.enforcement.value}; only soft-mandatory "
                "gates can be overridden",
                errors=[
                    FieldError("gate", f"{gate_def.enforcement.value} gates take no overrides")
                ],
            )
        validate_override(
            Override(gate, stage, key, justification, expires_at, ctx.actor, now), now
        )
        assert expires_at is not None  # validate_override refuses a missing expiry
        if expires_at - now > runtime.max_override:
            days = runtime.max_override.total_seconds() / 86400
            raise InvalidOverride(
                f"an override may last at most {days:g} days",
                errors=[FieldError("expires_at", f"at most {days:g} days from now")],
            )
        rec = GateOverrideRecord(
            id=deps.ids.new_id(),
            experiment_id=exp.id,
            stage=stage,
            gate=gate,
            justification=justification.strip(),
            expires_at=expires_at,
            created_by=ctx.actor,
            created_at=now,
        )
        uow.gates.add_override(rec)
        view = override_dict(rec, key)
        record(deps, uow, ctx, "override.create", "override", rec.id, after=view)
        notifications.enqueue(uow, "override.created", view, deps=deps)
    return rec


def list_overrides(deps: Deps, ctx: RequestContext, key: str) -> list[GateOverrideRecord]:
    authorize(ctx.principal, Action.EXPERIMENT_READ)
    with deps.uow(readonly=True) as uow:
        return uow.gates.overrides_for(_load(uow, key).id)


def revoke_override(
    deps: Deps, ctx: RequestContext, override_id: str, reason: str
) -> tuple[GateOverrideRecord, str]:
    authorize(ctx.principal, Action.OVERRIDE_MANAGE)
    if not reason.strip():
        raise InvalidInput("revoking needs a reason", errors=[FieldError("reason", "required")])
    now = deps.clock.now()
    with deps.uow() as uow:
        rec = uow.gates.get_override(override_id)
        if rec is None:
            raise NotFound(f"override {override_id!r} not found")
        if not uow.gates.revoke_override(override_id, ctx.actor, now, reason.strip()):
            raise Conflict(f"override {override_id} is already revoked")
        revoked = dataclasses.replace(
            rec, revoked_by=ctx.actor, revoked_at=now, revoke_reason=reason.strip()
        )
        key = rec.experiment_key
        view = override_dict(revoked, key)
        record(
            deps,
            uow,
            ctx,
            "override.revoke",
            "override",
            rec.id,
            before=override_dict(rec, key),
            after=view,
            reason=reason,
        )
        notifications.enqueue(uow, "override.revoked", view, deps=deps)
    return revoked, key


# --- gate settings ----------------------------------------------------------------------------

GATE_SETTINGS = ("review_board", "environments")


def _check_environments(value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(
            "environments must map names to settings",
            errors=[FieldError("environments", "an object")],
        )
    out: dict[str, Any] = {}
    for name, doc in value.items():
        if not isinstance(doc, Mapping):
            raise InvalidInput(
                f"environment {name!r} must be an object",
                errors=[FieldError(f"environments.{name}", "an object")],
            )
        try:
            info = EnvironmentInfo.from_dict({**doc, "name": str(name)})
            ZoneInfo(info.timezone)
        except (ValueError, TypeError, KeyError, ZoneInfoNotFoundError) as exc:
            raise InvalidInput(
                f"environment {name!r} is invalid: {exc}",
                errors=[FieldError(f"environments.{name}", str(exc))],
            ) from exc
        out[str(name)] = {k: v for k, v in info.to_dict().items() if k != "name"}
    return out


def set_gate_setting(
    deps: Deps, ctx: RequestContext, name: str, value: object
) -> dict[str, Any] | None:
    """Replace the review board (``null`` removes it) or the environment settings (admin)."""
    authorize(ctx.principal, Action.SETTINGS_WRITE)
    stored: dict[str, Any] | None
    if name == "review_board":
        if value is None:
            stored = None
        else:
            try:
                if not isinstance(value, Mapping):
                    raise TypeError("expected an object {name, members, seats, quorum}")
                stored = ReviewBoard.from_dict(value).to_dict()
            except (ValueError, TypeError, KeyError) as exc:
                raise InvalidInput(
                    f"invalid review board: {exc}", errors=[FieldError("review_board", str(exc))]
                ) from exc
    elif name == "environments":
        stored = _check_environments(value)
    else:
        raise NotFound(f"no gate setting {name!r}", hint=f"One of {', '.join(GATE_SETTINGS)}.")
    with deps.uow() as uow:
        before = uow.settings.get(name)
        uow.settings.put(name, stored, deps.clock.now())
        record(deps, uow, ctx, "settings.update", "settings", name, before=before, after=stored)
    return stored
