"""Statistics for progressive delivery: the canary judge, sequential monitoring, A/B comparisons
and a traffic simulator.  Pure computation (numpy/scipy), no I/O."""

from __future__ import annotations

from sluicegate.stats.config import (
    ConfigError,
    Direction,
    DistributionTest,
    EffectSize,
    JudgeConfig,
    MetricConfig,
    MetricKind,
    MissingPolicy,
    Semantics,
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
from sluicegate.stats.ranksum import (
    RankSumResult,
    ShiftTest,
    hodges_lehmann,
    mann_whitney,
    shift_test,
)
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
from sluicegate.stats.tails import KsResult, ks_test, quantile_bounds, quantile_regression
from sluicegate.stats.verdict import (
    Classification,
    Decision,
    GroupScore,
    MetricResult,
    TailCheck,
    Verdict,
)

__all__ = [
    "Action",
    "ArmSample",
    "Classification",
    "ConfigError",
    "Decision",
    "Direction",
    "DistributionTest",
    "EffectSize",
    "ExperimentOutcome",
    "GroupScore",
    "IntervalSample",
    "JudgeConfig",
    "KpiComparison",
    "KsResult",
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
    "Semantics",
    "SequentialMonitor",
    "ShiftTest",
    "Simulator",
    "SimulatorConfig",
    "SrmResult",
    "TailCheck",
    "Threshold",
    "Verdict",
    "compare_means",
    "compare_proportions",
    "compare_shift",
    "hodges_lehmann",
    "judge",
    "judge_metric",
    "ks_test",
    "mann_whitney",
    "parse_judge_config",
    "quantile_bounds",
    "quantile_regression",
    "sample_ratio_mismatch",
    "shift_test",
]
