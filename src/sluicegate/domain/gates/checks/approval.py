"""``approval``: n-of-m approvals per role or reviewer domain, with separation of duties.

Config::

    rules:                       # each rule: exactly one of role / domain
      - {role: service-owner, min: 1}
      - {domain: security, min: 1, eligible: [dana, erin, farid]}   # n-of-m
    risk_signoffs: true          # add one approval per RiskAssessment.required_signoffs domain
    expires_after: 7d            # approvals older than this no longer count
    rejection_blocks: true       # a valid rejection fails the check
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluicegate.domain.access.identity import ReviewerDomain
from sluicegate.domain.gates.checks.base import CheckResult, CheckStatus, ConfigIssue, ConfigReader
from sluicegate.domain.gates.checks.reviews import tally
from sluicegate.domain.gates.context import Approval, GateContext
from sluicegate.domain.gates.durations import parse_duration

__all__ = ["ApprovalCheck"]

_SETTINGS = ("rules", "risk_signoffs", "expires_after", "rejection_blocks")
_RULE_KEYS = ("role", "domain", "min", "eligible")


def _matches(rule: Mapping[str, Any], approval: Approval) -> bool:
    eligible = rule.get("eligible")
    if eligible and approval.by not in eligible:
        return False
    if "role" in rule:
        return bool(approval.role == rule["role"])
    return str(rule["domain"]) in approval.domains


def _label(rule: Mapping[str, Any]) -> str:
    what = f"role {rule['role']}" if "role" in rule else f"domain {rule['domain']}"
    eligible = rule.get("eligible")
    if eligible:
        what += f" from {{{', '.join(eligible)}}}"
    return what


class ApprovalCheck:
    type = "approval"
    human_approval = True

    def validate(self, config: Mapping[str, Any]) -> list[ConfigIssue]:
        reader = ConfigReader(config, _SETTINGS)
        reader.boolean("risk_signoffs")
        reader.boolean("rejection_blocks")
        reader.duration("expires_after")
        domains = [d.value for d in ReviewerDomain]
        for i, rule in enumerate(reader.items("rules")):
            base: tuple[str | int, ...] = ("rules", i)
            for key in rule:
                if key not in _RULE_KEYS:
                    reader.fail((*base, key), f"unknown rule setting (known: {_RULE_KEYS})")
            if ("role" in rule) == ("domain" in rule):
                reader.fail(base, "a rule needs exactly one of 'role' or 'domain'")
            if "domain" in rule and rule["domain"] not in domains:
                reader.fail((*base, "domain"), f"unknown domain; one of {', '.join(domains)}")
            reader.integer("min", 1, base=base)
            eligible = reader.strings("eligible", base=base)
            if (
                eligible
                and isinstance(rule.get("min", 1), int)
                and rule.get("min", 1) > len(eligible)
            ):
                reader.fail((*base, "min"), "min is larger than the eligible pool")
        return reader.issues

    def rules(self, config: Mapping[str, Any], ctx: GateContext) -> list[Mapping[str, Any]]:
        rules: list[Mapping[str, Any]] = [dict(r) for r in config.get("rules", [])]
        if config.get("risk_signoffs", True):
            covered = {r["domain"] for r in rules if "domain" in r and not r.get("eligible")}
            for domain in ctx.experiment.risk_list("required_signoffs"):
                if domain not in covered:
                    rules.append({"domain": domain, "min": 1, "from_risk": True})
        return rules

    def evaluate(self, config: Mapping[str, Any], ctx: GateContext) -> CheckResult:
        rules = self.rules(config, ctx)
        if not rules:
            return CheckResult.of(CheckStatus.NOT_APPLICABLE, ["no approvals are required"])
        ttl = parse_duration(config["expires_after"]) if "expires_after" in config else None
        reviews = tally(ctx, ttl)
        data: dict[str, Any] = {
            "approved_by": sorted(a.by for a in reviews.approvals),
            "rejected_by": sorted(a.by for a in reviews.rejections),
        }
        rejections = [
            f"rejected by {r.by} ({r.role})" + (f": {r.comment}" if r.comment else "")
            for r in reviews.rejections
        ]
        if rejections and config.get("rejection_blocks", True):
            return CheckResult.of(CheckStatus.FAIL, [*rejections, *reviews.notes], data=data)
        missing: list[str] = []
        satisfied: list[str] = []
        for rule in rules:
            who = sorted({a.by for a in reviews.approvals if _matches(rule, a)})
            need = int(rule.get("min", 1))
            source = " (required by the risk level)" if rule.get("from_risk") else ""
            text = f"{_label(rule)}: {len(who)} of {need} approval(s){source}"
            if len(who) >= need:
                satisfied.append(f"{text} by {', '.join(who)}")
            else:
                missing.append(f"needs {text}" + (f" (have {', '.join(who)})" if who else ""))
        warnings = [f"{r} (does not block)" for r in rejections]
        if missing:
            return CheckResult.of(
                CheckStatus.PENDING, [*missing, *reviews.notes], warnings=warnings, data=data
            )
        return CheckResult.of(
            CheckStatus.PASS, [*satisfied, *reviews.notes], warnings=warnings, data=data
        )
