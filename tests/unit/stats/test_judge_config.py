"""Parsing the judge configuration: defaults, the documented example, and errors naming fields."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from sluicegate.stats import (
    ConfigError,
    Direction,
    MetricKind,
    MissingPolicy,
    parse_judge_config,
)

EXAMPLE = """
metrics:
  - name: latency_p99_ms
    kind: latency
    direction: increase
    allowed_increase_pct: 10
    critical: true
    group: latency
    threshold: {max: 300}
  - name: error_ratio
    kind: ratio
    direction: increase
    group: errors
groups: {latency: 50, errors: 50}
score: {pass: 90, marginal: 75}
nodata: fail
"""


def test_documented_example_parses() -> None:
    cfg = parse_judge_config(yaml.safe_load(EXAMPLE))
    latency, errors = cfg.metrics
    assert latency.kind is MetricKind.LATENCY
    assert latency.allowed_increase_pct == 10.0
    assert latency.critical
    assert latency.threshold is not None
    assert latency.threshold.max == 300.0
    assert errors.kind is MetricKind.RATIO
    assert errors.direction is Direction.INCREASE
    assert cfg.group_weight("latency") == 50.0
    assert (cfg.pass_score, cfg.marginal_score) == (90.0, 75.0)
    assert cfg.nodata is MissingPolicy.FAIL


def test_defaults_fail_closed() -> None:
    cfg = parse_judge_config({"metrics": [{"name": "m"}]})
    assert cfg.nodata is MissingPolicy.FAIL
    assert cfg.nan is MissingPolicy.FAIL
    assert cfg.metrics[0].direction is Direction.INCREASE
    assert cfg.group_weight("default") == 1.0


def test_round_trips_through_to_dict() -> None:
    cfg = parse_judge_config(yaml.safe_load(EXAMPLE))
    data = cfg.to_dict()
    data["metrics"] = [{k: v for k, v in m.items() if v is not None} for m in data["metrics"]]
    for metric in data["metrics"]:
        metric["threshold"] = {
            k: v for k, v in metric.get("threshold", {}).items() if v is not None
        }
        if not metric["threshold"]:
            del metric["threshold"]
    assert parse_judge_config(data) == cfg


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ([], "config"),
        ({}, "metrics"),
        ({"metrics": []}, "metrics"),
        ({"metrics": [{"kind": "latency"}]}, "metrics[0].name"),
        ({"metrics": [{"name": "a", "kind": "speed"}]}, "metrics[0].kind"),
        ({"metrics": [{"name": "a", "direction": "up"}]}, "metrics[0].direction"),
        (
            {"metrics": [{"name": "a", "allowed_increase_pct": "ten"}]},
            "metrics[0].allowed_increase_pct",
        ),
        (
            {"metrics": [{"name": "a", "allowed_increase_pct": -1}]},
            "metrics[0].allowed_increase_pct",
        ),
        ({"metrics": [{"name": "a", "critical": "yes"}]}, "metrics[0].critical"),
        ({"metrics": [{"name": "a", "threshold": {}}]}, "metrics[0].threshold"),
        (
            {"metrics": [{"name": "a", "threshold": {"max": 1, "min": 2}}]},
            "metrics[0].threshold.min",
        ),
        (
            {"metrics": [{"name": "a", "threshold": {"max": 1, "statistic": "p42"}}]},
            "metrics[0].threshold.statistic",
        ),
        ({"metrics": [{"name": "a", "nodata": "maybe"}]}, "metrics[0].nodata"),
        ({"metrics": [{"name": "a", "colour": "red"}]}, "metrics[0].colour"),
        ({"metrics": [{"name": "a"}, {"name": "a"}]}, "metrics[1].name"),
        ({"metrics": [{"name": "a", "group": "x"}], "groups": {"y": 1}}, "metrics[0].group"),
        ({"metrics": [{"name": "a"}], "groups": {"default": "heavy"}}, "groups.default"),
        ({"metrics": [{"name": "a"}], "score": {"pass": 50, "marginal": 60}}, "score.marginal"),
        ({"metrics": [{"name": "a"}], "score": {"pass": 150}}, "score.pass"),
        ({"metrics": [{"name": "a"}], "nan": "drop"}, "nan"),
        ({"metrics": [{"name": "a"}], "extra": 1}, "extra"),
    ],
)
def test_errors_name_the_field(doc: Any, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_judge_config(doc)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
