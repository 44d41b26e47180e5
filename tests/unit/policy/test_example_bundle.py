"""The example bundle under examples/policies evaluated by the regopy adapter."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sluicegate.adapters.policy import RegoPolicyEngine, run_policy_tests
from sluicegate.service.gates.policy import PolicyEngine

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "policies"


def compliant_input(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "experiment": {"key": "checkout-v2", "data_classification": "restricted-pii"},
        "target_stage": "production",
        "environment": {"name": "prod-eu-pci"},
        "risk": {"level": "mission-critical"},
        "evidence": {
            "coverage": {"line_rate": 0.91},
            "sarif": {"by_security_severity": {"critical": 0, "high": 0, "medium": 3}},
            "chaos": {
                "status": "completed",
                "deviated": False,
                "blast_radius": {"max_pct_users": 5},
            },
            "k6": {"p99_ms": 240},
        },
        "approvals": [
            {"by": "alice", "role": "service-owner"},
            {"by": "bob", "role": "engineer"},
        ],
        "now": {"weekday": "Tuesday", "local": "2026-11-17T10:00:00+01:00"},
    }
    doc.update(overrides)
    return doc


def test_engine_satisfies_the_port() -> None:
    assert isinstance(RegoPolicyEngine(), PolicyEngine)


def test_bundle_metadata(engine: RegoPolicyEngine) -> None:
    bundle = engine.load_bundle(EXAMPLES)
    assert re.fullmatch(r"[0-9a-f]{64}", bundle.revision)
    assert len(bundle.policy_modules) >= 5
    assert all(not p.endswith("_test") for p in bundle.packages)
    assert "sluicegate.chaos" in bundle.packages
    assert bundle.data["config"]["coverage_min"]["staging"] == 0.8


def test_compliant_promotion_is_allowed(engine: RegoPolicyEngine) -> None:
    bundle = engine.load_bundle(EXAMPLES)
    decision = engine.evaluate(bundle, compliant_input())
    assert decision.deny == []
    assert decision.warn == []
    assert decision.allowed
    assert decision.revision == bundle.revision
    assert set(decision.by_package) == set(bundle.packages)


def test_violations_are_reported_per_package(engine: RegoPolicyEngine) -> None:
    bundle = engine.load_bundle(EXAMPLES)
    doc = compliant_input(
        environment={"name": "production"},
        approvals=[{"by": "bob", "role": "engineer"}],
        now={"weekday": "Friday", "local": "2026-11-20T15:00:00+01:00"},
    )
    doc["evidence"]["sarif"]["by_security_severity"]["high"] = 2
    del doc["evidence"]["chaos"]
    decision = engine.evaluate(bundle, doc)
    denied = {(m.package, m.msg) for m in decision.deny}
    assert denied == {
        (
            "sluicegate.pii",
            "experiment checkout-v2 handles restricted-pii; "
            "production is not a compliant environment",
        ),
        ("sluicegate.sarif", "2 high-severity SARIF finding(s) must be fixed"),
        ("sluicegate.chaos", "mission-critical promotion requires a chaos experiment journal"),
        ("sluicegate.approvals", "production needs 2 distinct approvers, got 1"),
        ("sluicegate.approvals", "production needs an approval from the service owner"),
    }
    sarif = decision.by_package["sluicegate.sarif"].deny[0]
    assert sarif.details == {"policy": "sarif", "severity": "high"}
    assert [m.package for m in decision.warn] == ["sluicegate.freeze"]
    assert not decision.allowed
    assert decision.to_dict()["deny"][0]["package"].startswith("sluicegate.")


def test_coverage_and_performance_thresholds_from_data(engine: RegoPolicyEngine) -> None:
    bundle = engine.load_bundle(EXAMPLES)
    doc = compliant_input(target_stage="staging", risk={"level": "low"})
    doc["evidence"]["coverage"]["line_rate"] = 0.5
    doc["evidence"]["k6"]["p99_ms"] = 650
    msgs = sorted(m.msg for m in engine.evaluate(bundle, doc).deny)
    assert msgs == [
        "k6 p99 latency 650 ms exceeds the 500 ms budget for staging",
        "line coverage 50.0% is below the 80% required for staging",
    ]


def test_example_bundle_own_tests_pass() -> None:
    report = run_policy_tests(EXAMPLES)
    assert report.passed, [(r.file, r.name, r.error) for r in report.failures]
    rego_tests = sum(
        len(re.findall(r"^test_\w+", p.read_text(), re.M)) for p in EXAMPLES.glob("*_test.rego")
    )
    assert len(report.results) == rego_tests >= 20
    assert {r.file for r in report.results} == {p.name for p in EXAMPLES.glob("*_test.rego")}


def test_engine_run_tests_matches_module_function(example_copy: Path) -> None:
    engine = RegoPolicyEngine()
    bundle = engine.load_bundle(example_copy)
    report = engine.run_tests(bundle)
    assert report.revision == bundle.revision
    assert report.passed
