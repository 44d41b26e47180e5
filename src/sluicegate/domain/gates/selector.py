"""Which process an experiment follows: ordered rules by kind, team and risk level.

The first rule whose conditions all hold wins (an absent or empty condition matches
anything); the default applies last::

    rules:
      - {process: payments, teams: [team-payments]}
      - {process: high-risk, risk_levels: [high, critical]}
      - {process: infra, kinds: [infrastructure]}
    default: default
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluicegate.domain.errors import FieldError, InvalidInput

__all__ = ["ProcessSelector", "Selection", "SelectorRule"]

_CONDITIONS = ("kinds", "teams", "risk_levels")


@dataclass(frozen=True, slots=True)
class SelectorRule:
    process: str
    kinds: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()
    risk_levels: frozenset[str] = frozenset()

    def matches(self, kind: str, team: str, risk_level: str) -> bool:
        return (
            (not self.kinds or kind in self.kinds)
            and (not self.teams or team in self.teams)
            and (not self.risk_levels or risk_level in self.risk_levels)
        )


@dataclass(frozen=True, slots=True)
class Selection:
    process: str
    rule: int | None  # index of the matching rule; None: the default

    @property
    def explanation(self) -> str:
        return "default process" if self.rule is None else f"rule {self.rule + 1}"


@dataclass(frozen=True, slots=True)
class ProcessSelector:
    rules: tuple[SelectorRule, ...]
    default: str

    def select(self, kind: str, team: str, risk_level: str) -> Selection:
        for i, rule in enumerate(self.rules):
            if rule.matches(kind, team, risk_level):
                return Selection(rule.process, i)
        return Selection(self.default, None)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ProcessSelector:
        errors: list[FieldError] = []
        default = doc.get("default")
        if not isinstance(default, str) or not default:
            errors.append(FieldError("default", "required: the process used when no rule matches"))
        rules: list[SelectorRule] = []
        raw_rules = doc.get("rules", [])
        if not isinstance(raw_rules, list):
            errors.append(FieldError("rules", "must be a list"))
            raw_rules = []
        for i, raw in enumerate(raw_rules):
            path = f"rules[{i}]"
            if not isinstance(raw, Mapping) or not isinstance(raw.get("process"), str):
                errors.append(FieldError(path, "needs a process name"))
                continue
            conditions: dict[str, frozenset[str]] = {}
            for key in raw:
                if key != "process" and key not in _CONDITIONS:
                    errors.append(FieldError(f"{path}.{key}", "unknown condition"))
            for key in _CONDITIONS:
                value = raw.get(key, [])
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    errors.append(FieldError(f"{path}.{key}", "must be a list of strings"))
                    value = []
                conditions[key] = frozenset(value)
            rules.append(SelectorRule(raw["process"], **conditions))
        if errors:
            raise InvalidInput("invalid process selector", errors=errors)
        return cls(tuple(rules), str(default))
