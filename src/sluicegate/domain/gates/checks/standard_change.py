"""``standard-change``: pre-approved change templates that skip the human approval checks.

Config::

    templates:
      - name: config-tweak
        kinds: [feature]              # empty or absent: any kind
        max_risk: low                 # required: the highest risk level covered
        services: [checkout]          # every affected service must be listed (empty: any)
        environments: [staging]       # target environment must be listed (empty: any)

The check passes and names the template when the experiment matches one; the engine then marks
every human-approval check of the stage not-applicable with reason ``standard change <name>``.
Otherwise it is not applicable and says why each template did not match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluicegate.domain.gates.checks.base import CheckResult, CheckStatus, ConfigIssue, ConfigReader
from sluicegate.domain.gates.context import GateContext
from sluicegate.domain.risk import RiskLevel

__all__ = ["StandardChangeCheck", "matched_template"]

_TEMPLATE_KEYS = ("name", "kinds", "max_risk", "services", "environments", "description")


def _mismatch(template: Mapping[str, Any], ctx: GateContext) -> str | None:
    exp = ctx.experiment
    kinds = template.get("kinds") or []
    if kinds and exp.kind not in kinds:
        return f"kind {exp.kind} is not one of {', '.join(kinds)}"
    level, ceiling = exp.risk_level, RiskLevel(template["max_risk"])
    if level is None or level.rank > ceiling.rank:
        shown = "unknown" if level is None else level.value
        return f"risk level {shown} is above {ceiling.value}"
    services = template.get("services") or []
    outside = sorted(set(exp.services) - set(services)) if services else []
    if outside:
        return f"services {', '.join(outside)} are not covered"
    envs = template.get("environments") or []
    if envs and ctx.environment.name not in envs:
        return f"environment {ctx.environment.name} is not covered"
    return None


def matched_template(result: CheckResult) -> str | None:
    """The standard change a passed standard-change result matched."""
    name = result.data.get("standard_change")
    return str(name) if result.status is CheckStatus.PASS and name else None


class StandardChangeCheck:
    type = "standard-change"
    human_approval = False

    def validate(self, config: Mapping[str, Any]) -> list[ConfigIssue]:
        reader = ConfigReader(config, ("templates",))
        templates = reader.items("templates")
        if not templates and "templates" in config:
            reader.fail(("templates",), "needs at least one template")
        levels = [level.value for level in RiskLevel]
        for i, template in enumerate(templates):
            base: tuple[str | int, ...] = ("templates", i)
            for key in template:
                if key not in _TEMPLATE_KEYS:
                    reader.fail((*base, key), "unknown template setting")
            if not isinstance(template.get("name"), str) or not template.get("name"):
                reader.fail(base, "a standard change needs a name")
            if template.get("max_risk") not in levels:
                reader.fail((*base, "max_risk"), f"required; one of {', '.join(levels)}")
            for key in ("kinds", "services", "environments"):
                reader.strings(key, base=base)
        return reader.issues

    def evaluate(self, config: Mapping[str, Any], ctx: GateContext) -> CheckResult:
        misses: list[str] = []
        for template in config.get("templates", []):
            reason = _mismatch(template, ctx)
            if reason is None:
                name = template["name"]
                return CheckResult.of(
                    CheckStatus.PASS,
                    [f"matches standard change {name}: human approvals are skipped"],
                    data={"standard_change": name},
                )
            misses.append(f"not standard change {template['name']}: {reason}")
        return CheckResult.of(CheckStatus.NOT_APPLICABLE, misses or ["no standard changes"])
