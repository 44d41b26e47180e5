"""What the CLI prints, checked against the real app and database (issue 12): a rollout aborted
by hand (no "held: waiting for promote" once over, the reason without --json, "an aborted
rollout", not labelled an automatic rollback in the flag history), and the exact approve command
after a governed flag-set create."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from tests.support.app import Harness
from tests.support.cli_app import AppCli
from tests.support.rollouts import FLAGS, canary_experiment, create_rollout, flag_set

from sluicegate.controller import Engine, EngineSettings, SimulatedMetricSource

PLAN: dict[str, Any] = {
    "target": {
        "kind": "flag",
        "flag_set": "shop",
        "environment": "staging",
        "flag": "new-checkout",
    },
    "steps": [{"weight": 10}, {"pause": {"until": "approved"}}, {"weight": 100}],
}


def _tick(h: Harness, engine: Engine, rid: str, n: int) -> dict[str, Any]:
    for _ in range(n):
        h.clock.advance(seconds=10)
        engine.tick(rid)
    return dict(h.call("erin", "GET", f"/api/v1/rollouts/{rid}").json())


def test_an_aborted_rollout_reads_as_aborted_everywhere(
    sqlite_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = sqlite_harness
    cli = AppCli(h, monkeypatch)
    canary_experiment(h)
    flag_set(h)
    rid = create_rollout(h, PLAN).json()["id"]
    assert h.call("alice", "POST", f"/api/v1/rollouts/{rid}/start").status_code == 200
    engine = Engine(h.container.deps, SimulatedMetricSource, settings=EngineSettings())
    held = _tick(h, engine, rid, 3)
    assert held["hold_reason"], held
    r = cli("rollout", "status", rid)
    assert r.exit_code == 0, r.output
    assert "held: " in r.stdout  # while it holds, it says so

    r = cli("rollout", "abort", rid, "--reason", "checkout [errors] up")
    assert r.exit_code == 0, r.output
    done = _tick(h, engine, rid, 5)
    assert done["status"] in ("aborted", "rolled-back"), done

    r = cli("rollout", "status", rid)
    assert r.exit_code in (0, 4), r.output
    assert "held:" not in r.stdout, r.stdout
    assert "waiting for `sluice rollout promote`" not in r.stdout
    assert "aborted by user:alice: checkout [errors] up" in r.stdout, (
        r.stdout
    )  # the reason, without --json

    r = cli("rollout", "pause", rid)
    assert r.exit_code == 3, r.output
    assert "an aborted rollout cannot become" in r.stderr, r.stderr
    assert " a aborted " not in r.stderr

    r = cli("flags", "history", "shop", "--env", "staging", "--json")
    assert r.exit_code == 0, r.output
    last = max(json.loads(r.stdout), key=lambda rev: rev["number"])
    assert last["source"] == "rollback", last
    assert f"rollout {rid} aborted by user:alice: checkout [errors] up" in last["reason"], last
    assert "automatic rollback" not in last["reason"], last


def test_a_governed_create_prints_the_exact_approve_command(
    sqlite_harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cli = AppCli(sqlite_harness, monkeypatch)
    doc = tmp_path / "flags.json"
    doc.write_text(json.dumps(FLAGS))
    r = cli("flags", "create", "shop", "--env", "production", "--team", "payments", "-f", str(doc))
    assert r.exit_code == 5, r.output  # pending: production is governed
    [line] = [x for x in r.stderr.splitlines() if "sluice flags request approve" in x]
    command = shlex.split(line[line.index("sluice flags request approve") :])
    assert command[:4] == ["sluice", "flags", "request", "approve"]
    assert len(command[4:]) == 4, command  # NAME ID --env ENV: the request id is in it
    approved = cli(*command[1:], who="bob")  # exactly as printed, by another reviewer
    assert approved.exit_code == 0, approved.output
