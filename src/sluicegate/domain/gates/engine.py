"""``evaluate_gate``: run a stage's gate checks, apply enforcement levels and overrides.

Per gate: a standard-change match turns human-approval checks not-applicable; a failing or
pending check blocks unless the gate is advisory, or soft-mandatory with an active override for
this gate, stage and experiment. Overall: any blocking fail -> denied, else any blocking
pending -> pending, else pass. A plugin that raises fails its gate (fail closed).

Before any gate, the experiment's lifecycle state must allow it to enter a stage at all
(``lifecycle.stage_entry_refusal``): a proposed, rejected, expired, rolled-back or retired
experiment gets a first, hard-mandatory ``lifecycle`` check that fails, so no stage's gates pass
for it however advisory they are. The record appears only when it refuses, so decisions of
experiments that may move keep the checks they always had.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from sluicegate.domain.experiments.lifecycle import stage_entry_refusal
from sluicegate.domain.gates.checks import (
    CheckRegistry,
    CheckResult,
    CheckStatus,
    analysis_name,
    default_registry,
    matched_template,
)
from sluicegate.domain.gates.context import GateContext
from sluicegate.domain.gates.decision import CheckRecord, Decision, DecisionInput, Outcome
from sluicegate.domain.gates.overrides import Override
from sluicegate.domain.gates.ports import MetricVerdict, MetricVerdictSource
from sluicegate.domain.gates.process import LIFECYCLE_CHECK, Enforcement, GateDef
from sluicegate.domain.gates.versions import ProcessVersion

__all__ = ["LIFECYCLE_CHECK", "evaluate_gate", "replay"]

IdFactory = Callable[[], str]
_BLOCKS = (CheckStatus.FAIL, CheckStatus.PENDING)


def _collect_verdicts(
    gates: tuple[GateDef, ...], ctx: GateContext, source: MetricVerdictSource | None
) -> GateContext:
    if source is None:
        return ctx
    verdicts: dict[str, MetricVerdict] = dict(ctx.metric_verdicts)
    for gate in gates:
        if gate.type != "metric-verdict":
            continue
        name = analysis_name(gate.config)
        if name not in verdicts:
            found = source.verdict(ctx.experiment.key, ctx.stage, name)
            if found is not None:
                verdicts[name] = found
    return dataclasses.replace(ctx, metric_verdicts=verdicts)


def _run(gate: GateDef, registry: CheckRegistry, ctx: GateContext) -> CheckResult:
    check = registry.get(gate.type)
    if check is None:
        return CheckResult.of(CheckStatus.FAIL, [f"unknown check type {gate.type!r}"])
    try:
        return check.evaluate(gate.config, ctx)
    except Exception as exc:  # a broken plugin must fail its gate (closed), not the request
        return CheckResult.of(CheckStatus.FAIL, [f"check error: {type(exc).__name__}: {exc}"])


def _enforce(
    gate: GateDef, result: CheckResult, ctx: GateContext, applied: list[Override]
) -> CheckRecord:
    reasons = list(result.reasons)
    blocking = result.status in _BLOCKS and gate.enforcement is not Enforcement.ADVISORY
    overridden_by: str | None = None
    candidates = [o for o in ctx.overrides if o.matches(gate.id, ctx.stage, ctx.experiment.key)]
    for override in candidates:
        if not blocking:
            break
        if gate.enforcement is Enforcement.HARD_MANDATORY:
            reasons.append(f"override by {override.by} ignored: the gate is hard-mandatory")
        elif not override.justification.strip():
            reasons.append(f"override by {override.by} ignored: no justification")
        elif not override.active(ctx.now):
            when = "no expiry" if override.expires_at is None else override.expires_at.isoformat()
            reasons.append(f"override by {override.by} ignored: expired ({when})")
        else:
            blocking, overridden_by = False, override.by
            reasons.append(f"overridden by {override.by}: {override.justification}")
            applied.append(override)
    return CheckRecord(
        gate=gate.id,
        type=gate.type,
        enforcement=gate.enforcement,
        status=result.status,
        reasons=tuple(reasons),
        warnings=result.warnings,
        blocking=blocking,
        overridden_by=overridden_by,
        data=result.data,
        location=gate.location,
    )


def _outcome(records: list[CheckRecord]) -> Outcome:
    if any(r.blocking and r.status is CheckStatus.FAIL for r in records):
        return Outcome.DENIED
    if any(r.blocking for r in records):
        return Outcome.PENDING
    return Outcome.PASS


def evaluate_gate(
    process_version: ProcessVersion,
    stage: str,
    ctx: GateContext,
    *,
    id_factory: IdFactory,
    registry: CheckRegistry | None = None,
    metrics: MetricVerdictSource | None = None,
) -> Decision:
    """Decide whether ``ctx.experiment`` may enter ``stage`` of the process."""
    if ctx.stage != stage:
        raise ValueError(f"context targets stage {ctx.stage!r}, not {stage!r}")
    registry = registry if registry is not None else default_registry()
    stage_def = process_version.process.stage(stage)
    ctx = _collect_verdicts(stage_def.gates, ctx, metrics)
    decision_input = DecisionInput(process_version, stage, ctx)
    results: dict[str, CheckResult] = {}
    standard: str | None = None
    for gate in stage_def.gates:
        if gate.type == "standard-change":
            results[gate.id] = _run(gate, registry, ctx)
            standard = standard or matched_template(results[gate.id])
    records: list[CheckRecord] = []
    refusal = stage_entry_refusal(ctx.experiment.key, ctx.experiment.state)
    if refusal is not None:
        records.append(
            CheckRecord(
                gate=LIFECYCLE_CHECK,
                type=LIFECYCLE_CHECK,
                enforcement=Enforcement.HARD_MANDATORY,
                status=CheckStatus.FAIL,
                reasons=(refusal,),
                blocking=True,
                data={"state": ctx.experiment.state},
            )
        )
    applied: list[Override] = []
    for gate in stage_def.gates:
        check = registry.get(gate.type)
        if gate.id in results:
            result = results[gate.id]
        elif standard is not None and check is not None and check.human_approval:
            result = CheckResult.of(CheckStatus.NOT_APPLICABLE, [f"standard change {standard}"])
        else:
            result = _run(gate, registry, ctx)
        records.append(_enforce(gate, result, ctx, applied))
    return Decision(
        id=id_factory(),
        process=process_version.name,
        process_version=process_version.version,
        process_hash=process_version.content_hash,
        stage=stage,
        experiment=ctx.experiment.key,
        policy_revision=None if ctx.policy is None else ctx.policy.revision,
        input_hash=decision_input.hash,
        checks=tuple(records),
        overrides_applied=tuple(applied),
        requested_by=ctx.requester,
        outcome=_outcome(records),
        evaluated_at=ctx.now,
        input=decision_input,
    )


def replay(
    decision_input: DecisionInput,
    *,
    id_factory: IdFactory,
    registry: CheckRegistry | None = None,
) -> Decision:
    """Re-evaluate a recorded input (metric verdicts as recorded; the policy evaluator given)."""
    return evaluate_gate(
        decision_input.process,
        decision_input.stage,
        decision_input.context,
        id_factory=id_factory,
        registry=registry,
    )
