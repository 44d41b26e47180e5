"""Gates: processes as code, policy bundles, evidence, overrides and decision records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluicegate.service.lazy import exports

if TYPE_CHECKING:
    from sluicegate.service.gates.context import (
        build_context as build_context,
    )
    from sluicegate.service.gates.context import (
        review_ask_for as review_ask_for,
    )
    from sluicegate.service.gates.context import (
        summary_of as summary_of,
    )
    from sluicegate.service.gates.decisions import (
        GateBlocked as GateBlocked,
    )
    from sluicegate.service.gates.decisions import (
        GateDenied as GateDenied,
    )
    from sluicegate.service.gates.decisions import (
        GatePending as GatePending,
    )
    from sluicegate.service.gates.decisions import (
        check_gate as check_gate,
    )
    from sluicegate.service.gates.decisions import (
        decision_dict as decision_dict,
    )
    from sluicegate.service.gates.decisions import (
        enter_stage as enter_stage,
    )
    from sluicegate.service.gates.decisions import (
        explain as explain,
    )
    from sluicegate.service.gates.decisions import (
        get_decision as get_decision,
    )
    from sluicegate.service.gates.decisions import (
        governed_stage as governed_stage,
    )
    from sluicegate.service.gates.decisions import (
        load_experiment as load_experiment,
    )
    from sluicegate.service.gates.decisions import (
        rebuild as rebuild,
    )
    from sluicegate.service.gates.decisions import (
        replay_record as replay_record,
    )
    from sluicegate.service.gates.evaluator import (
        UNAVAILABLE as UNAVAILABLE,
    )
    from sluicegate.service.gates.evaluator import (
        BundleEvaluator as BundleEvaluator,
    )
    from sluicegate.service.gates.evaluator import (
        PolicyUnavailable as PolicyUnavailable,
    )
    from sluicegate.service.gates.evaluator import (
        UnavailablePolicy as UnavailablePolicy,
    )
    from sluicegate.service.gates.evaluator import (
        current_policy as current_policy,
    )
    from sluicegate.service.gates.evaluator import (
        stored_policy as stored_policy,
    )
    from sluicegate.service.gates.evidence import (
        InvalidEvidence as InvalidEvidence,
    )
    from sluicegate.service.gates.evidence import (
        add_evidence as add_evidence,
    )
    from sluicegate.service.gates.evidence import (
        evidence_dict as evidence_dict,
    )
    from sluicegate.service.gates.evidence import (
        facts_of as facts_of,
    )
    from sluicegate.service.gates.evidence import (
        list_evidence as list_evidence,
    )
    from sluicegate.service.gates.overrides import (
        create_override as create_override,
    )
    from sluicegate.service.gates.overrides import (
        list_overrides as list_overrides,
    )
    from sluicegate.service.gates.overrides import (
        override_dict as override_dict,
    )
    from sluicegate.service.gates.overrides import (
        revoke_override as revoke_override,
    )
    from sluicegate.service.gates.policy import (
        Message as Message,
    )
    from sluicegate.service.gates.policy import (
        PackageDecision as PackageDecision,
    )
    from sluicegate.service.gates.policy import (
        PolicyBundle as PolicyBundle,
    )
    from sluicegate.service.gates.policy import (
        PolicyCompileError as PolicyCompileError,
    )
    from sluicegate.service.gates.policy import (
        PolicyDecision as PolicyDecision,
    )
    from sluicegate.service.gates.policy import (
        PolicyEngine as PolicyEngine,
    )
    from sluicegate.service.gates.policy import (
        PolicyError as PolicyError,
    )
    from sluicegate.service.gates.policy import (
        PolicyEvaluationError as PolicyEvaluationError,
    )
    from sluicegate.service.gates.policy import (
        PolicyModule as PolicyModule,
    )
    from sluicegate.service.gates.policy import (
        PolicyTestReport as PolicyTestReport,
    )
    from sluicegate.service.gates.policy import (
        PolicyTestResult as PolicyTestResult,
    )
    from sluicegate.service.gates.ports import (
        EvidenceRecord as EvidenceRecord,
    )
    from sluicegate.service.gates.ports import (
        GateDecisionRecord as GateDecisionRecord,
    )
    from sluicegate.service.gates.ports import (
        GateOverrideRecord as GateOverrideRecord,
    )
    from sluicegate.service.gates.ports import (
        GateRepository as GateRepository,
    )
    from sluicegate.service.gates.ports import (
        ProcessPinRecord as ProcessPinRecord,
    )
    from sluicegate.service.gates.ports import (
        ProcessVersionRecord as ProcessVersionRecord,
    )
    from sluicegate.service.gates.ports import (
        StageReviewRecord as StageReviewRecord,
    )
    from sluicegate.service.gates.ports import (
        StoredPolicyBundle as StoredPolicyBundle,
    )
    from sluicegate.service.gates.processes import (
        BUILTIN_DEFAULT as BUILTIN_DEFAULT,
    )
    from sluicegate.service.gates.processes import (
        DEFAULT_SELECTOR as DEFAULT_SELECTOR,
    )
    from sluicegate.service.gates.processes import (
        GateRuntime as GateRuntime,
    )
    from sluicegate.service.gates.processes import (
        ProcessSource as ProcessSource,
    )
    from sluicegate.service.gates.processes import (
        apply_process as apply_process,
    )
    from sluicegate.service.gates.processes import (
        diff_versions as diff_versions,
    )
    from sluicegate.service.gates.processes import (
        get_selector as get_selector,
    )
    from sluicegate.service.gates.processes import (
        governing_version as governing_version,
    )
    from sluicegate.service.gates.processes import (
        migrate_experiment as migrate_experiment,
    )
    from sluicegate.service.gates.processes import (
        process_dict as process_dict,
    )
    from sluicegate.service.gates.processes import (
        resolve_for as resolve_for,
    )
    from sluicegate.service.gates.processes import (
        set_selector as set_selector,
    )
    from sluicegate.service.gates.processes import (
        show_process as show_process,
    )
    from sluicegate.service.gates.processes import (
        validate_process as validate_process,
    )
    from sluicegate.service.gates.settings import (
        GATE_SETTINGS as GATE_SETTINGS,
    )
    from sluicegate.service.gates.settings import (
        set_gate_setting as set_gate_setting,
    )

__all__ = [
    "BUILTIN_DEFAULT",
    "DEFAULT_SELECTOR",
    "GATE_SETTINGS",
    "UNAVAILABLE",
    "BundleEvaluator",
    "EvidenceRecord",
    "GateBlocked",
    "GateDecisionRecord",
    "GateDenied",
    "GateOverrideRecord",
    "GatePending",
    "GateRepository",
    "GateRuntime",
    "InvalidEvidence",
    "Message",
    "PackageDecision",
    "PolicyBundle",
    "PolicyCompileError",
    "PolicyDecision",
    "PolicyEngine",
    "PolicyError",
    "PolicyEvaluationError",
    "PolicyModule",
    "PolicyTestReport",
    "PolicyTestResult",
    "PolicyUnavailable",
    "ProcessPinRecord",
    "ProcessSource",
    "ProcessVersionRecord",
    "StageReviewRecord",
    "StoredPolicyBundle",
    "UnavailablePolicy",
    "add_evidence",
    "apply_process",
    "build_context",
    "check_gate",
    "create_override",
    "current_policy",
    "decision_dict",
    "diff_versions",
    "enter_stage",
    "evidence_dict",
    "explain",
    "facts_of",
    "get_decision",
    "get_selector",
    "governed_stage",
    "governing_version",
    "list_evidence",
    "list_overrides",
    "load_experiment",
    "migrate_experiment",
    "override_dict",
    "process_dict",
    "rebuild",
    "replay_record",
    "resolve_for",
    "review_ask_for",
    "revoke_override",
    "set_gate_setting",
    "set_selector",
    "show_process",
    "stored_policy",
    "summary_of",
    "validate_process",
]

_TABLE = {
    "BUILTIN_DEFAULT": "processes",
    "BundleEvaluator": "evaluator",
    "DEFAULT_SELECTOR": "processes",
    "EvidenceRecord": "ports",
    "GATE_SETTINGS": "settings",
    "GateBlocked": "decisions",
    "GateDecisionRecord": "ports",
    "GateDenied": "decisions",
    "GateOverrideRecord": "ports",
    "GatePending": "decisions",
    "GateRepository": "ports",
    "GateRuntime": "processes",
    "InvalidEvidence": "evidence",
    "Message": "policy",
    "PackageDecision": "policy",
    "PolicyBundle": "policy",
    "PolicyCompileError": "policy",
    "PolicyDecision": "policy",
    "PolicyEngine": "policy",
    "PolicyError": "policy",
    "PolicyEvaluationError": "policy",
    "PolicyModule": "policy",
    "PolicyTestReport": "policy",
    "PolicyTestResult": "policy",
    "PolicyUnavailable": "evaluator",
    "ProcessPinRecord": "ports",
    "ProcessSource": "processes",
    "ProcessVersionRecord": "ports",
    "StageReviewRecord": "ports",
    "StoredPolicyBundle": "ports",
    "UNAVAILABLE": "evaluator",
    "UnavailablePolicy": "evaluator",
    "add_evidence": "evidence",
    "apply_process": "processes",
    "build_context": "context",
    "check_gate": "decisions",
    "create_override": "overrides",
    "current_policy": "evaluator",
    "decision_dict": "decisions",
    "diff_versions": "processes",
    "enter_stage": "decisions",
    "evidence_dict": "evidence",
    "explain": "decisions",
    "facts_of": "evidence",
    "get_decision": "decisions",
    "get_selector": "processes",
    "governed_stage": "decisions",
    "governing_version": "processes",
    "list_evidence": "evidence",
    "list_overrides": "overrides",
    "load_experiment": "decisions",
    "migrate_experiment": "processes",
    "override_dict": "overrides",
    "process_dict": "processes",
    "rebuild": "decisions",
    "replay_record": "decisions",
    "resolve_for": "processes",
    "review_ask_for": "context",
    "revoke_override": "overrides",
    "set_gate_setting": "settings",
    "set_selector": "processes",
    "show_process": "processes",
    "summary_of": "context",
    "stored_policy": "evaluator",
    "validate_process": "processes",
}
__getattr__, __dir__ = exports(__name__, _TABLE)
