"""A real controller process killed with SIGKILL at random (seeded) moments and restarted: the
applied-step history has no gaps and no duplicates, and every flag revision is written once."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.support.app import Harness
from tests.support.rollouts import FLAGS, canary_experiment, create_rollout, flag_set

WEIGHTS = [1, 5, 25, 50, 100]
KILLS = 4


def _plan() -> dict[str, Any]:
    source = {"kind": "simulated", "seed": 3, "interval_seconds": 0.02}
    steps: list[dict[str, Any]] = []
    for w in WEIGHTS:
        steps.append({"weight": w})
        # A tiny alpha: a healthy canary must not be rolled back by chance in this test.
        steps.append({"analysis": {"intervals": 6, "source": source, "monitor": {"alpha": 1e-9}}})
    return {
        "target": {
            "kind": "flag",
            "flag_set": "shop",
            "environment": "staging",
            "flag": "new-checkout",
        },
        "steps": steps,
    }


def _spawn(home: Path, url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SLUICE_HOME": str(home),
        "SLUICE_DATABASE_URL": url,
        "SLUICE_CONTROLLER_INTERVAL": "0.05",
        "SLUICE_CONTROLLER_LEASE": "0.5",
    }
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "sluicegate", "controller", "run"],
            env=env,
            stdout=sink,
            stderr=sink,
        )


def _holder(h: Harness) -> str | None:
    with h.container.deps.uow(readonly=True) as uow:
        lease = uow.leases.get("rollout-controller")
    return lease[0] if lease else None


def _wait(predicate: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _status(h: Harness, rid: str) -> str:
    with h.container.deps.uow(readonly=True) as uow:
        rollout = uow.rollouts.get(rid)
    assert rollout is not None
    return rollout.status


@pytest.mark.slow
def test_kill_9_at_random_points_neither_skips_nor_repeats_a_step(
    sqlite_harness: Harness, tmp_path: Path
) -> None:
    h = sqlite_harness
    canary_experiment(h)
    flag_set(h)
    rid = create_rollout(h, _plan()).json()["id"]
    assert h.call("alice", "POST", f"/api/v1/rollouts/{rid}/start").status_code == 200
    url = h.container.settings.url
    home = h.container.settings.home
    log = tmp_path / "controller.log"
    rng = random.Random(20261121)
    host = socket.gethostname()
    kills = 0
    proc: subprocess.Popen[bytes] | None = None
    try:
        while _status(h, rid) == "running" and kills < KILLS:
            proc = _spawn(home, url, log)
            prefix = f"{host}:{proc.pid}:"
            _wait(lambda p=prefix: (_holder(h) or "").startswith(p), "the new leader")
            time.sleep(rng.uniform(0.0, 0.4))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            kills += 1
        proc = _spawn(home, url, log)
        _wait(lambda: _status(h, rid) != "running", "the rollout to finish", timeout=90)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, log.read_text()
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert kills == KILLS, "the rollout finished before every kill; slow the plan down"
    assert _status(h, rid) == "succeeded", log.read_text()[-4000:]

    with h.container.deps.uow(readonly=True) as uow:
        history = uow.rollout_steps.history(rid)
        fs = uow.flags.get_set("shop", "staging")
        assert fs is not None
        revisions = uow.flags.revisions(fs.id, limit=1000)
    applied = [(s.step_index, s.status) for s in history if s.action == "apply"]
    assert applied == [(2 * i, "applied") for i in range(len(WEIGHTS))]
    analyses = [(s.step_index, s.status) for s in history if s.action == "analysis"]
    assert analyses == [(2 * i + 1, "passed") for i in range(len(WEIGHTS))]
    assert [s.seq for s in history] == list(range(1, len(history) + 1))
    # Each weight was written to the flag exactly once, in order, and nothing else changed.
    by_controller = sorted(
        (r for r in revisions if r.actor == "system:controller"), key=lambda r: r.seq
    )
    weights = [
        r.document["flags"]["new-checkout"]["targeting"]["fractional"][0][1] for r in by_controller
    ]
    assert weights == WEIGHTS
    assert by_controller[-1].document["flags"]["other"] == FLAGS["flags"]["other"]
