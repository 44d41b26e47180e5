"""Judge configuration: which metrics to compare, how, and how to turn results into a verdict.

``parse_judge_config`` takes a plain mapping (for example what ``yaml.safe_load`` returned) and
either returns a frozen ``JudgeConfig`` or raises ``ConfigError`` naming the offending field, e.g.
``metrics[2].allowed_increase_pct: must be a number >= 0, got 'ten'``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sluicegate.errors import FieldError, InvalidInput

__all__ = [
    "ConfigError",
    "Direction",
    "DistributionTest",
    "EffectSize",
    "JudgeConfig",
    "MetricConfig",
    "MetricKind",
    "MissingPolicy",
    "Semantics",
    "Threshold",
    "parse_judge_config",
]


class ConfigError(InvalidInput, ValueError):
    """A configuration value is missing or invalid; ``field`` names it (dotted path)."""

    code = "invalid-judge-config"
    default_hint = "Fix the named field of the judge configuration (docs/statistics.md)."

    def __init__(self, field_path: str, message: str) -> None:
        super().__init__(f"{field_path}: {message}", errors=[FieldError(field_path, message)])
        self.field = field_path


class Direction(StrEnum):
    """Which movement of the metric is bad."""

    INCREASE = "increase"
    DECREASE = "decrease"
    EITHER = "either"


class MetricKind(StrEnum):
    """What a metric's samples are; it picks the test (docs/statistics.md, ADR 0012).

    ``ratio``: values in [0, 1]; per-request 0/1 indicators get a test on the counts, other
    ratios the rank test.  ``count``: whole numbers >= 0 (rank test, tie-corrected).
    ``continuous`` and ``latency`` (non-negative): the rank test.  A metric that names no kind has
    it inferred from the data (``MetricConfig.kind_given`` is False) and the result says so.
    """

    RATIO = "ratio"  # values in [0, 1], e.g. an error ratio
    LATENCY = "latency"  # non-negative durations
    COUNT = "count"  # non-negative counts or rates
    CONTINUOUS = "continuous"  # any finite values


class Semantics(StrEnum):
    """How High/Low are decided: Sluicegate's own rule, or Kayenta's MannWhitneyClassifier."""

    SLUICEGATE = "sluicegate"
    KAYENTA = "kayenta"


class EffectSize(StrEnum):
    MEAN_RATIO = "mean_ratio"  # mean(canary) / mean(baseline)
    CLES = "cles"  # common-language effect size: P(canary > baseline) + P(equal) / 2


class DistributionTest(StrEnum):
    KS = "ks"  # two-sample Kolmogorov-Smirnov


class MissingPolicy(StrEnum):
    """What a metric with no data (or NaN values) counts as."""

    FAIL = "fail"
    IGNORE = "ignore"
    PASS = "pass"  # noqa: S105 - a verdict, not a password


STATISTICS = ("mean", "median", "p90", "p95", "p99", "max", "min")
QUANTILES = {"p50": 0.5, "median": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99}
KAYENTA_TOLERANCE = 0.25  # Kayenta's MannWhitneyClassifier default


@dataclass(frozen=True, slots=True)
class Threshold:
    """An absolute (SLO-style) bound on a statistic of the canary's samples."""

    max: float | None = None
    min: float | None = None
    statistic: str = "mean"

    def to_dict(self) -> dict[str, Any]:
        return {"max": self.max, "min": self.min, "statistic": self.statistic}


@dataclass(frozen=True, slots=True)
class MetricConfig:
    name: str
    kind: MetricKind = MetricKind.LATENCY
    direction: Direction = Direction.INCREASE
    allowed_increase_pct: float = 0.0
    allowed_decrease_pct: float = 0.0
    critical: bool = False
    group: str = "default"
    threshold: Threshold | None = None
    nodata: MissingPolicy | None = None  # None: use the judge-wide policy
    nan: MissingPolicy | None = None
    min_samples: int = 3
    kind_given: bool = True  # False: ``kind`` was not configured and is inferred from the data
    semantics: Semantics | None = None  # None: the judge-wide semantics
    tolerance: float | None = None  # None: 0, or Kayenta's 0.25 under Kayenta semantics
    effect_size: EffectSize = EffectSize.MEAN_RATIO
    effect_size_thresholds: tuple[float, float] | None = None  # (low, high), Kayenta semantics
    critical_thresholds: tuple[float, float] | None = None  # (low, high), Kayenta semantics
    quantiles: Mapping[str, float] = field(default_factory=dict)  # {"p99": max increase %}
    distribution_test: DistributionTest | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value if self.kind_given else None,
            "direction": self.direction.value,
            "allowed_increase_pct": self.allowed_increase_pct,
            "allowed_decrease_pct": self.allowed_decrease_pct,
            "critical": self.critical,
            "group": self.group,
            "threshold": self.threshold.to_dict() if self.threshold else None,
            "nodata": self.nodata.value if self.nodata else None,
            "nan": self.nan.value if self.nan else None,
            "min_samples": self.min_samples,
            "semantics": self.semantics.value if self.semantics else None,
            "tolerance": self.tolerance,
            "effect_size": self.effect_size.value,
            "effect_size_thresholds": list(self.effect_size_thresholds)
            if self.effect_size_thresholds
            else None,
            "critical_thresholds": list(self.critical_thresholds)
            if self.critical_thresholds
            else None,
            "quantiles": dict(self.quantiles) or None,
            "distribution_test": self.distribution_test.value if self.distribution_test else None,
        }


@dataclass(frozen=True, slots=True)
class JudgeConfig:
    metrics: tuple[MetricConfig, ...]
    groups: Mapping[str, float] = field(default_factory=dict)
    pass_score: float = 90.0
    marginal_score: float = 75.0
    nodata: MissingPolicy = MissingPolicy.FAIL
    nan: MissingPolicy = MissingPolicy.FAIL
    confidence: float = 0.95
    semantics: Semantics = Semantics.SLUICEGATE

    def group_weight(self, group: str) -> float:
        return float(self.groups.get(group, 0.0 if self.groups else 1.0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "metrics": [m.to_dict() for m in self.metrics],
            "groups": dict(self.groups),
            "score": {"pass": self.pass_score, "marginal": self.marginal_score},
            "nodata": self.nodata.value,
            "nan": self.nan.value,
            "confidence": self.confidence,
            "semantics": self.semantics.value,
        }


def _number(value: Any, path: str, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(path, f"must be a finite number, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"in [{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
        raise ConfigError(path, f"must be {bounds}, got {value!r}")
    return float(value)


def _enum(kind: type[StrEnum], value: Any, path: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = " | ".join(m.value for m in kind)
        raise ConfigError(path, f"must be one of {allowed}, got {value!r}") from None


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(path, f"must be a mapping, got {type(value).__name__}")
    return value


def _reject_unknown(data: Mapping[str, Any], allowed: set[str], path: str) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise ConfigError(f"{path}.{unknown[0]}" if path else unknown[0], "unknown field")


def _threshold(value: Any, path: str) -> Threshold:
    data = _mapping(value, path)
    _reject_unknown(data, {"max", "min", "statistic"}, path)
    upper = _number(data["max"], f"{path}.max") if data.get("max") is not None else None
    lower = _number(data["min"], f"{path}.min") if data.get("min") is not None else None
    if upper is None and lower is None:
        raise ConfigError(path, "needs max, min or both")
    if upper is not None and lower is not None and lower > upper:
        raise ConfigError(f"{path}.min", f"must not exceed max ({upper}), got {lower}")
    statistic = data.get("statistic", "mean")
    if statistic not in STATISTICS:
        raise ConfigError(f"{path}.statistic", f"must be one of {' | '.join(STATISTICS)}")
    return Threshold(max=upper, min=lower, statistic=str(statistic))


_METRIC_FIELDS = {
    "name",
    "kind",
    "direction",
    "allowed_increase_pct",
    "allowed_decrease_pct",
    "critical",
    "group",
    "threshold",
    "nodata",
    "nan",
    "min_samples",
    "semantics",
    "tolerance",
    "effect_size",
    "effect_size_thresholds",
    "critical_thresholds",
    "quantiles",
    "distribution_test",
}


def _pair(value: Any, path: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ConfigError(path, f"must be a list [low, high] of two numbers, got {value!r}")
    # No order is imposed, as in Kayenta (its own suite uses critical thresholds (1.2, 1.0)).
    return (_number(value[0], f"{path}[0]", low=0.0), _number(value[1], f"{path}[1]", low=0.0))


def _quantiles(value: Any, path: str) -> dict[str, float]:
    data = _mapping(value, path)
    out: dict[str, float] = {}
    for key, pct in data.items():
        if key not in QUANTILES or key in ("p50", "median"):
            allowed = " | ".join(k for k in QUANTILES if k not in ("p50", "median"))
            raise ConfigError(f"{path}.{key}", f"must be one of {allowed}")
        out[str(key)] = _number(pct, f"{path}.{key}", low=0.0)
    if not out:
        raise ConfigError(path, "names no quantile (for example {p99: 10})")
    return out


def _metric(value: Any, path: str) -> MetricConfig:
    data = _mapping(value, path)
    _reject_unknown(data, _METRIC_FIELDS, path)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{path}.name", "is required and must be a non-empty string")
    critical = data.get("critical", False)
    if not isinstance(critical, bool):
        raise ConfigError(f"{path}.critical", f"must be true or false, got {critical!r}")
    group = data.get("group", "default")
    if not isinstance(group, str) or not group:
        raise ConfigError(f"{path}.group", "must be a non-empty string")
    min_samples = data.get("min_samples", 3)
    if isinstance(min_samples, bool) or not isinstance(min_samples, int) or min_samples < 1:
        raise ConfigError(f"{path}.min_samples", f"must be an integer >= 1, got {min_samples!r}")
    kind_given = data.get("kind") is not None
    return MetricConfig(
        name=name,
        kind=_enum(MetricKind, data["kind"], f"{path}.kind") if kind_given else MetricKind.LATENCY,
        kind_given=kind_given,
        direction=_enum(Direction, data.get("direction", "increase"), f"{path}.direction"),
        allowed_increase_pct=_number(
            data.get("allowed_increase_pct", 0.0), f"{path}.allowed_increase_pct", low=0.0
        ),
        allowed_decrease_pct=_number(
            data.get("allowed_decrease_pct", 0.0), f"{path}.allowed_decrease_pct", low=0.0, high=100
        ),
        critical=critical,
        group=group,
        threshold=_threshold(data["threshold"], f"{path}.threshold")
        if data.get("threshold") is not None
        else None,
        nodata=_enum(MissingPolicy, data["nodata"], f"{path}.nodata") if "nodata" in data else None,
        nan=_enum(MissingPolicy, data["nan"], f"{path}.nan") if "nan" in data else None,
        min_samples=min_samples,
        semantics=_enum(Semantics, data["semantics"], f"{path}.semantics")
        if data.get("semantics") is not None
        else None,
        tolerance=_number(data["tolerance"], f"{path}.tolerance", low=0.0)
        if data.get("tolerance") is not None
        else None,
        effect_size=_enum(
            EffectSize, data.get("effect_size") or "mean_ratio", f"{path}.effect_size"
        ),
        effect_size_thresholds=_pair(
            data["effect_size_thresholds"], f"{path}.effect_size_thresholds"
        )
        if data.get("effect_size_thresholds") is not None
        else None,
        critical_thresholds=_pair(data["critical_thresholds"], f"{path}.critical_thresholds")
        if data.get("critical_thresholds") is not None
        else None,
        quantiles=_quantiles(data["quantiles"], f"{path}.quantiles")
        if data.get("quantiles") is not None
        else {},
        distribution_test=_enum(
            DistributionTest, data["distribution_test"], f"{path}.distribution_test"
        )
        if data.get("distribution_test") is not None
        else None,
    )


def parse_judge_config(data: Any) -> JudgeConfig:
    """Validate a plain mapping into a ``JudgeConfig``; raises ``ConfigError`` naming the field."""
    root = _mapping(data, "config")
    _reject_unknown(
        root, {"metrics", "groups", "score", "nodata", "nan", "confidence", "semantics"}, ""
    )
    raw_metrics = root.get("metrics")
    if not isinstance(raw_metrics, list) or not raw_metrics:
        raise ConfigError("metrics", "is required and must be a non-empty list")
    metrics = tuple(_metric(m, f"metrics[{i}]") for i, m in enumerate(raw_metrics))
    seen: set[str] = set()
    for i, metric in enumerate(metrics):
        if metric.name in seen:
            raise ConfigError(f"metrics[{i}].name", f"duplicate metric {metric.name!r}")
        seen.add(metric.name)
    groups: dict[str, float] = {}
    for key, weight in _mapping(root.get("groups", {}), "groups").items():
        groups[str(key)] = _number(weight, f"groups.{key}", low=0.0)
    if groups:
        for i, metric in enumerate(metrics):
            if metric.group not in groups:
                raise ConfigError(f"metrics[{i}].group", f"{metric.group!r} is not in groups")
        if sum(groups.values()) <= 0:
            raise ConfigError("groups", "weights must not all be zero")
    score = _mapping(root.get("score", {}), "score")
    _reject_unknown(score, {"pass", "marginal"}, "score")
    pass_score = _number(score.get("pass", 90.0), "score.pass", low=0.0, high=100.0)
    marginal = _number(score.get("marginal", 75.0), "score.marginal", low=0.0, high=100.0)
    if marginal > pass_score:
        raise ConfigError("score.marginal", f"must not exceed score.pass ({pass_score})")
    confidence = _number(root.get("confidence", 0.95), "confidence", low=0.5, high=0.999999)
    return JudgeConfig(
        metrics=metrics,
        groups=groups,
        pass_score=pass_score,
        marginal_score=marginal,
        nodata=_enum(MissingPolicy, root.get("nodata", "fail"), "nodata"),
        nan=_enum(MissingPolicy, root.get("nan", "fail"), "nan"),
        confidence=confidence,
        semantics=_enum(Semantics, root.get("semantics") or "sluicegate", "semantics"),
    )
