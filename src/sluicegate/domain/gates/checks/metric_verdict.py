"""``metric-verdict``: the verdict of a rollout analysis (progressive delivery plugs in here).

Config::

    analysis: canary-vs-baseline    # the analysis name (default: rollout)
    required: false                 # the analysis is always required
    required_for: [high, critical]  # ... or only for these risk levels

Passes when no analysis is required. Otherwise the verdict collected from the
:class:`~sluicegate.domain.gates.ports.MetricVerdictSource` decides: pass -> pass, fail -> fail,
running, inconclusive or none yet -> pending.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluicegate.domain.gates.checks.base import CheckResult, CheckStatus, ConfigIssue, ConfigReader
from sluicegate.domain.gates.context import GateContext

__all__ = ["MetricVerdictCheck", "analysis_name"]

_SETTINGS = ("analysis", "required", "required_for")


def analysis_name(config: Mapping[str, Any]) -> str:
    return str(config.get("analysis", "rollout"))


class MetricVerdictCheck:
    type = "metric-verdict"
    human_approval = False

    def validate(self, config: Mapping[str, Any]) -> list[ConfigIssue]:
        reader = ConfigReader(config, _SETTINGS)
        reader.boolean("required")
        reader.levels("required_for")
        if "analysis" in config and not isinstance(config["analysis"], str):
            reader.fail(("analysis",), "must be a string")
        return reader.issues

    def required(self, config: Mapping[str, Any], ctx: GateContext) -> bool:
        level = ctx.experiment.risk_level
        by_level = level is not None and level.value in config.get("required_for", [])
        return bool(config.get("required", False)) or by_level

    def evaluate(self, config: Mapping[str, Any], ctx: GateContext) -> CheckResult:
        name = analysis_name(config)
        if not self.required(config, ctx):
            return CheckResult.of(CheckStatus.PASS, ["no rollout analysis is required"])
        verdict = ctx.metric_verdicts.get(name)
        if verdict is None:
            return CheckResult.of(CheckStatus.PENDING, [f"analysis {name} has no verdict yet"])
        data = verdict.to_dict()
        reasons = [f"analysis {name}: {verdict.status}", *verdict.reasons]
        status = {"pass": CheckStatus.PASS, "fail": CheckStatus.FAIL}.get(
            verdict.status, CheckStatus.PENDING
        )
        return CheckResult.of(status, reasons, data=data)
