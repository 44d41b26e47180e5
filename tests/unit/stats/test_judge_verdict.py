"""The judge: classifications, directions, thresholds, policies, scoring and explanations."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluicegate.stats import Classification, Decision, judge, parse_judge_config

RNG_SEED = 42


def _cfg(*metrics: dict[str, Any], **top: Any) -> Any:
    return parse_judge_config({"metrics": list(metrics), **top})


def _latency(shift: float = 1.0, n: int = 2000, seed: int = RNG_SEED) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    return rng.lognormal(4.6, 0.4, n), rng.lognormal(4.6, 0.4, n) * shift


def test_clear_regression_is_high_and_fails() -> None:
    base, can = _latency(1.3)
    v = judge({"lat": base}, {"lat": can}, _cfg({"name": "lat", "allowed_increase_pct": 10}))
    m = v.metric("lat")
    assert m.classification is Classification.HIGH
    assert not m.passed
    assert m.ci_low > 0
    assert m.effect == pytest.approx(1.3, rel=0.05)
    assert "higher" in m.reason
    assert "bad" in m.reason
    assert v.decision is Decision.FAIL
    assert v.score == 0.0


def test_increase_within_allowance_passes() -> None:
    base, can = _latency(1.05)
    v = judge({"lat": base}, {"lat": can}, _cfg({"name": "lat", "allowed_increase_pct": 10}))
    assert v.metric("lat").classification is Classification.PASS
    assert v.decision is Decision.PASS
    assert v.score == 100.0


def test_direction_decides_whether_a_move_is_bad() -> None:
    base, can = _latency(0.7)
    fine = judge({"m": base}, {"m": can}, _cfg({"name": "m", "direction": "increase"}))
    assert fine.metric("m").classification is Classification.LOW
    assert fine.metric("m").passed
    assert "only an increase is bad" in fine.metric("m").reason
    bad = judge({"m": base}, {"m": can}, _cfg({"name": "m", "direction": "decrease"}))
    assert not bad.metric("m").passed
    either = judge({"m": base}, {"m": can}, _cfg({"name": "m", "direction": "either"}))
    assert not either.metric("m").passed


def test_allowed_decrease() -> None:
    base, can = _latency(0.8)
    metric = {"name": "m", "direction": "decrease", "allowed_decrease_pct": 30}
    assert judge({"m": base}, {"m": can}, _cfg(metric)).metric("m").passed


def test_absolute_threshold_fails_even_without_a_shift() -> None:
    base, can = _latency(1.0)
    metric = {"name": "p99", "threshold": {"max": 150, "statistic": "p99"}}
    m = judge({"p99": base}, {"p99": can}, _cfg(metric)).metric("p99")
    assert m.classification is Classification.HIGH
    assert not m.passed
    assert m.threshold_value == pytest.approx(np.percentile(can, 99))
    assert "p99" in m.reason
    assert "above the maximum 150" in m.reason


def test_threshold_minimum() -> None:
    base, can = _latency(1.0)
    metric = {"name": "m", "threshold": {"min": 500}}
    m = judge({"m": base}, {"m": can}, _cfg(metric)).metric("m")
    assert m.classification is Classification.LOW
    assert not m.passed


def test_critical_failure_fails_whatever_the_score() -> None:
    base, can = _latency(1.5)
    ok_b, ok_c = _latency(1.0, seed=7)
    metrics = [{"name": f"ok{i}"} for i in range(19)] + [{"name": "crit", "critical": True}]
    baseline = {f"ok{i}": ok_b for i in range(19)} | {"crit": base}
    canary = {f"ok{i}": ok_c for i in range(19)} | {"crit": can}
    v = judge(baseline, canary, _cfg(*metrics))
    assert v.score == pytest.approx(95.0)
    assert v.decision is Decision.FAIL
    assert v.critical_failures == ("crit",)
    assert "critical" in v.reason


def test_groups_are_weighted_and_marginal_is_reported() -> None:
    base, can = _latency(1.5)
    ok_b, ok_c = _latency(1.0, seed=8)
    cfg = _cfg(
        {"name": "lat", "group": "latency"},
        {"name": "err", "group": "errors"},
        {"name": "err2", "group": "errors"},
        groups={"latency": 20, "errors": 80},
        score={"pass": 90, "marginal": 75},
    )
    v = judge(
        {"lat": base, "err": ok_b, "err2": ok_b}, {"lat": can, "err": ok_c, "err2": ok_c}, cfg
    )
    assert v.score == pytest.approx(80.0)
    assert v.decision is Decision.MARGINAL
    assert "marginal" in v.reason
    assert {g.name: (g.passed, g.total) for g in v.groups} == {"latency": (0, 1), "errors": (2, 2)}


@pytest.mark.parametrize(
    ("policy", "passed", "counted"),
    [("fail", False, True), ("pass", True, True), ("ignore", False, False)],
)
def test_nodata_policies(policy: str, passed: bool, counted: bool) -> None:
    base, can = _latency(1.0)
    cfg = _cfg({"name": "m"}, {"name": "missing"}, nodata=policy)
    m = judge({"m": base}, {"m": can}, cfg).metric("missing")
    assert m.classification is Classification.NODATA
    assert (m.passed, m.counted) == (passed, counted)
    assert policy in m.reason


def test_too_few_samples_is_nodata() -> None:
    m = judge({"m": [1.0]}, {"m": [1.0, 2.0, 3.0]}, _cfg({"name": "m"})).metric("m")
    assert m.classification is Classification.NODATA
    assert not m.passed


def test_nan_fails_closed_by_default_and_can_be_ignored() -> None:
    base, can = _latency(1.0)
    can = can.copy()
    can[5] = math.nan
    default = judge({"m": base}, {"m": can}, _cfg({"name": "m"})).metric("m")
    assert default.classification is Classification.ERROR
    assert not default.passed
    dropped = judge({"m": base}, {"m": can}, _cfg({"name": "m", "nan": "ignore"})).metric("m")
    assert dropped.classification is Classification.PASS
    assert dropped.canary_count == can.size - 1
    waved = judge({"m": base}, {"m": can}, _cfg({"name": "m"}, nan="pass")).metric("m")
    assert waved.passed
    assert waved.counted


def test_everything_ignored_fails_closed() -> None:
    v = judge({}, {}, _cfg({"name": "m"}, nodata="ignore"))
    assert v.decision is Decision.FAIL
    assert "no metric" in v.reason


def test_ratio_metric_rejects_values_outside_unit_interval() -> None:
    m = judge({"r": [0.1, 0.2, 0.3]}, {"r": [0.1, 2.0, 0.3]}, _cfg({"name": "r", "kind": "ratio"}))
    assert m.metric("r").classification is Classification.ERROR
    assert "outside [0, 1]" in m.metric("r").reason


def test_zero_baseline_mean_gives_infinite_effect_without_warnings() -> None:
    base = np.zeros(50)
    can = np.full(50, 2.0)
    m = judge({"c": base}, {"c": can}, _cfg({"name": "c", "kind": "count"})).metric("c")
    assert m.effect == math.inf
    assert m.classification is Classification.HIGH


def test_verdict_is_json_serialisable_and_explains_each_metric() -> None:
    base, can = _latency(1.3)
    v = judge(
        {"lat": base, "z": np.zeros(10)},
        {"lat": can, "z": np.ones(10)},
        _cfg({"name": "lat"}, {"name": "z", "kind": "count"}, {"name": "gone"}),
    )
    doc = json.loads(json.dumps(v.to_dict(), allow_nan=False))
    assert doc["decision"] == "fail"
    by_name = {m["name"]: m for m in doc["metrics"]}
    assert by_name["z"]["effect"] == "inf"
    assert by_name["gone"]["p_value"] is None
    for metric in doc["metrics"]:
        assert metric["reason"]
        assert metric["classification"] in {c.value for c in Classification}


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(0, 1e4, allow_nan=False), min_size=3, max_size=200),
    st.sampled_from(["increase", "decrease", "either"]),
)
def test_identical_samples_never_fail(values: list[float], direction: str) -> None:
    cfg = _cfg({"name": "m", "direction": direction, "kind": "latency"})
    v = judge({"m": values}, {"m": list(values)}, cfg)
    assert v.metric("m").classification is Classification.PASS
    assert v.decision is Decision.PASS


def test_thread_pool_does_not_change_the_verdict() -> None:
    rng = np.random.default_rng(3)
    names = [f"m{i}" for i in range(12)]
    base = {n: rng.lognormal(3, 0.5, 400) for n in names}
    can = {n: rng.lognormal(3 + 0.05 * i, 0.5, 400) for i, n in enumerate(names)}
    cfg = _cfg(*({"name": n} for n in names))
    assert judge(base, can, cfg, workers=1).to_dict() == judge(base, can, cfg, workers=3).to_dict()
