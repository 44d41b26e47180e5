"""CI renderings of a decision: JUnit XML and SARIF 2.1.0 (pure: they return text / a dict).

JUnit: one ``<testsuite>`` per decision and one ``<testcase>`` per check (``classname`` is
``<process>.<stage>``, ``name`` the gate id) plus a final ``decision`` testcase. A failed check
gets ``<failure>`` (``type`` is its enforcement level), a not-applicable one ``<skipped>``, a
pending one ``<skipped message="pending: ...">``; the ``decision`` testcase fails when the
outcome is denied and is skipped when pending.

SARIF: one run of the ``sluicegate`` tool whose rules are the stage's gates (rule id = gate id),
and one result per failing check (``error`` if it blocks, ``warning`` if advisory or
overridden) and per check with warnings (``warning``). Locations point at the gate in the
process file when the process was loaded from one.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET  # builds XML only; never parses input

from sluicegate.domain.gates.checks import CheckStatus
from sluicegate.domain.gates.decision import CheckRecord, Decision, Outcome

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "render_junit", "render_sarif"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_INFO_URI = "https://github.com/sluicegate/sluicegate/blob/main/docs/gates.md"


def _text(check: CheckRecord) -> str:
    lines = [*check.reasons, *(f"warning: {w}" for w in check.warnings)]
    return "\n".join(lines)


def render_junit(decision: Decision) -> str:
    """The decision as a JUnit XML document (UTF-8 text with an XML declaration)."""
    checks = decision.checks
    failures = sum(c.status is CheckStatus.FAIL for c in checks)
    failures += decision.outcome is Outcome.DENIED
    skipped = sum(c.status in (CheckStatus.NOT_APPLICABLE, CheckStatus.PENDING) for c in checks)
    skipped += decision.outcome is Outcome.PENDING
    classname = f"{decision.process}.{decision.stage}"
    root = ET.Element(
        "testsuites",
        name="sluicegate",
        tests=str(len(checks) + 1),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        name=f"gate {decision.process}@v{decision.process_version} -> {decision.stage}",
        tests=str(len(checks) + 1),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        timestamp=decision.evaluated_at.isoformat(),
        id=decision.id,
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("decision_id", decision.id),
        ("experiment", decision.experiment),
        ("outcome", decision.outcome.value),
        ("input_hash", decision.input_hash),
        ("process_hash", decision.process_hash),
        ("policy_revision", decision.policy_revision or ""),
        ("requested_by", str(decision.requested_by)),
    ):
        ET.SubElement(props, "property", name=name, value=value)
    for check in checks:
        case = ET.SubElement(suite, "testcase", classname=classname, name=check.gate, time="0")
        message = "; ".join(check.reasons) or check.status.value
        if check.status is CheckStatus.FAIL:
            failure = ET.SubElement(case, "failure", message=message, type=check.enforcement.value)
            failure.text = _text(check)
        elif check.status is CheckStatus.NOT_APPLICABLE:
            ET.SubElement(case, "skipped", message=message)
        elif check.status is CheckStatus.PENDING:
            ET.SubElement(case, "skipped", message=f"pending: {message}")
        if check.warnings or check.status is CheckStatus.PASS:
            ET.SubElement(case, "system-out").text = _text(check)
    final = ET.SubElement(suite, "testcase", classname=classname, name="decision", time="0")
    blocking = "; ".join(c.gate for c in decision.blocking)
    if decision.outcome is Outcome.DENIED:
        ET.SubElement(final, "failure", message=f"denied by {blocking}", type="denied")
    elif decision.outcome is Outcome.PENDING:
        ET.SubElement(final, "skipped", message=f"pending on {blocking}")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def _location(check: CheckRecord) -> list[dict[str, Any]]:
    if check.location is None:
        return []
    return [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": check.location.source},
                "region": {
                    "startLine": check.location.line,
                    "startColumn": check.location.column,
                },
            },
            "logicalLocations": [
                {"name": check.gate, "kind": "object", "fullyQualifiedName": check.gate}
            ],
        }
    ]


def render_sarif(decision: Decision) -> dict[str, Any]:
    """The decision as a SARIF 2.1.0 log (serialise with ``json.dumps``)."""
    rules = [
        {
            "id": check.gate,
            "name": check.type,
            "shortDescription": {"text": f"{check.type} gate ({check.enforcement.value})"},
            "helpUri": _INFO_URI,
            "properties": {"enforcement": check.enforcement.value, "checkType": check.type},
        }
        for check in decision.checks
    ]
    results: list[dict[str, Any]] = []
    for index, check in enumerate(decision.checks):
        if check.status is CheckStatus.FAIL:
            level = "error" if check.blocking else "warning"
            text = "; ".join(check.reasons) or "failed"
        elif check.warnings:
            level, text = "warning", "; ".join(check.warnings)
        else:
            continue
        result: dict[str, Any] = {
            "ruleId": check.gate,
            "ruleIndex": index,
            "level": level,
            "kind": "fail",
            "message": {"text": text},
            "properties": {
                "status": check.status.value,
                "enforcement": check.enforcement.value,
                "blocking": check.blocking,
                "overriddenBy": check.overridden_by,
                "stage": decision.stage,
            },
        }
        locations = _location(check)
        if locations:
            result["locations"] = locations
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sluicegate",
                        "informationUri": _INFO_URI,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"sluicegate/{decision.process}/{decision.stage}/"},
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "endTimeUtc": decision.evaluated_at.isoformat().replace("+00:00", "Z"),
                        "properties": {
                            "decisionId": decision.id,
                            "outcome": decision.outcome.value,
                            "experiment": decision.experiment,
                            "inputHash": decision.input_hash,
                            "processHash": decision.process_hash,
                            "policyRevision": decision.policy_revision,
                        },
                    }
                ],
                "results": results,
            }
        ],
    }
