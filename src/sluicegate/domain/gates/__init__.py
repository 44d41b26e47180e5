"""Gates as code: process definitions, gate check plugins, decisions and CI reports (pure).

Start with :func:`load_process` (YAML text -> :class:`Process`), wrap it in a
:class:`ProcessVersion`, build a :class:`GateContext` and call :func:`evaluate_gate`;
:func:`replay` re-evaluates a stored :class:`DecisionInput`. docs/gates.md describes the format.
"""

from __future__ import annotations

from sluicegate.domain.gates.boards import BoardRotation, ReviewBoard, rotation, serving
from sluicegate.domain.gates.checks import (
    Check,
    CheckRegistry,
    CheckResult,
    CheckStatus,
    ConfigIssue,
    default_registry,
)
from sluicegate.domain.gates.context import (
    Approval,
    EnvironmentInfo,
    ExperimentSummary,
    GateContext,
    Requester,
)
from sluicegate.domain.gates.decision import (
    REPLAYED_FIELDS,
    CheckRecord,
    Decision,
    DecisionInput,
    Outcome,
    replay_differences,
)
from sluicegate.domain.gates.durations import parse_duration
from sluicegate.domain.gates.engine import evaluate_gate, replay
from sluicegate.domain.gates.errors import (
    DefinitionIssue,
    GateBlocked,
    GateDenied,
    GatePending,
    InvalidOverride,
    Location,
    ProcessDefinitionError,
)
from sluicegate.domain.gates.loader import load_process, load_template, process_from_dict
from sluicegate.domain.gates.overrides import Override, validate_override
from sluicegate.domain.gates.policy_input import (
    build_policy_input,
    policy_input_schema,
    validate_policy_input,
)
from sluicegate.domain.gates.ports import (
    MetricVerdict,
    MetricVerdictSource,
    PolicyEvaluator,
    PolicyVerdict,
)
from sluicegate.domain.gates.process import Enforcement, GateDef, Process, StageDef
from sluicegate.domain.gates.reports import render_junit, render_sarif
from sluicegate.domain.gates.review_ask import ReviewAsk, review_ask
from sluicegate.domain.gates.schema import process_schema
from sluicegate.domain.gates.selector import ProcessSelector, Selection, SelectorRule
from sluicegate.domain.gates.templates import Parameter, Template
from sluicegate.domain.gates.versions import (
    Change,
    ProcessDiff,
    ProcessVersion,
    content_hash,
    diff,
    next_version,
)

__all__ = [
    "REPLAYED_FIELDS",
    "Approval",
    "BoardRotation",
    "Change",
    "Check",
    "CheckRecord",
    "CheckRegistry",
    "CheckResult",
    "CheckStatus",
    "ConfigIssue",
    "Decision",
    "DecisionInput",
    "DefinitionIssue",
    "Enforcement",
    "EnvironmentInfo",
    "ExperimentSummary",
    "GateBlocked",
    "GateContext",
    "GateDef",
    "GateDenied",
    "GatePending",
    "InvalidOverride",
    "Location",
    "MetricVerdict",
    "MetricVerdictSource",
    "Outcome",
    "Override",
    "Parameter",
    "PolicyEvaluator",
    "PolicyVerdict",
    "Process",
    "ProcessDefinitionError",
    "ProcessDiff",
    "ProcessSelector",
    "ProcessVersion",
    "Requester",
    "ReviewAsk",
    "ReviewBoard",
    "Selection",
    "SelectorRule",
    "StageDef",
    "Template",
    "build_policy_input",
    "content_hash",
    "default_registry",
    "diff",
    "evaluate_gate",
    "load_process",
    "load_template",
    "next_version",
    "parse_duration",
    "policy_input_schema",
    "process_from_dict",
    "process_schema",
    "render_junit",
    "render_sarif",
    "replay",
    "replay_differences",
    "review_ask",
    "rotation",
    "serving",
    "validate_override",
    "validate_policy_input",
]
