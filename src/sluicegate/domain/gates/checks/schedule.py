"""``schedule``: freeze windows and business hours of the target environment.

Config is a :mod:`sluicegate.domain.gates.schedule` configuration (``timezone``, ``environments``)
plus an optional ``environment`` naming the schedule to use instead of the target
environment's name. An environment without a schedule (and no ``default``) is not applicable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sluicegate.domain.gates.checks.base import CheckResult, CheckStatus, ConfigIssue
from sluicegate.domain.gates.context import GateContext
from sluicegate.domain.gates.schedule import (
    ScheduleConfigError,
    evaluate_schedule,
    validate_schedule_config,
)

__all__ = ["ScheduleCheck"]

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _path(message: str) -> tuple[tuple[str | int, ...], str]:
    """Split ``environments.prod.freeze_windows[0].start: reason`` into a path and a reason."""
    head, sep, reason = message.partition(": ")
    if not sep or " " in head:
        return (), message
    parts: list[str | int] = []
    for name, index in _PATH_PART.findall(head):
        parts.append(int(index) if index else name)
    return tuple(parts), reason


class ScheduleCheck:
    type = "schedule"
    human_approval = False

    def validate(self, config: Mapping[str, Any]) -> list[ConfigIssue]:
        raw: object = config  # reached from the policy check's nested, unvalidated config
        if not isinstance(raw, Mapping):
            return [ConfigIssue((), "must be a mapping")]
        issues: list[ConfigIssue] = []
        for key in config:
            if key not in ("timezone", "environments", "environment"):
                issues.append(ConfigIssue((key,), "unknown setting"))
        if "environment" in config and not isinstance(config["environment"], str):
            issues.append(ConfigIssue(("environment",), "must be a string"))
        try:
            validate_schedule_config({k: v for k, v in config.items() if k != "environment"})
        except ScheduleConfigError as exc:
            path, reason = _path(str(exc))
            issues.append(ConfigIssue(path, reason))
        return issues

    def evaluate(self, config: Mapping[str, Any], ctx: GateContext) -> CheckResult:
        name = str(config.get("environment", ctx.environment.name))
        envs = config.get("environments", {})
        if name not in envs and "default" not in envs:
            return CheckResult.of(
                CheckStatus.NOT_APPLICABLE, [f"no schedule applies to environment {name}"]
            )
        schedule_config = {k: v for k, v in config.items() if k != "environment"}
        result = evaluate_schedule(schedule_config, name, ctx.now)
        data = result.to_dict()
        if result.status == "pass":
            return CheckResult.of(CheckStatus.PASS, [f"{name} is open for promotions"], data=data)
        reasons = list(result.reasons)
        if result.next_open is not None:
            reasons.append(f"next opening: {result.next_open.isoformat()}")
        return CheckResult.of(CheckStatus.FAIL, reasons, data=data)
