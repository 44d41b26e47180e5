"""Statistics for progressive delivery: the canary judge, sequential monitoring, A/B comparisons
and a traffic simulator.  Pure computation (numpy/scipy), no I/O."""

from __future__ import annotations

from sluicegate.stats.config import (
    ConfigError,
    Direction,
    JudgeConfig,
    MetricConfig,
    MetricKind,
    MissingPolicy,
    Threshold,
    parse_judge_config,
)
from sluicegate.stats.experiment import (
    ExperimentOutcome,
    KpiComparison,
    compare_means,
    compare_proportions,
    compare_shift,
)
from sluicegate.stats.judge import judge, judge_metric
from sluicegate.stats.ranksum import RankSumResult, hodges_lehmann, mann_whitney
from sluicegate.stats.sequential import (
    Action,
    MonitorConfig,
    MonitorDecision,
    MonitorState,
    SequentialMonitor,
)
from sluicegate.stats.simulator import (
    ArmSample,
    IntervalSample,
    LatencyModel,
    Regression,
    Simulator,
    SimulatorConfig,
)
from sluicegate.stats.srm import SrmResult, sample_ratio_mismatch
from sluicegate.stats.verdict import Classification, Decision, GroupScore, MetricResult, Verdict

__all__ = [
    "Action",
    "ArmSample",
    "Classification",
    "ConfigError",
    "Decision",
    "Direction",
    "ExperimentOutcome",
    "GroupScore",
    "IntervalSample",
    "JudgeConfig",
    "KpiComparison",
    "LatencyModel",
    "MetricConfig",
    "MetricKind",
    "MetricResult",
    "MissingPolicy",
    "MonitorConfig",
    "MonitorDecision",
    "MonitorState",
    "RankSumResult",
    "Regression",
    "SequentialMonitor",
    "Simulator",
    "SimulatorConfig",
    "SrmResult",
    "Threshold",
    "Verdict",
    "compare_means",
    "compare_proportions",
    "compare_shift",
    "hodges_lehmann",
    "judge",
    "judge_metric",
    "mann_whitney",
    "parse_judge_config",
    "sample_ratio_mismatch",
]
