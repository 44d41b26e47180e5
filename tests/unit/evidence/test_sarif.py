"""SARIF 2.1.0 findings by level and by GitHub security severity."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from sluicegate.domain.gates.evidence import EvidenceError, parse_sarif, security_severity_bucket


def test_codeql_like_log(fixture_bytes: Callable[[str], bytes]) -> None:
    facts = parse_sarif(fixture_bytes("codeql.sarif"))
    assert facts.total == 6
    assert facts.suppressed == 1
    assert dict(facts.by_level) == {"error": 3, "warning": 2, "note": 1, "none": 0}
    assert dict(facts.by_security_severity) == {
        "critical": 1,
        "high": 2,
        "medium": 2,
        "low": 0,
        "unrated": 1,
    }
    assert facts.by_tool["CodeQL"]["total"] == 5
    assert facts.by_tool["Semgrep OSS"]["by_security_severity"]["medium"] == 1
    doc = facts.to_dict()
    assert (doc["high"], doc["critical"], doc["error"]) == (2, 1, 3)


@pytest.mark.parametrize(
    ("score", "bucket"),
    [
        (10.0, "critical"),
        (9.0, "critical"),
        (8.99, "high"),
        (7.0, "high"),
        (6.9, "medium"),
        (4.0, "medium"),
        (3.9, "low"),
        (0.1, "low"),
        (0.0, "unrated"),
        (None, "unrated"),
    ],
)
def test_security_severity_buckets(score: float | None, bucket: str) -> None:
    assert security_severity_bucket(score) == bucket


def _log(**run: Any) -> bytes:
    base: dict[str, Any] = {"tool": {"driver": {"name": "t"}}, "results": []}
    base.update(run)
    return json.dumps({"version": "2.1.0", "runs": [base]}).encode()


def test_result_level_defaults_to_warning() -> None:
    facts = parse_sarif(_log(results=[{"ruleId": "x", "message": {"text": "m"}}]))
    assert facts.by_level["warning"] == 1


def test_result_property_overrides_rule_severity() -> None:
    data = _log(
        tool={
            "driver": {
                "name": "t",
                "rules": [{"id": "r", "properties": {"security-severity": "2"}}],
            }
        },
        results=[{"ruleId": "r", "properties": {"security-severity": "9.1"}}],
    )
    assert parse_sarif(data).by_security_severity["critical"] == 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"version": "2.0.0", "runs": []}', "unsupported SARIF version '2.0.0'"),
        (b'{"runs": []}', "unsupported SARIF version None"),
        (b'{"version": "2.1.0"}', "runs must be an array"),
        (b'{"version": "2.1.0", "runs": [{"results": []}]}', "runs[0].tool must be an object"),
        (b'{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}', "driver.name is missing"),
        (b"[1, 2]", "the SARIF log must be an object"),
        (b'{"version": "2.1.0", "runs": [', "malformed JSON"),
        (b"<sarif/>", "XML, not JSON"),
    ],
)
def test_malformed_sarif(data: bytes, reason: str) -> None:
    with pytest.raises(EvidenceError) as info:
        parse_sarif(data)
    assert reason in info.value.reason


def test_invalid_level_is_rejected() -> None:
    with pytest.raises(EvidenceError, match=r"results\[0\]\.level 'fatal'"):
        parse_sarif(_log(results=[{"level": "fatal"}]))
