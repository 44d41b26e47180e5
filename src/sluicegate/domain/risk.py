"""The risk engine: data sensitivity x user impact x system criticality -> a risk level.

A :class:`RiskMatrix` gives each factor value a weight; the product of the three weights falls into
a band that gives the base level. Escalation rules then raise the level when their conditions hold;
the highest result wins. The :class:`RiskAssessment` explains which factor and which rule decided
it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sluicegate.domain.access.identity import ReviewerDomain
from sluicegate.domain.errors import FieldError, InvalidRiskMatrix

__all__ = [
    "FACTOR_VALUES",
    "DataClassification",
    "Escalation",
    "LevelPolicy",
    "RiskAssessment",
    "RiskFactors",
    "RiskLevel",
    "RiskMatrix",
    "SystemCriticality",
    "UserImpact",
]


class DataClassification(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED_PII = "restricted-pii"


class UserImpact(StrEnum):
    NONE = "none"
    INTERNAL = "internal"
    SEGMENT = "segment"
    ALL = "all"


class SystemCriticality(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    MISSION_CRITICAL = "mission-critical"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _LEVEL_ORDER.index(self)


_LEVEL_ORDER = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.CRITICAL]

FACTOR_VALUES: Mapping[str, tuple[str, ...]] = {
    "data_classification": tuple(v.value for v in DataClassification),
    "user_impact": tuple(v.value for v in UserImpact),
    "system_criticality": tuple(v.value for v in SystemCriticality),
}


@dataclass(frozen=True, slots=True)
class RiskFactors:
    data_classification: DataClassification
    user_impact: UserImpact
    system_criticality: SystemCriticality

    def as_dict(self) -> dict[str, str]:
        return {
            "data_classification": self.data_classification.value,
            "user_impact": self.user_impact.value,
            "system_criticality": self.system_criticality.value,
        }


@dataclass(frozen=True, slots=True)
class Escalation:
    name: str
    description: str
    when: Mapping[str, frozenset[str]]
    at_least: RiskLevel

    def matches(self, factors: Mapping[str, str]) -> bool:
        return all(factors[name] in allowed for name, allowed in self.when.items())


@dataclass(frozen=True, slots=True)
class LevelPolicy:
    signoffs: tuple[ReviewerDomain, ...]
    evidence: tuple[str, ...]
    environments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    """The level and why: ``decided_by`` names the rule; ``explanation`` says it in words."""

    level: RiskLevel
    score: int
    base_level: RiskLevel
    decided_by: str
    dominant_factor: str
    escalations_applied: tuple[str, ...]
    explanation: str
    required_signoffs: tuple[ReviewerDomain, ...]
    required_evidence: tuple[str, ...]
    allowed_environments: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "score": self.score,
            "base_level": self.base_level.value,
            "decided_by": self.decided_by,
            "dominant_factor": self.dominant_factor,
            "escalations_applied": list(self.escalations_applied),
            "explanation": self.explanation,
            "required_signoffs": [d.value for d in self.required_signoffs],
            "required_evidence": list(self.required_evidence),
            "allowed_environments": list(self.allowed_environments),
        }


@dataclass(frozen=True, slots=True)
class RiskMatrix:
    weights: Mapping[str, Mapping[str, int]]
    bands: tuple[tuple[int, RiskLevel], ...]
    escalations: tuple[Escalation, ...]
    levels: Mapping[RiskLevel, LevelPolicy]
    source: Mapping[str, Any]

    @classmethod
    def from_dict(cls, doc: object) -> RiskMatrix:
        """Validate a matrix document (parsed YAML/JSON); every problem is named by its path."""
        return _parse(doc)

    def assess(self, factors: RiskFactors) -> RiskAssessment:
        values = factors.as_dict()
        contributions = {name: self.weights[name][value] for name, value in values.items()}
        score = 1
        for weight in contributions.values():
            score *= weight
        base = next(level for upper, level in self.bands if score <= upper)
        dominant = max(contributions, key=lambda name: (contributions[name], name))
        formula = " x ".join(f"{name}={values[name]} ({w})" for name, w in contributions.items())
        level, decided_by = base, f"band:{base.value}"
        explanation = f"score {score} = {formula} falls in the {base.value} band"
        applied: list[str] = []
        for rule in self.escalations:
            if rule.matches(values):
                applied.append(rule.name)
                if rule.at_least.rank > level.rank:
                    level, decided_by = rule.at_least, f"escalation:{rule.name}"
                    explanation = (
                        f"escalation {rule.name!r} raised the level from {base.value} to "
                        f"{rule.at_least.value}: {rule.description} (base: {explanation})"
                    )
        if decided_by.startswith("escalation:"):
            rule_name = decided_by.split(":", 1)[1]
            rule = next(r for r in self.escalations if r.name == rule_name)
            dominant = sorted(rule.when)[0] if len(rule.when) == 1 else "+".join(sorted(rule.when))
        policy = self.levels[level]
        return RiskAssessment(
            level=level,
            score=score,
            base_level=base,
            decided_by=decided_by,
            dominant_factor=dominant,
            escalations_applied=tuple(applied),
            explanation=explanation,
            required_signoffs=policy.signoffs,
            required_evidence=policy.evidence,
            allowed_environments=policy.environments,
        )


def _parse(doc: object) -> RiskMatrix:  # noqa: PLR0912 - one linear validation pass, kept together
    errors: list[FieldError] = []
    if not isinstance(doc, Mapping):
        raise InvalidRiskMatrix(
            "risk matrix must be a mapping", errors=[FieldError("", "expected a mapping")]
        )
    weights: dict[str, dict[str, int]] = {}
    factors = doc.get("factors")
    if not isinstance(factors, Mapping):
        errors.append(FieldError("factors", "required mapping of factor -> value -> weight"))
    else:
        for name, values in FACTOR_VALUES.items():
            given = factors.get(name)
            if not isinstance(given, Mapping):
                errors.append(FieldError(f"factors.{name}", "required mapping of value -> weight"))
                continue
            for value in values:
                w = given.get(value)
                if not isinstance(w, int) or isinstance(w, bool) or w < 1:
                    errors.append(FieldError(f"factors.{name}.{value}", "weight must be int >= 1"))
            for extra in set(given) - set(values):
                errors.append(FieldError(f"factors.{name}.{extra}", "unknown factor value"))
            weights[name] = {k: v for k, v in given.items() if isinstance(v, int)}
        for extra in set(factors) - set(FACTOR_VALUES):
            errors.append(FieldError(f"factors.{extra}", "unknown factor"))
    bands: list[tuple[int, RiskLevel]] = []
    raw_bands = doc.get("bands")
    if not isinstance(raw_bands, Sequence) or isinstance(raw_bands, str) or not raw_bands:
        errors.append(FieldError("bands", "required non-empty list of {max, level}"))
    else:
        for i, band in enumerate(raw_bands):
            path = f"bands[{i}]"
            if not isinstance(band, Mapping):
                errors.append(FieldError(path, "expected {max, level}"))
                continue
            upper, level = band.get("max"), _level(band.get("level"), f"{path}.level", errors)
            if not isinstance(upper, int) or isinstance(upper, bool):
                errors.append(FieldError(f"{path}.max", "must be an integer"))
            elif level is not None:
                if bands and upper <= bands[-1][0]:
                    errors.append(FieldError(f"{path}.max", "bands must increase"))
                bands.append((upper, level))
        if bands and weights and len(weights) == len(FACTOR_VALUES):
            top = 1
            for per_factor in weights.values():
                top *= max(per_factor.values(), default=1)
            if bands[-1][0] < top:
                errors.append(
                    FieldError("bands", f"the last band must cover the highest score ({top})")
                )
    escalations = _parse_escalations(doc.get("escalations", []), errors)
    levels = _parse_levels(doc.get("levels"), errors)
    if errors:
        raise InvalidRiskMatrix(f"invalid risk matrix: {len(errors)} problem(s)", errors=errors)
    return RiskMatrix(
        weights=weights,
        bands=tuple(bands),
        escalations=tuple(escalations),
        levels=levels,
        source=dict(doc),
    )


def _level(value: object, path: str, errors: list[FieldError]) -> RiskLevel | None:
    try:
        return RiskLevel(str(value))
    except ValueError:
        allowed = ", ".join(level.value for level in RiskLevel)
        errors.append(FieldError(path, f"unknown level {value!r}; expected one of {allowed}"))
        return None


def _parse_escalations(raw: object, errors: list[FieldError]) -> list[Escalation]:
    out: list[Escalation] = []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        errors.append(FieldError("escalations", "must be a list"))
        return out
    for i, rule in enumerate(raw):
        path = f"escalations[{i}]"
        if not isinstance(rule, Mapping) or not isinstance(rule.get("name"), str):
            errors.append(FieldError(path, "expected a mapping with a name"))
            continue
        when = rule.get("when")
        parsed: dict[str, frozenset[str]] = {}
        if not isinstance(when, Mapping) or not when:
            errors.append(FieldError(f"{path}.when", "required non-empty mapping"))
        else:
            for factor, values in when.items():
                if factor not in FACTOR_VALUES:
                    errors.append(FieldError(f"{path}.when.{factor}", "unknown factor"))
                    continue
                vals = [values] if isinstance(values, str) else values
                if not isinstance(vals, Sequence) or any(
                    v not in FACTOR_VALUES[factor] for v in vals
                ):
                    errors.append(
                        FieldError(
                            f"{path}.when.{factor}",
                            f"values must be among {', '.join(FACTOR_VALUES[factor])}",
                        )
                    )
                    continue
                parsed[factor] = frozenset(vals)
        level = _level(rule.get("at_least"), f"{path}.at_least", errors)
        if level is not None and parsed:
            out.append(Escalation(rule["name"], str(rule.get("description", "")), parsed, level))
    return out


def _parse_levels(raw: object, errors: list[FieldError]) -> dict[RiskLevel, LevelPolicy]:
    out: dict[RiskLevel, LevelPolicy] = {}
    if not isinstance(raw, Mapping):
        errors.append(FieldError("levels", "required mapping of level -> policy"))
        return out
    for level in RiskLevel:
        path = f"levels.{level.value}"
        policy = raw.get(level.value)
        if not isinstance(policy, Mapping):
            errors.append(FieldError(path, "required: signoffs, evidence, environments"))
            continue
        lists: dict[str, tuple[str, ...]] = {}
        for key in ("signoffs", "evidence", "environments"):
            value = policy.get(key, [])
            if not isinstance(value, Sequence) or isinstance(value, str):
                errors.append(FieldError(f"{path}.{key}", "must be a list of strings"))
                value = []
            lists[key] = tuple(str(v) for v in value)
        domains: list[ReviewerDomain] = []
        for j, d in enumerate(lists["signoffs"]):
            try:
                domains.append(ReviewerDomain(d))
            except ValueError:
                allowed = ", ".join(x.value for x in ReviewerDomain)
                errors.append(
                    FieldError(f"{path}.signoffs[{j}]", f"unknown domain {d!r}; one of {allowed}")
                )
        out[level] = LevelPolicy(tuple(domains), lists["evidence"], lists["environments"])
    for extra in set(raw) - {lv.value for lv in RiskLevel}:
        errors.append(FieldError(f"levels.{extra}", "unknown level"))
    return out
