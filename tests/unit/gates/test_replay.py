"""Replaying a recorded decision gives the same decision, whatever order its mappings were in.

A decision is stored as JSON with sorted keys (the process document and the context are
canonical JSON), so a replay sees every mapping in sorted order. Threshold mappings written in any
other order (the default process's ``staging/tests`` gate has ``junit.failures`` before
``junit.errors``) must still replay as the same decision (issue 12 §1 item 2).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.gates.support import EVIDENCE, FakePolicy, approval, context

from sluicegate.adapters.db.jsontext import dump_json
from sluicegate.domain.gates import (
    Decision,
    DecisionInput,
    ProcessVersion,
    evaluate_gate,
    load_process,
    replay,
    replay_differences,
)

Ids = Callable[[], str]

_KEYS = {
    "junit.failures": {"max": 0},
    "junit.errors": {"max": 0},
    "junit.tests": {"min": 1},
    "coverage.line_rate": {"min": 0.8, "max": 1.0},  # 1.0 is stored as 1
    "sarif.high": {"max": 0},
    "sarif.medium": {"lt": 1, "max": 5},
    "k6.p99_ms": {"max": 300.0, "gt": 0},
    "k6.error_rate": {"lt": 0.01},
}


def _process(thresholds: list[tuple[str, dict[str, Any]]], *, extra: str = "") -> ProcessVersion:
    lines = "\n".join(
        f"            {key}: {{{', '.join(f'{op}: {bound}' for op, bound in spec.items())}}}"
        for key, spec in thresholds
    )
    text = f"""\
apiVersion: sluicegate.dev/v1
kind: Process
metadata: {{name: replay}}
stages:
  - name: staging
  - name: canary
    needs: [staging]
    gates:
      - id: tests
        type: evidence
        enforcement: hard-mandatory
        config:
          risk_evidence: false
          thresholds:
{lines}
{extra}"""
    return ProcessVersion.of(load_process(text, "process.yaml"), 3)


def _stored(decision: Decision) -> tuple[dict[str, Any], dict[str, Any]]:
    """The decision's input and result as the gate tables store them (sorted-key JSON)."""
    stored_input = json.loads(dump_json(decision.input.to_dict(), ascii_only=True))
    stored_result = json.loads(dump_json(decision.result(), ascii_only=True))
    return stored_input, stored_result


def _replayed(stored_input: dict[str, Any], policy: FakePolicy | None = None) -> dict[str, Any]:
    again = replay(DecisionInput.from_dict(stored_input, policy=policy), id_factory=lambda: "x")
    replayed: dict[str, Any] = json.loads(dump_json(again.result(), ascii_only=True))
    return replayed


def test_two_thresholds_out_of_sorted_order_replay_as_the_same_decision(ids: Ids) -> None:
    # the order of the default process's staging/tests gate: failures before errors
    version = _process([("junit.failures", {"max": 0}), ("junit.errors", {"max": 0})])
    decision = evaluate_gate(version, "canary", context(), id_factory=ids)
    stored_input, stored_result = _stored(decision)
    assert replay_differences(stored_result, _replayed(stored_input)) == []


def test_a_failing_gate_with_unsorted_thresholds_replays_too(ids: Ids) -> None:
    version = _process([("sarif.medium", {"max": 0, "lt": 1}), ("coverage.line_rate", {"min": 1})])
    decision = evaluate_gate(version, "canary", context(), id_factory=ids)
    assert decision.outcome.value == "denied"
    stored_input, stored_result = _stored(decision)
    assert replay_differences(stored_result, _replayed(stored_input)) == []


def test_records_stored_in_file_order_before_the_fix_still_replay() -> None:
    """A decision recorded by an earlier release lists threshold results in file order."""
    version = _process([("junit.failures", {"max": 0}), ("junit.errors", {"max": 0})])
    decision = evaluate_gate(version, "canary", context(), id_factory=lambda: "d")
    stored_input, stored_result = _stored(decision)
    old = json.loads(json.dumps(stored_result))
    check = old["checks"][0]
    check["data"]["thresholds"]["results"].reverse()
    check["reasons"].reverse()
    assert replay_differences(old, _replayed(stored_input)) == []


def test_order_that_carries_meaning_still_counts(ids: Ids) -> None:
    version = _process([("junit.failures", {"max": 0}), ("junit.errors", {"max": 0})])
    decision = evaluate_gate(version, "canary", context(), id_factory=ids)
    stored_input, stored_result = _stored(decision)
    replayed = _replayed(stored_input)
    # a different outcome, a different set of reasons, a changed threshold result: all differ
    assert replay_differences({**stored_result, "outcome": "denied"}, replayed) == ["outcome"]
    tampered = json.loads(json.dumps(stored_result))
    tampered["checks"][0]["reasons"][0] = "junit.errors = 3 meets its threshold"
    assert replay_differences(tampered, replayed) == ["checks"]
    tampered = json.loads(json.dumps(stored_result))
    tampered["checks"][0]["data"]["thresholds"]["results"][0]["actual"] = 7
    assert replay_differences(tampered, replayed) == ["checks"]
    # gates are checked in the order the process lists them: that order is part of the decision
    two = _process(
        [("junit.failures", {"max": 0})],
        extra="      - id: more\n        type: evidence\n        config: {require: [sarif]}\n",
    )
    decision = evaluate_gate(two, "canary", context(), id_factory=ids)
    stored_input, stored_result = _stored(decision)
    swapped = {**stored_result, "checks": list(reversed(stored_result["checks"]))}
    assert replay_differences(swapped, _replayed(stored_input)) == ["checks"]


_thresholds = st.lists(st.sampled_from(sorted(_KEYS)), min_size=1, unique=True).flatmap(
    lambda keys: st.permutations(keys).map(
        lambda order: [(k, _KEYS[k]) for k in order]  # file order: any permutation
    )
)
_evidence = st.fixed_dictionaries(
    {},
    optional={
        "junit": st.fixed_dictionaries(
            {
                "kind": st.just("junit"),
                "tests": st.integers(0, 5),
                "failures": st.integers(0, 2),
                "errors": st.integers(0, 2),
            }
        ),
        "coverage": st.fixed_dictionaries(
            {"kind": st.just("coverage"), "line_rate": st.sampled_from([0.5, 0.8, 0.95, None])}
        ),
        "sarif": st.fixed_dictionaries(
            {"kind": st.just("sarif"), "high": st.integers(0, 2), "medium": st.integers(0, 7)}
        ),
        "k6": st.fixed_dictionaries(
            {
                "kind": st.just("load-test"),
                "p99_ms": st.sampled_from([0.0, 120.5, 300.0, 450.0]),
                "error_rate": st.sampled_from([0.0, 0.02]),
            }
        ),
    },
)


@settings(max_examples=60, deadline=None)
@given(
    thresholds=_thresholds,
    evidence=_evidence,
    approvals=st.permutations([approval("ana"), approval("ben", hours_ago=2), approval("cy")]),
    deny=st.lists(st.sampled_from([("pkg.a", "no"), ("pkg.b", "never")]), unique=True),
)
def test_every_decision_replays_as_the_same_decision(
    thresholds: list[tuple[str, dict[str, Any]]],
    evidence: dict[str, dict[str, Any]],
    approvals: list[Any],
    deny: list[tuple[str, str]],
) -> None:
    policy = FakePolicy(deny=tuple(deny))
    extra = (
        "      - id: policies\n        type: policy\n        enforcement: advisory\n"
        "      - id: review\n        type: approval\n"
        "        config: {rules: [{role: reviewer, min: 2}], risk_signoffs: false}\n"
    )
    version = _process(thresholds, extra=extra)
    ctx = context(evidence=evidence or EVIDENCE, approvals=tuple(approvals), policy=policy)
    decision = evaluate_gate(version, "canary", ctx, id_factory=lambda: "d")
    stored_input, stored_result = _stored(decision)
    assert replay_differences(stored_result, _replayed(stored_input, policy)) == []
    # and the same content in sorted file order decides identically, reasons and all
    sorted_version = _process(sorted(thresholds), extra=extra)
    assert sorted_version.content_hash == version.content_hash
    again = evaluate_gate(sorted_version, "canary", ctx, id_factory=lambda: "d")
    assert again.result() == decision.result()
