"""An experiment's effect on its services' delivery (issue 13 §4), on SQLite and PostgreSQL.

The experiment enters canary on 2026-11-21 12:00 and is rolled back 20 days later; the
periods are 20 days each. ``checkout`` deploys every other day before (4 of 10 fail), every
day during (1 of 20 fails; 5 are the experiment's own) and every other day after (none fails).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.support.app import EXAMPLE_PROPOSAL, Harness
from tests.support.cli_app import AppCli
from tests.support.rollouts import canary_experiment

START = datetime(2026, 11, 21, 12, tzinfo=UTC)
IMPACT = "/api/v1/experiments/checkout-redesign/impact"


def _deploy(h: Harness, n: int, at: datetime, *, failed: bool, **over: Any) -> None:
    body = {
        "id": f"d-{n}",
        "source": "ci",
        "service": "checkout",
        "environment": "production",
        "status": "failure" if failed else "success",
        "started_at": at.isoformat(),
        "finished_at": (at + timedelta(minutes=5)).isoformat(),
        "revisions": [{"repo": "shop/checkout", "sha": f"{n:040x}"}],
        **over,
    }
    r = h.call("alice", "POST", "/api/v1/delivery/deployments", json=body)
    assert r.status_code == 201, r.text


def _history(h: Harness) -> None:
    n = 0
    for i in range(10):  # before: every other day, 4 failures
        n += 1
        _deploy(h, n, START - timedelta(days=20 - 2 * i, hours=-1), failed=i in (1, 3, 5, 7))
    for i in range(20):  # during: daily, 1 failure, 5 the experiment's own
        n += 1
        own = {"experiment": "checkout-redesign"} if i % 4 == 0 else {}
        _deploy(h, n, START + timedelta(days=i, hours=1), failed=i == 10, **own)
    for i in range(10):  # after
        n += 1
        _deploy(h, n, START + timedelta(days=20 + 2 * i, hours=1), failed=False)
    n += 1  # another service's deployment counts for nothing here
    _deploy(h, n, START + timedelta(days=3), failed=True, service="search")


def test_the_impact_compares_before_during_and_after(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.clock.moment = START
    canary_experiment(harness)
    early = harness.call("erin", "GET", IMPACT)
    assert early.status_code == 200, early.text
    assert early.json()["comparisons"] == {}  # it has not run for any time yet
    harness.clock.advance(days=20)
    r = harness.call(
        "alice",
        "POST",
        "/api/v1/experiments/checkout-redesign/transitions",
        json={"to": "rolled-back", "reason": "no effect"},
    )
    assert r.status_code == 200, r.text
    harness.clock.advance(days=20)
    _history(harness)
    got = harness.call("erin", "GET", IMPACT)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["services"] == ["checkout"]
    assert body["started_at"] == START.isoformat()
    assert body["ended_at"] == (START + timedelta(days=20)).isoformat()
    periods = body["periods"]
    assert [periods[p]["deployment_frequency"]["deployments"] for p in periods] == [10, 20, 10]
    assert periods["during"]["own_deployments"] == 5
    during = body["comparisons"]["during_vs_before"]
    assert during["deployment_frequency"]["estimate"] == pytest.approx(2.0)
    assert during["deployment_frequency"]["significant"] is False  # 10 against 20 is noise
    cfr = during["change_fail_rate"]
    assert cfr["before"] == pytest.approx(0.4)
    assert cfr["after"] == pytest.approx(0.05)
    assert cfr["estimate"] == pytest.approx(-0.35)
    assert cfr["ci_low"] < -0.35 < cfr["ci_high"] < 0
    assert cfr["significant"] is True
    after = body["comparisons"]["after_vs_before"]
    assert after["change_fail_rate"]["after"] == 0.0
    assert after["lead_time"]["note"] == "no data in a period"  # no changes were reported

    shown = AppCli(harness, monkeypatch)("experiment", "impact", "checkout-redesign", who="erin")
    assert shown.exit_code == 0, shown.output
    assert "during against before" in shown.output
    assert "-35.0 pts" in shown.output


def test_impact_refuses_what_it_cannot_measure(harness: Harness) -> None:
    assert harness.call("erin", "GET", "/api/v1/experiments/nope/impact").status_code == 404
    r = harness.call(
        "alice",
        "POST",
        "/api/v1/experiments",
        content=EXAMPLE_PROPOSAL,
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    proposed = harness.call("erin", "GET", IMPACT)
    assert proposed.status_code == 409, proposed.text
    assert "has not started" in proposed.json()["detail"]
    bad = harness.call("erin", "GET", IMPACT, params={"days": 0})
    assert bad.status_code == 422
    assert "days" in bad.text
    worse = harness.call("erin", "GET", IMPACT, params={"confidence": 1})
    assert worse.status_code == 422
    assert "confidence" in worse.text
