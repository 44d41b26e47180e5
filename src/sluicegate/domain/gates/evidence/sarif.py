"""SARIF 2.1.0 static-analysis results, with GitHub's ``security-severity`` convention."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sluicegate.domain.gates.evidence.document import parse_json
from sluicegate.domain.gates.evidence.errors import DEFAULT_MAX_BYTES, EvidenceError

__all__ = ["LEVELS", "SEVERITIES", "SarifFacts", "parse_sarif", "security_severity_bucket"]

_KIND = "sarif"
LEVELS = ("error", "warning", "note", "none")
SEVERITIES = ("critical", "high", "medium", "low", "unrated")


def security_severity_bucket(score: float | None) -> str:
    """GitHub: critical >= 9.0, high >= 7.0, medium >= 4.0, low > 0; else unrated."""
    if score is None or score <= 0:
        return "unrated"
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low"


@dataclass(frozen=True, slots=True)
class SarifFacts:
    """Counts of unsuppressed results by level and security severity, overall and per tool."""

    total: int
    suppressed: int
    by_level: Mapping[str, int]
    by_security_severity: Mapping[str, int]
    by_tool: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    kind = _KIND
    namespace = "sarif"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "total": self.total,
            "suppressed": self.suppressed,
            **{level: self.by_level[level] for level in LEVELS},
            **{sev: self.by_security_severity[sev] for sev in SEVERITIES},
            "by_level": dict(self.by_level),
            "by_security_severity": dict(self.by_security_severity),
            "by_tool": {k: dict(v) for k, v in self.by_tool.items()},
        }


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EvidenceError(_KIND, f"{where} must be an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise EvidenceError(_KIND, f"{where} must be an array")
    return value


def _score(props: Any) -> float | None:
    if not isinstance(props, dict) or "security-severity" not in props:
        return None
    raw = props["security-severity"]
    if isinstance(raw, bool):
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


def _rule_for(result: dict[str, Any], rules: list[Any]) -> dict[str, Any]:
    index = result.get("ruleIndex")
    if index is None and isinstance(result.get("rule"), dict):
        index = result["rule"].get("index")
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(rules):
        rule = rules[index]
        return rule if isinstance(rule, dict) else {}
    rule_id = result.get("ruleId")
    for rule in rules:
        if isinstance(rule, dict) and rule_id is not None and rule.get("id") == rule_id:
            return rule
    return {}


def _is_suppressed(result: dict[str, Any]) -> bool:
    suppressions = result.get("suppressions")
    if not isinstance(suppressions, list) or not suppressions:
        return False
    return any(
        isinstance(s, dict) and s.get("status", "accepted") == "accepted" for s in suppressions
    )


def _level(result: dict[str, Any], rule: dict[str, Any], where: str) -> str:
    level = result.get("level")
    if level is None:
        default = rule.get("defaultConfiguration")
        level = default.get("level") if isinstance(default, dict) else None
    if level is None:
        return "warning"  # SARIF 2.1.0 §3.27.10: the default level is "warning"
    if level not in LEVELS:
        raise EvidenceError(_KIND, f"{where}.level {level!r} is not one of {', '.join(LEVELS)}")
    return str(level)


def parse_sarif(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SarifFacts:
    doc = _obj(parse_json(_KIND, data, max_bytes=max_bytes), "the SARIF log")
    version = doc.get("version")
    if version != "2.1.0":
        raise EvidenceError(_KIND, f"unsupported SARIF version {version!r} (expected '2.1.0')")
    runs = _list(doc.get("runs"), "runs")
    by_level = dict.fromkeys(LEVELS, 0)
    by_sev = dict.fromkeys(SEVERITIES, 0)
    by_tool: dict[str, dict[str, Any]] = {}
    total = suppressed = 0
    for i, raw_run in enumerate(runs):
        run = _obj(raw_run, f"runs[{i}]")
        driver = _obj(_obj(run.get("tool"), f"runs[{i}].tool").get("driver"), "tool.driver")
        tool = driver.get("name")
        if not isinstance(tool, str) or not tool:
            raise EvidenceError(_KIND, f"runs[{i}].tool.driver.name is missing")
        rules = _list(driver.get("rules", []), f"runs[{i}].tool.driver.rules")
        stats = by_tool.setdefault(
            tool,
            {
                "total": 0,
                "by_level": dict.fromkeys(LEVELS, 0),
                "by_security_severity": dict.fromkeys(SEVERITIES, 0),
            },
        )
        for j, raw_result in enumerate(_list(run.get("results", []), f"runs[{i}].results")):
            where = f"runs[{i}].results[{j}]"
            result = _obj(raw_result, where)
            if _is_suppressed(result):
                suppressed += 1
                continue
            rule = _rule_for(result, rules)
            level = _level(result, rule, where)
            score = _score(result.get("properties"))
            if score is None:
                score = _score(rule.get("properties"))
            sev = security_severity_bucket(score)
            total += 1
            by_level[level] += 1
            by_sev[sev] += 1
            stats["total"] += 1
            stats["by_level"][level] += 1
            stats["by_security_severity"][sev] += 1
    return SarifFacts(
        total=total,
        suppressed=suppressed,
        by_level=by_level,
        by_security_severity=by_sev,
        by_tool=by_tool,
    )
