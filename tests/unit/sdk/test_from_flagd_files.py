"""``SluicegateProvider.from_file`` serves flagd's own flag files (issue #11).

Before, one invalid flag refused the whole file and the provider would not initialise. The files
are the flagd testbed's (tests/fixtures/flagd/NOTICE.md); the expectations are the testbed's own.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from sluicegate.sdk import SluicegateProvider

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "flagd"


def _provider(name: str) -> SluicegateProvider:
    provider = SluicegateProvider.from_file(FIXTURES / name)
    provider.initialize(EvaluationContext())
    return provider


def test_the_testkit_file_loads_and_logs_each_problem_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="sluicegate.sdk.provider"):
        provider = _provider("testkit-flags.json")
    assert provider.snapshot is not None
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 4
    assert any("/flags/ref-to-nonexistent-evaluator-flag/targeting/if/0/$ref" in m for m in warned)
    details = provider.resolve_string_details("string-flag", "bye")
    assert (details.value, details.reason) == ("hi", Reason.STATIC)


@pytest.mark.parametrize(
    ("flag", "context", "value", "reason", "error"),
    [
        ("ref-to-nonexistent-evaluator-flag", {}, "fallback", Reason.ERROR, ErrorCode.PARSE_ERROR),
        ("fractional-zero-weights-flag", {"targetingKey": "u"}, "fallback", Reason.DEFAULT, None),
        ("fractional-negative-weight-flag", {"targetingKey": "u"}, "two", None, None),
        ("semver-invalid-operator-flag", {"version": "1.0.0"}, "fallback", Reason.DEFAULT, None),
    ],
)
def test_broken_flags_evaluate_as_flagd_does(
    flag: str, context: dict[str, str], value: str, reason: Reason | None, error: ErrorCode | None
) -> None:
    provider = _provider("testkit-flags.json")
    key = context.pop("targetingKey", None)
    details = provider.resolve_string_details(flag, "fallback", EvaluationContext(key, context))
    assert details.value == value
    assert details.error_code == error
    if reason is not None:
        assert details.reason == reason


def test_the_merged_flag_file_loads() -> None:
    provider = _provider("allFlags.json")
    details = provider.resolve_integer_details("missing-variant-targeting-flag", 3)
    assert (details.value, details.error_code) == (3, ErrorCode.GENERAL)
    details = provider.resolve_integer_details("error-targeting-flag", 3)
    assert (details.value, details.error_code) == (3, ErrorCode.PARSE_ERROR)
    ctx = EvaluationContext(attributes={"id": "abcdef"})
    assert provider.resolve_string_details("starts-ends-flag", "x", ctx).value == "prefix"
