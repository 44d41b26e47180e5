"""Policy, evidence, schedule, standard-change and metric-verdict checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tests.unit.gates.support import EVIDENCE, RISK_HIGH, RISK_LOW, FakePolicy, approval, context

from sluicegate.domain.gates import (
    CheckStatus,
    EnvironmentInfo,
    MetricVerdict,
    build_policy_input,
    default_registry,
)
from sluicegate.domain.gates.checks import (
    EvidenceCheck,
    MetricVerdictCheck,
    PolicyCheck,
    ScheduleCheck,
    StandardChangeCheck,
)

# --- policy -------------------------------------------------------------------------------


def test_policy_deny_fails_and_warn_only_reports() -> None:
    policy = FakePolicy(
        deny=(("sluicegate.coverage", "coverage 0.7 < 0.8"),),
        warn=(("sluicegate.freeze", "Friday promotion"),),
    )
    result = PolicyCheck().evaluate({}, context(policy=policy))
    assert result.status is CheckStatus.FAIL
    assert result.reasons == ("sluicegate.coverage: coverage 0.7 < 0.8",)
    assert result.warnings == ("sluicegate.freeze: Friday promotion",)
    assert result.data == {"revision": "rev-1"}

    warn_only = FakePolicy(warn=(("sluicegate.freeze", "Friday promotion"),))
    result = PolicyCheck().evaluate({}, context(policy=warn_only))
    assert result.status is CheckStatus.PASS
    assert result.warnings == ("sluicegate.freeze: Friday promotion",)


def test_policy_packages_filter() -> None:
    policy = FakePolicy(deny=(("sluicegate.coverage", "low"), ("sluicegate.pii", "no")))
    config = {"packages": ["sluicegate.pii"]}
    assert PolicyCheck().evaluate(config, context(policy=policy)).reasons == ("sluicegate.pii: no",)
    config = {"packages": ["sluicegate.sarif"]}
    assert PolicyCheck().evaluate(config, context(policy=policy)).status is CheckStatus.PASS


def test_policy_without_an_evaluator_fails_closed() -> None:
    result = PolicyCheck().evaluate({}, context())
    assert result.status is CheckStatus.FAIL
    assert result.reasons == ("no policy engine is wired to this gate",)


def test_policy_input_document_follows_the_contract() -> None:
    policy = FakePolicy()
    ctx = context(
        policy=policy,
        approvals=(
            approval("alice", "service-owner", comment="ok"),
            approval("x", decision="reject"),
        ),
    )
    PolicyCheck().evaluate({}, ctx)
    doc = policy.seen[0]
    assert doc == build_policy_input(ctx)
    assert doc["schema_version"] == 1
    assert doc["experiment"]["key"] == "checkout-v2"
    assert doc["experiment"]["owner"] == "team-payments"
    assert doc["experiment"]["current_stage"] == "staging"
    assert doc["target_stage"] == "canary"
    assert doc["environment"] == {
        "name": "production",
        "timezone": "Europe/Berlin",
        "compliant": True,
        "labels": {},
    }
    assert doc["risk"]["level"] == "low"
    assert doc["evidence"]["coverage"]["line_rate"] == 0.9
    assert [a["by"] for a in doc["approvals"]] == ["alice"]
    assert doc["approvals"][0]["at"] == "2026-11-17T08:45:00Z"
    assert doc["approvals"][0]["comment"] == "ok"
    assert [a["by"] for a in doc["rejections"]] == ["x"]
    assert doc["now"] == {
        "utc": "2026-11-17T09:45:00Z",
        "local": "2026-11-17T10:45:00+01:00",
        "timezone": "Europe/Berlin",
        "weekday": "Tuesday",
        "hour": 10,
    }
    assert doc["requested_by"] == "carol"
    assert doc["schedule"]["status"] == "not-applicable"


def test_policy_input_carries_the_schedule_result() -> None:
    policy = FakePolicy()
    schedule = {
        "environments": {"production": {"business_hours": {"start": "12:00", "end": "13:00"}}}
    }
    PolicyCheck().evaluate({"schedule": schedule}, context(policy=policy))
    assert policy.seen[0]["schedule"]["status"] == "fail"


# --- evidence -----------------------------------------------------------------------------


def test_evidence_pass_fail_pending_not_applicable() -> None:
    check = EvidenceCheck()
    config: dict[str, Any] = {
        "require": ["junit"],
        "thresholds": {"coverage.line_rate": {"min": 0.8}},
    }
    assert check.evaluate(config, context()).status is CheckStatus.PASS
    strict = {**config, "thresholds": {"coverage.line_rate": {"min": 0.95}}}
    result = check.evaluate(strict, context())
    assert result.status is CheckStatus.FAIL
    assert result.reasons == ("coverage.line_rate is 0.9, expected >= 0.95",)
    result = check.evaluate(config, context(evidence={"junit": EVIDENCE["junit"]}))
    assert result.status is CheckStatus.PENDING
    assert result.reasons == ("missing evidence for threshold coverage.line_rate (coverage)",)
    empty = {"risk_evidence": False}
    assert check.evaluate(empty, context()).status is CheckStatus.NOT_APPLICABLE


def test_evidence_required_by_the_risk_level() -> None:
    ctx = context(risk=RISK_HIGH, evidence={"junit": EVIDENCE["junit"], "jmeter": {"p99_ms": 9}})
    result = EvidenceCheck().evaluate({}, ctx)
    assert result.status is CheckStatus.PENDING
    assert result.reasons == ("missing evidence: coverage", "missing evidence: sarif")
    assert EvidenceCheck().evaluate({}, context(risk=RISK_HIGH)).status is CheckStatus.PASS
    assert EvidenceCheck().evaluate({"risk_evidence": False, "require": ["sarif"]}, ctx).status is (
        CheckStatus.PENDING
    )


def test_evidence_runbook_link_kind() -> None:
    links = {"links": {"count": 1, "types": ["documentation"], "urls": ["https://x"]}}
    config = {"require": ["runbook"], "risk_evidence": False}
    assert EvidenceCheck().evaluate(config, context(evidence=links)).status is CheckStatus.PENDING
    links["links"]["types"] = ["runbook"]
    assert EvidenceCheck().evaluate(config, context(evidence=links)).status is CheckStatus.PASS


def test_evidence_config_validation() -> None:
    issues = EvidenceCheck().validate(
        {"require": ["tarot"], "thresholds": {"coverage.line_rate": {"atleast": 1}}}
    )
    assert [i.path for i in issues] == [("require", 0), ("thresholds", "coverage.line_rate")]


# --- schedule -----------------------------------------------------------------------------

WEEKEND: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "environments": {
        "production": {
            "freeze_windows": [
                {"name": "weekend", "weekly": {"start": "Fri 16:00", "end": "Mon 08:00"}}
            ]
        }
    },
}


def test_schedule_open_frozen_and_not_applicable() -> None:
    check = ScheduleCheck()
    assert check.evaluate(WEEKEND, context()).status is CheckStatus.PASS
    saturday = datetime(2026, 11, 21, 12, tzinfo=UTC)
    result = check.evaluate(WEEKEND, context(now=saturday))
    assert result.status is CheckStatus.FAIL
    assert "recurring freeze window 'weekend'" in result.reasons[0]
    assert result.reasons[-1] == "next opening: 2026-11-23T08:00:00+01:00"
    staging = context(now=saturday, environment=EnvironmentInfo("staging"))
    assert check.evaluate(WEEKEND, staging).status is CheckStatus.NOT_APPLICABLE
    aliased = {**WEEKEND, "environment": "production"}
    assert check.evaluate(aliased, staging).status is CheckStatus.FAIL


def test_schedule_config_validation() -> None:
    assert ScheduleCheck().validate(WEEKEND) == []
    issues = ScheduleCheck().validate({"timezone": "Mars/Olympus", "environments": {}})
    assert [(i.path, i.reason) for i in issues] == [
        (("timezone",), "unknown timezone 'Mars/Olympus'")
    ]


# --- standard change ----------------------------------------------------------------------

STANDARD: dict[str, Any] = {
    "templates": [
        {
            "name": "config-tweak",
            "kinds": ["feature"],
            "max_risk": "low",
            "services": ["checkout", "cart"],
            "environments": ["production"],
        }
    ]
}


def test_standard_change_match_and_mismatches() -> None:
    check = StandardChangeCheck()
    result = check.evaluate(STANDARD, context())
    assert result.status is CheckStatus.PASS
    assert result.data == {"standard_change": "config-tweak"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "infrastructure"}, "kind infrastructure is not one of feature"),
        ({"risk": RISK_HIGH}, "risk level high is above low"),
        ({"services": ("checkout", "ledger")}, "services ledger are not covered"),
        ({"environment": EnvironmentInfo("staging")}, "environment staging is not covered"),
    ]
    for changes, reason in cases:
        result = check.evaluate(STANDARD, context(**changes))
        assert result.status is CheckStatus.NOT_APPLICABLE
        assert result.reasons == (f"not standard change config-tweak: {reason}",)


def test_standard_change_validation() -> None:
    issues = StandardChangeCheck().validate({"templates": [{"name": "x", "max_risk": "tiny"}]})
    assert [i.path for i in issues] == [("templates", 0, "max_risk")]


# --- metric verdict -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pass", CheckStatus.PASS),
        ("fail", CheckStatus.FAIL),
        ("inconclusive", CheckStatus.PENDING),
        ("running", CheckStatus.PENDING),
    ],
)
def test_metric_verdict_statuses(status: str, expected: CheckStatus) -> None:
    verdict = MetricVerdict(status, "canary", ("p99 +3%",))  # type: ignore[arg-type]
    ctx = context(metric_verdicts={"canary": verdict})
    result = MetricVerdictCheck().evaluate({"analysis": "canary", "required": True}, ctx)
    assert result.status is expected
    assert result.reasons == (f"analysis canary: {status}", "p99 +3%")


def test_metric_verdict_required_or_not() -> None:
    check = MetricVerdictCheck()
    result = check.evaluate({}, context())
    assert (result.status, result.reasons) == (
        CheckStatus.PASS,
        ("no rollout analysis is required",),
    )
    by_level = {"required_for": ["high"]}
    assert check.evaluate(by_level, context(risk=RISK_LOW)).status is CheckStatus.PASS
    result = check.evaluate(by_level, context(risk=RISK_HIGH))
    assert (result.status, result.reasons) == (
        CheckStatus.PENDING,
        ("analysis rollout has no verdict yet",),
    )


def test_registry_knows_every_check_and_rejects_duplicates() -> None:
    registry = default_registry()
    assert registry.types == (
        "approval",
        "evidence",
        "metric-verdict",
        "policy",
        "review-board",
        "schedule",
        "standard-change",
    )
    with pytest.raises(ValueError, match="already registered"):
        registry.register(PolicyCheck())
    assert "policy" in registry
    assert registry.get("nope") is None
