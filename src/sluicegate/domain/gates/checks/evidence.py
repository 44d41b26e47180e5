"""``evidence``: required evidence kinds are attached and their facts meet the thresholds.

Config::

    require: [junit, coverage]        # kinds the process requires
    risk_evidence: true               # also RiskAssessment.required_evidence (default)
    thresholds:                       # sluicegate.domain.gates.evidence.thresholds format
      coverage.line_rate: {min: 0.8}
      sarif.high: {max: 0}

Missing evidence (a required kind, or the namespace a threshold reads) makes the check pending:
the experiment can still attach it. Thresholds on present evidence pass or fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluicegate.domain.gates.checks.base import CheckResult, CheckStatus, ConfigIssue, ConfigReader
from sluicegate.domain.gates.context import GateContext
from sluicegate.domain.gates.evidence.thresholds import (
    ThresholdSpecError,
    evaluate_thresholds,
    show,
)

__all__ = ["KIND_NAMESPACES", "LINK_KINDS", "EvidenceCheck"]

#: Which facts namespaces satisfy a required evidence kind (any one of them).
KIND_NAMESPACES: Mapping[str, tuple[str, ...]] = {
    "junit": ("junit",),
    "coverage": ("coverage",),
    "cobertura": ("coverage",),
    "coverage-py": ("coverage",),
    "sarif": ("sarif",),
    "load-test": ("k6", "jmeter"),
    "k6": ("k6",),
    "jmeter": ("jmeter",),
    "chaos": ("chaos",),
    "chaos-toolkit": ("chaos",),
    "cost-benefit": ("cost_benefit",),
    "link": ("links",),
}
#: Kinds satisfied by a link of that type.
LINK_KINDS = ("documentation", "runbook")

_SETTINGS = ("require", "risk_evidence", "thresholds")


def _present(kind: str, evidence: Mapping[str, Mapping[str, Any]]) -> bool:
    if kind in LINK_KINDS:
        return kind in evidence.get("links", {}).get("types", [])
    return any(ns in evidence for ns in KIND_NAMESPACES.get(kind, (kind,)))


class EvidenceCheck:
    type = "evidence"
    human_approval = False

    def validate(self, config: Mapping[str, Any]) -> list[ConfigIssue]:
        reader = ConfigReader(config, _SETTINGS)
        known = (*KIND_NAMESPACES, *LINK_KINDS)
        for i, kind in enumerate(reader.strings("require")):
            if kind not in known:
                reader.fail(("require", i), f"unknown evidence kind; one of {', '.join(known)}")
        reader.boolean("risk_evidence")
        thresholds = config.get("thresholds", {})
        if not isinstance(thresholds, Mapping):
            reader.fail(("thresholds",), "must be a mapping of key -> operators")
        else:
            for key, spec in thresholds.items():
                try:
                    evaluate_thresholds({}, {key: spec})
                except ThresholdSpecError as exc:
                    reader.fail(("thresholds", key), str(exc))
        return reader.issues

    def evaluate(self, config: Mapping[str, Any], ctx: GateContext) -> CheckResult:
        required = list(config.get("require", []))
        if config.get("risk_evidence", True):
            by_risk = ctx.experiment.risk_list("required_evidence")
            required += [k for k in by_risk if k not in required]
        thresholds: Mapping[str, Any] = config.get("thresholds", {})
        if not required and not thresholds:
            return CheckResult.of(CheckStatus.NOT_APPLICABLE, ["no evidence is required"])
        missing = [f"missing evidence: {k}" for k in required if not _present(k, ctx.evidence)]
        for key in sorted(thresholds):  # a mapping: key order, as the stored document has it
            namespace = key.split(".", 1)[0]
            if namespace not in ctx.evidence:
                missing.append(f"missing evidence for threshold {key} ({namespace})")
        data: dict[str, Any] = {"required": required, "present": sorted(ctx.evidence)}
        if missing:
            return CheckResult.of(CheckStatus.PENDING, missing, data=data)
        report = evaluate_thresholds(ctx.evidence, thresholds)
        data["thresholds"] = report.to_dict()
        if not report.passed:
            return CheckResult.of(CheckStatus.FAIL, list(report.reasons), data=data)
        reasons = [f"evidence present: {', '.join(required)}"] if required else []
        reasons += [f"{r.key} = {show(r.actual)} meets its threshold" for r in report.results]
        return CheckResult.of(CheckStatus.PASS, reasons, data=data)
