"""JUnit XML test reports (pytest, Maven Surefire, jest-junit and friends)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from sluicegate.domain.gates.evidence.document import local_name, parse_xml
from sluicegate.domain.gates.evidence.errors import DEFAULT_MAX_BYTES, EvidenceError

__all__ = ["JUnitFacts", "parse_junit"]

_KIND = "junit"


@dataclass(frozen=True, slots=True)
class JUnitFacts:
    """Totals over every test case of a report; ``failing_tests`` holds the first N names."""

    tests: int
    failures: int
    errors: int
    skipped: int
    time_s: float
    suites: int
    failing_tests: tuple[str, ...]

    kind = _KIND
    namespace = "junit"

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped

    @property
    def pass_rate(self) -> float | None:
        executed = self.tests - self.skipped
        return None if executed <= 0 else self.passed / executed

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "tests": self.tests,
            "passed": self.passed,
            "failures": self.failures,
            "errors": self.errors,
            "skipped": self.skipped,
            "time_s": self.time_s,
            "suites": self.suites,
            "pass_rate": self.pass_rate,
            "failing_tests": list(self.failing_tests),
        }


def _int_attr(element: Element, name: str) -> int:
    raw = element.get(name)
    if raw is None or raw == "":
        return 0
    try:
        value = int(float(raw))
    except ValueError as exc:
        raise EvidenceError(_KIND, f"attribute {name}={raw!r} is not a number") from exc
    if value < 0:
        raise EvidenceError(_KIND, f"attribute {name}={raw!r} is negative")
    return value


def _float_attr(element: Element, name: str) -> float:
    raw = element.get(name)
    if raw is None or raw == "":
        return 0.0
    try:
        # Surefire may write "1,234.5" with grouping separators.
        return float(raw.replace(",", ""))
    except ValueError as exc:
        raise EvidenceError(_KIND, f"attribute {name}={raw!r} is not a number") from exc


def _case_name(case: Element) -> str:
    name = case.get("name", "<unnamed>")
    classname = case.get("classname") or case.get("class")
    return f"{classname}::{name}" if classname else name


def _outcome(case: Element) -> str:
    children = {local_name(c) for c in case}
    if "error" in children:
        return "error"
    if "failure" in children:
        return "failure"
    if "skipped" in children:
        return "skipped"
    return "passed"


def parse_junit(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_failing_names: int = 20
) -> JUnitFacts:
    root = parse_xml(_KIND, data, max_bytes=max_bytes)
    root_name = local_name(root)
    if root_name == "testsuites":
        suites = [e for e in root.iter() if local_name(e) == "testsuite"]
    elif root_name == "testsuite":
        suites = [root, *(e for e in root.iter() if e is not root and local_name(e) == "testsuite")]
    else:
        raise EvidenceError(_KIND, f"root element <{root_name}> is not <testsuites> or <testsuite>")
    cases = [e for e in root.iter() if local_name(e) == "testcase"]
    if cases:
        outcomes = [(_case_name(c), _outcome(c)) for c in cases]
        failures = sum(1 for _, o in outcomes if o == "failure")
        errors = sum(1 for _, o in outcomes if o == "error")
        skipped = sum(1 for _, o in outcomes if o == "skipped")
        tests = len(cases)
        failing = tuple(n for n, o in outcomes if o in ("failure", "error"))[:max_failing_names]
    else:
        # No test cases: trust the counters (root totals if present, else the suites' sums).
        holders = [root] if root.get("tests") is not None or not suites else suites
        tests = sum(_int_attr(h, "tests") for h in holders)
        failures = sum(_int_attr(h, "failures") for h in holders)
        errors = sum(_int_attr(h, "errors") for h in holders)
        skipped = sum(_int_attr(h, "skipped") + _int_attr(h, "disabled") for h in holders)
        failing = ()
        if failures + errors + skipped > tests:
            raise EvidenceError(_KIND, "failures + errors + skipped exceed the number of tests")
    if root.get("time") is not None:
        time_s = _float_attr(root, "time")
    else:
        top = [s for s in suites if s is root or s in list(root)] or suites
        time_s = sum(_float_attr(s, "time") for s in top)
    return JUnitFacts(
        tests=tests,
        failures=failures,
        errors=errors,
        skipped=skipped,
        time_s=round(time_s, 6),
        suites=len(suites),
        failing_tests=failing,
    )
