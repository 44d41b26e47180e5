"""The official flagd-testbed (v3.9.0) evaluator scenarios, against Sluicegate and the reference.

Every evaluator scenario must pass on ``sluicegate.flags`` (issue #11: what flagd accepts,
Sluicegate accepts, and each problem becomes the same evaluation-time error or default). The same
runner drives ``openfeature-flagd-core``, the reference evaluator, so a defect in the runner shows
up as a reference failure rather than as a Sluicegate pass. The ``@fractional-v1``/``-v2`` examples
run with the older bucketing algorithms, which only Sluicegate implements.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from openfeature.contrib.tools.flagd.core import FlagdCore
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import OpenFeatureError
from tests.support.flagd_testbed import (
    Outcome,
    Scenario,
    require_testbed,
    run_scenario,
    scenarios,
)

from sluicegate.flags import CompiledFlagSet, FlagDefinitionError, compile_flag_set

_TYPES: dict[str, Any] = {
    "Boolean": bool,
    "String": str,
    "Integer": int,
    "Float": float,
    "Object": object,
}


@cache
def _compiled(document: str, bucketing: str | None) -> CompiledFlagSet | FlagDefinitionError:
    try:
        return compile_flag_set(document, bucketing=bucketing)
    except FlagDefinitionError as exc:
        return exc


def sluicegate(
    document: str,
    bucketing: str | None,
    flag_key: str,
    flag_type: str,
    default: Any,
    context: dict[str, Any],
) -> Outcome:
    flag_set = _compiled(document, bucketing)
    if isinstance(flag_set, FlagDefinitionError):
        return Outcome(default, None, "ERROR", "PARSE_ERROR", {})
    result = flag_set.evaluate(flag_key, context, _TYPES[flag_type])
    value = default if result.value is None else result.value
    code = None if result.error_code is None else result.error_code.value
    return Outcome(value, result.variant, result.reason.value, code, result.flag_metadata)


@cache
def _core(document: str) -> FlagdCore:
    core = FlagdCore()
    core.set_flags(document)
    return core


def reference(
    document: str,
    bucketing: str | None,
    flag_key: str,
    flag_type: str,
    default: Any,
    context: dict[str, Any],
) -> Outcome:
    assert bucketing is None, "openfeature-flagd-core implements only the current bucketing"
    core = _core(document)
    targeting_key = context.pop("targetingKey", None)
    evaluation = EvaluationContext(targeting_key, context)
    resolve = getattr(core, f"resolve_{flag_type.lower()}_value")
    try:
        details = resolve(flag_key, default, evaluation)
    except OpenFeatureError as exc:
        return Outcome(default, None, "ERROR", exc.error_code.value, {})
    reason: Any = details.reason
    return Outcome(details.value, details.variant, str(reason.value), None, details.flag_metadata)


def _scenarios() -> list[Scenario]:
    from tests.support.flagd_testbed import TESTBED

    if not (TESTBED / "evaluator").is_dir():
        return []
    return scenarios(TESTBED)


ALL = _scenarios()
CURRENT = [s for s in ALL if s.bucketing is None and "@deprecated" not in s.tags]
OLDER = [s for s in ALL if s.bucketing is not None]


def test_the_suite_is_complete() -> None:
    testbed = require_testbed()
    assert (len(CURRENT), len(OLDER)) == (352, 72), [s.id for s in scenarios(testbed)][:5]


@pytest.mark.parametrize("scenario", CURRENT, ids=lambda s: s.id)
def test_sluicegate(scenario: Scenario) -> None:
    run_scenario(require_testbed(), scenario, sluicegate)


@pytest.mark.parametrize("scenario", OLDER, ids=lambda s: s.id)
def test_sluicegate_older_bucketing(scenario: Scenario) -> None:
    run_scenario(require_testbed(), scenario, sluicegate)


@pytest.mark.parametrize("scenario", CURRENT, ids=lambda s: s.id)
def test_reference(scenario: Scenario) -> None:
    run_scenario(require_testbed(), scenario, reference)
