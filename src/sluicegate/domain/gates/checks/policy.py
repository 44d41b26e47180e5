"""``policy``: evaluate the Rego bundle (through the injected evaluator) on the input document.

Config::

    packages: [sluicegate.pii, sluicegate.coverage]   # optional: only these packages count
    schedule: {...}       # optional schedule config; its result is ``input.schedule``

``deny`` messages fail the check; ``warn`` messages become warnings and never block. Without a
policy evaluator in the context the check fails closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluicegate.domain.gates.checks.base import CheckResult, CheckStatus, ConfigIssue, ConfigReader
from sluicegate.domain.gates.checks.schedule import ScheduleCheck
from sluicegate.domain.gates.context import GateContext
from sluicegate.domain.gates.policy_input import build_policy_input
from sluicegate.domain.gates.schedule import evaluate_schedule

__all__ = ["PolicyCheck"]

_SETTINGS = ("packages", "schedule")


def _selected(package: str, packages: list[str]) -> bool:
    return not packages or any(package == p or package.startswith(p + ".") for p in packages)


class PolicyCheck:
    type = "policy"
    human_approval = False

    def validate(self, config: Mapping[str, Any]) -> list[ConfigIssue]:
        reader = ConfigReader(config, _SETTINGS)
        reader.strings("packages")
        issues = reader.issues
        if "schedule" in config:
            nested = ScheduleCheck().validate(config["schedule"])
            issues.extend(ConfigIssue(("schedule", *i.path), i.reason) for i in nested)
        return issues

    def evaluate(self, config: Mapping[str, Any], ctx: GateContext) -> CheckResult:
        if ctx.policy is None:
            return CheckResult.of(CheckStatus.FAIL, ["no policy engine is wired to this gate"])
        schedule = None
        if "schedule" in config:
            name = str(config["schedule"].get("environment", ctx.environment.name))
            schedule_config = {k: v for k, v in config["schedule"].items() if k != "environment"}
            schedule = evaluate_schedule(schedule_config, name, ctx.now).to_dict()
        verdict = ctx.policy(build_policy_input(ctx, schedule))
        packages = list(config.get("packages", []))
        deny = [f"{pkg}: {msg}" for pkg, msg in verdict.deny if _selected(pkg, packages)]
        warn = [f"{pkg}: {msg}" for pkg, msg in verdict.warn if _selected(pkg, packages)]
        data = {"revision": verdict.revision}
        if deny:
            return CheckResult.of(CheckStatus.FAIL, deny, warnings=warn, data=data)
        reasons = [f"no policy denies (bundle {verdict.revision})"]
        return CheckResult.of(CheckStatus.PASS, reasons, warnings=warn, data=data)
