"""Rollouts over the API on SQLite and PostgreSQL, moved by the controller engine tick by tick.

The engine runs in-process with the harness's fake clock and the seeded simulated metric source,
so every tick sees the same numbers on every run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.support.app import Harness
from tests.support.rollouts import FLAGS, canary_experiment, create_rollout, flag_set

from sluicegate.controller import Engine, EngineSettings, SimulatedMetricSource
from sluicegate.service.metrics.ports import MetricSource
from sluicegate.service.rollouts import RolloutVerdicts


def _source(multiplier: float = 1.0) -> dict[str, Any]:
    return {
        "kind": "simulated",
        "seed": 11,
        "requests_per_interval": 2000,
        "canary_error_multiplier": multiplier,
    }


def _analysis(multiplier: float = 1.0, intervals: int = 2) -> dict[str, Any]:
    return {"analysis": {"intervals": intervals, "source": _source(multiplier)}}


def _engine(h: Harness) -> Engine:
    cache: dict[str, SimulatedMetricSource] = {}

    def sources(spec: Any) -> MetricSource:
        key = repr(sorted(spec.items()))
        return cache.setdefault(key, SimulatedMetricSource(spec))

    return Engine(h.container.deps, sources, settings=EngineSettings())


def _run(h: Harness, engine: Engine, rollout_id: str, limit: int = 60) -> dict[str, Any]:
    """Tick (10 s of fake time apart) until the rollout is final."""
    for _ in range(limit):
        h.clock.advance(seconds=10)
        engine.tick(rollout_id)
        body = h.call("erin", "GET", f"/api/v1/rollouts/{rollout_id}").json()
        if body["status"] in ("succeeded", "rolled-back", "aborted"):
            return dict(body)
    raise AssertionError(f"rollout {rollout_id} did not finish in {limit} ticks")


def test_deployment_rollout_ramps_and_publishes_weights(harness: Harness) -> None:
    h = harness
    canary_experiment(h)
    plan = {
        "target": {"kind": "deployment", "service": "checkout"},
        "revisions": [{"repo": "shop/checkout", "sha": "9F1C2E7"}],
        **_analysis(),
    }
    r = create_rollout(h, plan)
    assert r.status_code == 201, r.text
    rollout = r.json()
    assert rollout["status"] == "pending"
    kinds = [(s["kind"], s.get("weight")) for s in rollout["steps"]]
    assert [w for k, w in kinds if k == "weight"] == [1, 5, 25, 50, 100]
    rid = rollout["id"]
    assert h.call("alice", "POST", f"/api/v1/rollouts/{rid}/start").json()["status"] == "running"

    engine = _engine(h)
    w = h.call("erin", "GET", f"/api/v1/rollouts/{rid}/weights").json()
    seen: list[int] = [w["weights"]["canary"]]
    for _ in range(80):
        h.clock.advance(seconds=10)
        engine.tick(rid)
        w = h.call("erin", "GET", f"/api/v1/rollouts/{rid}/weights").json()
        if seen[-1] != w["weights"]["canary"]:
            seen.append(w["weights"]["canary"])
        if w["status"] == "succeeded":
            break
    assert seen == [0, 1, 5, 25, 50, 100]
    assert w["weights"] == {"canary": 100, "stable": 0}
    body = h.call("erin", "GET", f"/api/v1/rollouts/{rid}").json()
    applied = [(s["step"], s["status"]) for s in body["history"] if s["action"] == "apply"]
    assert applied == [(i, "applied") for i in (0, 2, 4, 6, 8)]
    analyses = [s for s in body["history"] if s["action"] == "analysis"]
    assert {s["status"] for s in analyses} == {"passed"}
    assert body["incidents"] == []
    # Every step is audited.
    audit = h.call(
        "bob", "GET", "/api/v1/audit", params={"entity_type": "rollout", "entity_id": rid}
    ).json()["items"]
    actions = [e["action"] for e in audit]
    assert actions.count("rollout.step-apply") == 5
    assert actions[-1] == "rollout.succeed"
    with h.container.deps.uow(readonly=True) as uow:
        verdict = RolloutVerdicts(uow).verdict("checkout-redesign", "rollout", "rollout")
    assert verdict is not None
    assert verdict.status == "pass"
    # The rollout is a deployment, delivered by Sluicegate itself (issue 13 §1).
    found = h.call(
        "erin", "GET", "/api/v1/delivery/deployments", params={"source": "sluicegate"}
    ).json()["deployments"]
    assert [(d["id"], d["status"], d["service"]) for d in found] == [
        (f"rollout-{rid}", "success", "checkout")
    ]
    assert found[0]["experiment"] == "checkout-redesign"
    assert found[0]["environment"] == "production"
    assert found[0]["revisions"] == [{"repo": "shop/checkout", "sha": "9f1c2e7"}]


def test_bad_canary_rolls_back_opens_incident_and_marks_experiment(harness: Harness) -> None:
    h = harness
    canary_experiment(h)
    hook = h.call(
        "admin",
        "POST",
        "/api/v1/webhooks",
        json={"name": "ops", "url": "http://127.0.0.1:9/hook", "events": ["*"]},
    )
    assert hook.status_code == 201, hook.text
    plan = {"target": {"kind": "deployment", "service": "checkout"}, **_analysis(6.0)}
    rid = create_rollout(h, plan).json()["id"]
    h.call("alice", "POST", f"/api/v1/rollouts/{rid}/start")
    body = _run(h, _engine(h), rid)
    assert body["status"] == "rolled-back"
    assert body["weights"] == {"canary": 0, "stable": 100}
    assert body["outcome"]["result"] == "rolled-back"
    assert body["outcome"]["evidence"]["monitor"]["action"] == "rollback"
    [incident] = body["incidents"]
    assert incident["services"] == ["checkout"]
    assert incident["evidence"]["monitor"]["action"] == "rollback"
    exp = h.call("erin", "GET", "/api/v1/experiments/checkout-redesign").json()
    assert exp["state"] == "rolled-back"
    events = {
        d["event_type"]
        for d in h.call("admin", "GET", "/api/v1/webhooks/deliveries").json()["items"]
    }
    assert {"rollout.weights", "rollout.rolled-back", "incident.opened"} <= events
    breakers = h.call("erin", "GET", "/api/v1/rollouts/breakers").json()["items"]
    assert [(b["key"], b["state"]) for b in breakers] == [("service:checkout", "open")]
    # What the metric-verdict gate check will read.
    with h.container.deps.uow(readonly=True) as uow:
        verdict = RolloutVerdicts(uow).verdict("checkout-redesign", "rollout", "rollout")
        assert RolloutVerdicts(uow).verdict("checkout-redesign", "rollout", "other") is None
    assert verdict is not None
    assert verdict.status == "fail"
    assert "monitor" in verdict.reasons[1]
    # Delivery sees a failed deployment, its rollback (rework) and a linked incident.
    deployments = {
        d["id"]: d
        for d in h.call(
            "erin", "GET", "/api/v1/delivery/deployments", params={"source": "sluicegate"}
        ).json()["deployments"]
    }
    assert deployments[f"rollout-{rid}"]["status"] == "failure"
    back = deployments[f"rollout-{rid}/rollback"]
    assert (back["kind"], back["rollback_of"], back["status"]) == (
        "rollback",
        f"rollout-{rid}",
        "success",
    )
    [reported] = h.call(
        "erin", "GET", "/api/v1/delivery/incidents", params={"source": "sluicegate"}
    ).json()["incidents"]
    assert reported["id"] == incident["id"]
    assert reported["caused_by_deployment"] == f"rollout-{rid}"
    assert reported["change_induced"] is True
    h.clock.advance(seconds=1)  # a window ends before now
    figures = h.call("erin", "GET", "/api/v1/delivery/metrics", params={"service": "checkout"})
    assert figures.json()["change_fail_rate"]["numerator"] == 1, figures.text
    assert figures.json()["rework_rate"]["numerator"] == 1


def test_open_service_breaker_holds_other_rollouts_until_a_probe_succeeds(
    sqlite_harness: Harness,
) -> None:
    h = sqlite_harness
    canary_experiment(h)
    # The bad rollout's rollback ends its experiment (rolled-back), which then takes no more
    # rollouts; the breaker is per service, so a second experiment on checkout meets it.
    canary_experiment(h, "checkout-b")
    engine = _engine(h)
    bad = create_rollout(
        h, {"target": {"kind": "deployment", "service": "checkout"}, **_analysis(6.0)}
    )
    good = create_rollout(
        h,
        {
            "target": {"kind": "deployment", "service": "checkout", "deployment": "checkout-b"},
            **_analysis(),
        },
        experiment="checkout-b",
    )
    bad_id, good_id = bad.json()["id"], good.json()["id"]
    h.call("alice", "POST", f"/api/v1/rollouts/{bad_id}/start")
    assert _run(h, engine, bad_id)["status"] == "rolled-back"
    assert h.call("alice", "POST", f"/api/v1/rollouts/{good_id}/start").status_code == 200
    h.clock.advance(seconds=10)
    engine.tick(good_id)
    held = h.call("erin", "GET", f"/api/v1/rollouts/{good_id}").json()
    assert held["current_step"] == 0
    assert "service:checkout is open" in held["hold_reason"]
    # After the cooldown the breaker is half-open: this rollout is the probe and goes on.
    h.clock.advance(seconds=EngineSettings().service_cooldown_seconds)
    assert _run(h, engine, good_id)["status"] == "succeeded"
    breakers = h.call("erin", "GET", "/api/v1/rollouts/breakers").json()["items"]
    assert [(b["key"], b["state"]) for b in breakers] == [("service:checkout", "closed")]


def test_flag_rollout_writes_revisions_with_rings_and_rolls_back_the_flag(
    harness: Harness,
) -> None:
    h = harness
    canary_experiment(h)
    flag_set(h)
    plan = {
        "target": {
            "kind": "flag",
            "flag_set": "shop",
            "environment": "staging",
            "flag": "new-checkout",
        },
        "steps": [
            {"ring": {"name": "internal", "segments": ["internal"]}},
            {"weight": 10},
            {"analysis": {"intervals": 2, "source": _source(6.0)}},
            {"weight": 100},
        ],
    }
    rid = create_rollout(h, plan).json()["id"]
    h.call("alice", "POST", f"/api/v1/rollouts/{rid}/start")
    engine = _engine(h)
    for _ in range(2):
        h.clock.advance(seconds=10)
        engine.tick(rid)
    doc = h.call("erin", "GET", "/api/v1/flag-sets/shop/staging").json()["document"]
    flag = doc["flags"]["new-checkout"]
    assert flag["targeting"] == {
        "if": [
            {"in": [{"var": "ring"}, ["internal"]]},
            "on",
            {"fractional": [["on", 10], ["off", 90]]},
        ]
    }
    assert doc["flags"]["other"] == FLAGS["flags"]["other"]
    body = _run(h, engine, rid)
    assert body["status"] == "rolled-back"
    doc = h.call("erin", "GET", "/api/v1/flag-sets/shop/staging").json()["document"]
    assert doc["flags"]["new-checkout"] == FLAGS["flags"]["new-checkout"]
    revisions = h.call("erin", "GET", "/api/v1/flag-sets/shop/staging/revisions").json()["items"]
    # created, the document, ring, 10 %, rollback: each once.
    assert len(revisions) == 5


def test_pause_until_approved_waits_for_promote_by_a_reviewer(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    canary_experiment(h)
    plan = {
        "target": {"kind": "deployment", "service": "checkout"},
        "steps": [{"weight": 5}, {"pause": {"until": "approved"}}, {"weight": 100}],
    }
    rid = create_rollout(h, plan).json()["id"]
    h.call("alice", "POST", f"/api/v1/rollouts/{rid}/start")
    engine = _engine(h)
    for _ in range(4):
        h.clock.advance(seconds=10)
        engine.tick(rid)
    body = h.call("erin", "GET", f"/api/v1/rollouts/{rid}").json()
    assert (body["current_step"], body["weights"]["canary"]) == (1, 5)
    assert "promote" in body["hold_reason"]
    r = h.call("alice", "POST", f"/api/v1/rollouts/{rid}/promote", json={})
    assert r.status_code == 403
    assert h.call("bob", "POST", f"/api/v1/rollouts/{rid}/promote", json={}).status_code == 200
    assert _run(h, engine, rid)["status"] == "succeeded"


def test_manual_pause_resume_and_abort(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    canary_experiment(h)
    plan = {"target": {"kind": "deployment", "service": "checkout"}, **_analysis()}
    rid = create_rollout(h, plan).json()["id"]
    r = h.call("alice", "POST", f"/api/v1/rollouts/{rid}/pause", json={})
    assert r.status_code == 409
    assert r.json()["code"] == "invalid-transition"
    h.call("alice", "POST", f"/api/v1/rollouts/{rid}/start")
    engine = _engine(h)
    h.clock.advance(seconds=10)
    engine.tick(rid)
    assert h.call("alice", "POST", f"/api/v1/rollouts/{rid}/pause", json={}).status_code == 200
    for _ in range(3):
        h.clock.advance(seconds=10)
        engine.tick(rid)
    paused = h.call("erin", "GET", f"/api/v1/rollouts/{rid}").json()
    assert (paused["status"], paused["current_step"]) == ("paused", 1)
    assert h.call("alice", "POST", f"/api/v1/rollouts/{rid}/resume").status_code == 200
    r = h.call("alice", "POST", f"/api/v1/rollouts/{rid}/abort", json={})
    assert r.status_code == 422
    r = h.call("alice", "POST", f"/api/v1/rollouts/{rid}/abort", json={"reason": "pager"})
    assert r.json()["status"] == "rolling-back"
    h.clock.advance(seconds=10)
    engine.tick(rid)
    body = h.call("erin", "GET", f"/api/v1/rollouts/{rid}").json()
    assert body["status"] == "aborted"
    assert body["weights"]["canary"] == 0
    assert body["incidents"] == []
    exp = h.call("erin", "GET", "/api/v1/experiments/checkout-redesign").json()
    assert exp["state"] == "canary"


@pytest.mark.parametrize(
    ("plan", "field"),
    [
        ({}, "plan.target"),
        ({"target": {"kind": "rocket"}}, "plan.target.kind"),
        ({"target": {"kind": "deployment", "service": "checkout"}, "steps": []}, "plan.steps"),
        (
            {"target": {"kind": "deployment", "service": "checkout"}, "steps": [{"weight": 101}]},
            "plan.steps[0].weight",
        ),
        (
            {
                "target": {"kind": "deployment", "service": "checkout"},
                "steps": [{"weight": 50}, {"weight": 10}],
            },
            "plan.steps[1]",
        ),
        (
            {"target": {"kind": "blue-green", "service": "checkout"}, "steps": [{"switch": True}]},
            "plan.steps",
        ),
        (
            {
                "target": {"kind": "deployment", "service": "checkout"},
                "steps": [{"weight": 5}, {"analysis": {"monitor": {"alpha": 2}}}],
            },
            "plan.steps[1].analysis.monitor",
        ),
        (
            {"target": {"kind": "flag", "flag_set": "nope", "environment": "staging", "flag": "f"}},
            "plan.target.flag_set",
        ),
    ],
)
def test_invalid_plans_are_refused_and_change_nothing(
    sqlite_harness: Harness, plan: dict[str, Any], field: str
) -> None:
    h = sqlite_harness
    canary_experiment(h)
    before = h.counts()
    r = create_rollout(h, plan)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert h.counts() == before


def test_rollouts_need_team_membership_and_an_existing_experiment(
    sqlite_harness: Harness,
) -> None:
    h = sqlite_harness
    canary_experiment(h)
    plan = {"target": {"kind": "deployment", "service": "checkout"}}
    assert create_rollout(h, plan, who="zoe").status_code == 403
    r = h.call("alice", "POST", "/api/v1/rollouts", json={"experiment": "nope", "plan": plan})
    assert r.status_code == 404
    assert h.call("erin", "GET", "/api/v1/rollouts/none").status_code == 404


def test_blue_green_switches_once_between_two_analyses(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    canary_experiment(h)
    plan = {"target": {"kind": "blue-green", "service": "checkout"}, **_analysis()}
    rid = create_rollout(h, plan).json()["id"]
    h.call("alice", "POST", f"/api/v1/rollouts/{rid}/start")
    body = _run(h, _engine(h), rid)
    assert body["status"] == "succeeded"
    assert [s["action"] for s in body["history"]] == ["analysis", "apply", "analysis"]
    w = h.call("erin", "GET", f"/api/v1/rollouts/{rid}/weights").json()["weights"]
    assert w == {"canary": 100, "stable": 0, "green": 100, "blue": 0}


def test_cli_start_status_watch_and_exit_codes(
    sqlite_harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sluice rollout`` in-process, its HTTP client talking to the harness's app."""
    from typer.testing import CliRunner

    from sluicegate.cli import common
    from sluicegate.cli.client import Client
    from sluicegate.cli.main import app

    h = sqlite_harness
    canary_experiment(h)

    def client() -> Client:
        c = Client("http://testserver", None)
        c._http.close()
        c._http = h.client  # the TestClient is an httpx.Client
        h.client.headers.update(h.headers("alice"))
        return c

    monkeypatch.setattr(common, "from_env", client)
    monkeypatch.setattr(Client, "close", lambda self: None)
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        yaml.safe_dump(
            {
                "experiment": "checkout-redesign",
                "plan": {"target": {"kind": "deployment", "service": "checkout"}, **_analysis(6.0)},
            }
        )
    )
    runner = CliRunner()
    started = runner.invoke(app, ["rollout", "start", "-f", str(plan), "--json"])
    assert started.exit_code == 0, started.output
    rid = json.loads(started.stdout)["id"]
    status = runner.invoke(app, ["rollout", "status", rid, "--json"])
    assert status.exit_code == 0
    assert json.loads(status.stdout)["status"] == "running"
    bad = runner.invoke(app, ["rollout", "promote", rid])
    assert bad.exit_code == 3  # a contributor may not promote
    _run(h, _engine(h), rid)
    watched = runner.invoke(app, ["rollout", "status", rid, "--watch", "--interval", "0"])
    assert watched.exit_code == 4, watched.output
    assert "rolled-back" in watched.stdout
    missing = runner.invoke(app, ["rollout", "status", "nope"])
    assert missing.exit_code == 6


GATED_PROCESS = """\
apiVersion: sluicegate.dev/v1
kind: Process
metadata: {name: default}
entry: sandbox
stages:
  - name: sandbox
  - name: staging
    needs: [sandbox]
  - name: canary
    needs: [staging]
  - name: rollout
    needs: [canary]
    gates:
      - id: sign-off
        type: approval
        enforcement: hard-mandatory
        config:
          rules: [{domain: security, min: 1}]
          risk_signoffs: false
"""


def test_a_gated_step_holds_until_the_stage_gates_pass(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    canary_experiment(h)
    r = h.call(
        "admin",
        "PUT",
        "/api/v1/processes/default",
        json={"source": GATED_PROCESS, "filename": "process.yaml"},
    )
    assert r.status_code < 300, r.text
    plan = {
        "target": {"kind": "deployment", "service": "checkout"},
        "steps": [{"weight": 5}, {"weight": 50, "gate": "rollout"}],
    }
    rid = create_rollout(h, plan).json()["id"]
    h.call("alice", "POST", f"/api/v1/rollouts/{rid}/start")
    engine = _engine(h)
    for _ in range(3):
        h.clock.advance(seconds=10)
        engine.tick(rid)
    held = h.call("erin", "GET", f"/api/v1/rollouts/{rid}").json()
    assert (held["current_step"], held["weights"]["canary"]) == (1, 5)
    assert "gates of stage rollout are pending" in held["hold_reason"]
    # One decision for the first check; the recheck waits for its interval.
    decisions = h.call(
        "bob", "GET", "/api/v1/audit", params={"entity_type": "gate-decision"}
    ).json()["items"]
    assert len(decisions) == 1
    r = h.call(
        "bob",
        "POST",
        "/api/v1/experiments/checkout-redesign/approvals",
        json={"domain": "security", "stage": "rollout"},
    )
    assert r.status_code == 201, r.text
    h.clock.advance(seconds=EngineSettings().gate_recheck_seconds)
    body = _run(h, engine, rid)
    assert body["status"] == "succeeded"
    assert [s["action"] for s in body["history"]] == ["apply", "gate", "apply"]
    assert body["history"][1]["detail"]["decision"]


def test_lease_is_taken_renewed_refused_and_released(harness: Harness) -> None:
    """The single-UPDATE lease on both engines (PostgreSQL decides expiry with now())."""
    deps = harness.container.deps
    now = harness.clock.now()

    def acquire(holder: str) -> bool:
        with deps.uow() as uow:
            return uow.leases.acquire("rollout-controller", holder, 3600, now)

    assert acquire("a")
    assert acquire("a")  # renewal
    assert not acquire("b")
    with deps.uow() as uow:
        lease = uow.leases.get("rollout-controller")
    assert lease is not None
    assert lease[0] == "a"
    with deps.uow() as uow:
        uow.leases.release("rollout-controller", "b")  # not b's: no effect
    assert not acquire("b")
    with deps.uow() as uow:
        uow.leases.release("rollout-controller", "a")
    assert acquire("b")
    assert not acquire("a")


VERDICT_PROCESS = """\
apiVersion: sluicegate.dev/v1
kind: Process
metadata: {name: default}
entry: sandbox
stages:
  - name: sandbox
  - name: staging
    needs: [sandbox]
  - name: canary
    needs: [staging]
  - name: rollout
    needs: [canary]
    gates:
      - id: analysis
        type: metric-verdict
        enforcement: hard-mandatory
        config: {analysis: rollout, required: true}
"""


def _verdict_check(h: Harness) -> tuple[str, dict[str, Any]]:
    r = h.call("alice", "POST", "/api/v1/experiments/checkout-redesign/gates/rollout/check")
    assert r.status_code == 200, r.text
    body = r.json()
    [check] = [c for c in body["checks"] if c["gate"] == "analysis"]
    return body["outcome"], check


def test_metric_verdict_gates_read_the_rollouts(harness: Harness) -> None:
    """The gate check asks the experiment's rollouts; a gated step sees its own rollout's
    analyses so far (no deadlock on a running rollout)."""
    h = harness
    canary_experiment(h)
    r = h.call(
        "admin",
        "PUT",
        "/api/v1/processes/default",
        json={"source": VERDICT_PROCESS, "filename": "process.yaml"},
    )
    assert r.status_code < 300, r.text
    outcome, check = _verdict_check(h)
    assert (outcome, check["status"]) == ("pending", "pending")
    assert "analysis rollout has no verdict yet" in check["reasons"]

    analysis = _analysis(intervals=2)["analysis"]
    plan = {
        "target": {"kind": "deployment", "service": "checkout"},
        "analysis": analysis,
        "steps": [{"weight": 5}, {"analysis": {}}, {"weight": 50, "gate": "rollout"}],
    }
    rid = create_rollout(h, plan).json()["id"]
    h.call("alice", "POST", f"/api/v1/rollouts/{rid}/start")
    # While it runs, CI asking for the stage waits for the rollout to finish.
    outcome, check = _verdict_check(h)
    assert (outcome, check["status"]) == ("pending", "pending")
    assert any("is running" in reason for reason in check["reasons"])
    body = _run(h, _engine(h), rid)
    assert body["status"] == "succeeded"
    assert [s["action"] for s in body["history"]] == ["apply", "analysis", "gate", "apply"]
    decision_id = body["history"][2]["detail"]["decision"]
    decision = h.call("bob", "GET", f"/api/v1/decisions/{decision_id}").json()
    [own] = [c for c in decision["checks"] if c["gate"] == "analysis"]
    assert own["status"] == "pass"
    assert any("in flight: 1 of 1 analysis step(s) passed" in x for x in own["reasons"])
    outcome, check = _verdict_check(h)
    assert (outcome, check["status"]) == ("pass", "pass")
    assert check["data"]["status"] == "pass"


def test_a_rolled_back_rollout_denies_its_metric_verdict_gate(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    canary_experiment(h)
    r = h.call(
        "admin",
        "PUT",
        "/api/v1/processes/default",
        json={"source": VERDICT_PROCESS, "filename": "process.yaml"},
    )
    assert r.status_code < 300, r.text
    plan = {"target": {"kind": "deployment", "service": "checkout"}, **_analysis(6.0)}
    rid = create_rollout(h, plan).json()["id"]
    h.call("alice", "POST", f"/api/v1/rollouts/{rid}/start")
    assert _run(h, _engine(h), rid)["status"] == "rolled-back"
    outcome, check = _verdict_check(h)
    assert (outcome, check["status"]) == ("denied", "fail")
    assert any(f"rollout {rid}" in reason for reason in check["reasons"])


def _governed_flag_set(h: Harness) -> str:
    """The shop flag set in production (governed by default) with the FLAGS document."""
    body = {"name": "shop", "environment": "production", "owner_team": "payments"}
    r = h.call("admin", "POST", "/api/v1/flag-sets", json={**body, "document": FLAGS})
    assert r.status_code == 201, r.text
    base = "/api/v1/flag-sets/shop/production"
    assert h.call("erin", "GET", base).json()["requires_approval"] is True
    pending = h.call("erin", "GET", f"{base}/change-requests", params={"state": "pending"})
    for cr in pending.json()["items"]:  # the creating document itself may wait for a review
        approve = f"{base}/change-requests/{cr['id']}/approve"
        assert h.call("bob", "POST", approve, json={}).status_code == 200
        r = h.call("alice", "POST", f"{base}/change-requests/{cr['id']}/apply")
        assert r.status_code == 200, r.text
    assert h.call("erin", "GET", base).json()["document"]["flags"] == FLAGS["flags"]
    return base


def _flag_plan(steps: list[dict[str, Any]]) -> dict[str, Any]:
    target = {"kind": "flag", "flag_set": "shop", "environment": "production"}
    return {"target": {**target, "flag": "new-checkout"}, "steps": steps}


def _ticks(h: Harness, engine: Engine, rid: str, n: int) -> dict[str, Any]:
    for _ in range(n):
        h.clock.advance(seconds=10)
        engine.tick(rid)
    return dict(h.call("erin", "GET", f"/api/v1/rollouts/{rid}").json())


def test_governed_flag_steps_wait_for_four_eyes_and_rollback_does_not(harness: Harness) -> None:
    h = harness
    canary_experiment(h)
    base = _governed_flag_set(h)
    plan = _flag_plan(
        [{"weight": 10}, {"analysis": {"intervals": 2, "source": _source(6.0)}}, {"weight": 100}]
    )
    rid = create_rollout(h, plan).json()["id"]
    h.call("alice", "POST", f"/api/v1/rollouts/{rid}/start")
    engine = _engine(h)
    held = _ticks(h, engine, rid, 3)
    [cr] = h.call("erin", "GET", f"{base}/change-requests", params={"state": "pending"}).json()[
        "items"
    ]
    assert (held["current_step"], held["weights"]["canary"]) == (0, 0)
    assert f"flag change request {cr['id']} awaits approval" in held["hold_reason"]
    assert h.call("erin", "GET", base).json()["document"]["flags"] == FLAGS["flags"]
    # A reviewer approves; the controller applies the approved request itself.
    approve = f"{base}/change-requests/{cr['id']}/approve"
    assert h.call("bob", "POST", approve, json={}).status_code == 200
    moved = _ticks(h, engine, rid, 1)
    assert (moved["current_step"], moved["weights"]["canary"]) == (1, 10)
    flag = h.call("erin", "GET", base).json()["document"]["flags"]["new-checkout"]
    assert flag["targeting"] == {"fractional": [["on", 10], ["off", 90]]}
    assert h.call("erin", "GET", f"{base}/change-requests/{cr['id']}").json()["state"] == "applied"
    # The bad canary rolls back at once, without waiting for a review.
    body = _run(h, engine, rid)
    assert body["status"] == "rolled-back"
    assert h.call("erin", "GET", base).json()["document"]["flags"] == FLAGS["flags"]
    revisions = h.call("erin", "GET", f"{base}/revisions").json()["items"]
    last = max(revisions, key=lambda r: r["number"])
    assert last["source"] == "rollback"
    assert "automatic rollback" in last["reason"]
    pending = h.call("erin", "GET", f"{base}/change-requests", params={"state": "pending"})
    assert pending.json()["items"] == []


def test_a_rejected_flag_step_aborts_the_rollout(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    canary_experiment(h)
    base = _governed_flag_set(h)
    rid = create_rollout(h, _flag_plan([{"weight": 10}, {"weight": 100}])).json()["id"]
    h.call("alice", "POST", f"/api/v1/rollouts/{rid}/start")
    engine = _engine(h)
    _ticks(h, engine, rid, 2)
    [cr] = h.call("erin", "GET", f"{base}/change-requests", params={"state": "pending"}).json()[
        "items"
    ]
    r = h.call(
        "bob", "POST", f"{base}/change-requests/{cr['id']}/reject", json={"comment": "not today"}
    )
    assert r.status_code == 200, r.text
    body = _run(h, engine, rid)
    assert body["status"] == "aborted"
    assert body["outcome"]["reason"] == (
        f"flag change request {cr['id']} for step 0 was rejected by bob: not today"
    )
    assert body["incidents"] == []
    assert h.call("erin", "GET", base).json()["document"]["flags"] == FLAGS["flags"]
    # No request was opened again after the rejection.
    everything = h.call("erin", "GET", f"{base}/change-requests").json()["items"]
    assert [c["state"] for c in everything if c["id"] != cr["id"]] in ([], ["applied"])


def test_automatic_rollback_is_for_the_controller_only(sqlite_harness: Harness) -> None:
    from sluicegate.domain.errors import Forbidden
    from sluicegate.service import flags as flag_svc
    from sluicegate.service.access import identity
    from sluicegate.service.context import RequestContext

    h = sqlite_harness
    base = _governed_flag_set(h)
    deps = h.container.deps
    admin = RequestContext(identity.authenticate(deps, h.tokens["admin"]))
    before = h.counts()
    with pytest.raises(Forbidden, match="only the rollout controller"):
        flag_svc.put_document(
            deps, admin, "shop", "production", {"flags": {}}, automatic_rollback=True
        )
    assert h.counts() == before
    assert h.call("erin", "GET", base).json()["document"]["flags"] == FLAGS["flags"]
