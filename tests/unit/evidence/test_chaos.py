"""Chaos Toolkit journals and the sluicegate blast-radius convention."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from sluicegate.domain.gates.evidence import EvidenceError, parse_chaos_journal


def _journal(**overrides: Any) -> bytes:
    doc: dict[str, Any] = {
        "experiment": {"title": "t", "method": []},
        "status": "completed",
        "deviated": False,
        "steady_states": {"before": {"steady_state_met": True}, "after": None},
    }
    doc.update(overrides)
    return json.dumps(doc).encode()


def test_journal_facts(fixture_bytes: Callable[[str], bytes]) -> None:
    facts = parse_chaos_journal(fixture_bytes("chaos_journal.json"))
    assert facts.status == "completed"
    assert facts.deviated is False
    assert (facts.steady_state_before, facts.steady_state_after) == (True, True)
    assert facts.blast_radius is not None
    assert facts.blast_radius.source == "extension"
    assert facts.blast_radius.scope == "canary:checkout"
    assert facts.blast_radius.max_pct_users == 5
    assert facts.to_dict()["blast_radius"]["max_pct_users"] == 5


def test_blast_radius_from_configuration() -> None:
    experiment = {"title": "t", "configuration": {"sluicegate_blast_radius": {"scope": "eu"}}}
    facts = parse_chaos_journal(_journal(experiment=experiment))
    assert facts.blast_radius is not None
    assert (facts.blast_radius.scope, facts.blast_radius.source) == ("eu", "configuration")
    assert facts.blast_radius.max_pct_users is None


def test_blast_radius_from_tags() -> None:
    tags = ["sluicegate:blast-radius-scope=canary", "sluicegate:blast-radius-pct=2.5"]
    facts = parse_chaos_journal(_journal(experiment={"title": "t", "tags": tags}))
    assert facts.blast_radius is not None
    assert (facts.blast_radius.scope, facts.blast_radius.max_pct_users) == ("canary", 2.5)


def test_no_blast_radius_declared() -> None:
    facts = parse_chaos_journal(_journal())
    assert facts.blast_radius is None
    assert facts.steady_state_after is None


def test_failed_deviated_run() -> None:
    facts = parse_chaos_journal(
        _journal(
            status="failed", deviated=True, steady_states={"after": {"steady_state_met": False}}
        )
    )
    assert (facts.status, facts.deviated, facts.steady_state_after) == ("failed", True, False)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (_journal(status="succeeded"), "status 'succeeded' is not one of"),
        (_journal(deviated="no"), "deviated must be a boolean"),
        (_journal(experiment=None), "no 'experiment' object"),
        (
            json.dumps({"title": "x", "method": [], "steady-state-hypothesis": {}}).encode(),
            "looks like an experiment file",
        ),
        (
            _journal(experiment={"extensions": [{"name": "sluicegate", "blast_radius": 5}]}),
            "blast_radius (extension) must be an object",
        ),
        (
            _journal(
                experiment={
                    "extensions": [{"name": "sluicegate", "blast_radius": {"max_pct_users": 140}}]
                }
            ),
            "not a percentage",
        ),
        (_journal(steady_states={"before": {"steady_state_met": "yes"}}), "must be a boolean"),
        (b"[]", "journal must be a JSON object"),
    ],
)
def test_malformed_journal(data: bytes, reason: str) -> None:
    with pytest.raises(EvidenceError) as info:
        parse_chaos_journal(data)
    assert reason in info.value.reason
