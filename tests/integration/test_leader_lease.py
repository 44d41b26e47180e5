"""Two controller processes on a real PostgreSQL: one leads, the other stands by; when the leader
is killed with SIGKILL the standby takes the lease once it has expired and finishes the rollout."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.support.app import Harness, make_harness
from tests.support.rollouts import canary_experiment, create_rollout

from sluicegate.adapters.db.rollouts import SqlLeases

LEASE = 1.5


def _spawn(home: Path, url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SLUICE_HOME": str(home),
        "SLUICE_DATABASE_URL": url,
        "SLUICE_CONTROLLER_INTERVAL": "0.1",
        "SLUICE_CONTROLLER_LEASE": str(LEASE),
    }
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "sluicegate", "controller", "run"],
            env=env,
            stdout=sink,
            stderr=sink,
        )


def _lease(h: Harness) -> tuple[str, datetime] | None:
    with h.container.deps.uow(readonly=True) as uow:
        return uow.leases.get("rollout-controller")


def _wait(predicate: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _owner(h: Harness, proc: subprocess.Popen[bytes]) -> bool:
    lease = _lease(h)
    return lease is not None and lease[0].startswith(f"{socket.gethostname()}:{proc.pid}:")


@pytest.mark.postgres
@pytest.mark.slow
def test_standby_takes_over_after_the_leader_is_killed(pg_url: str, tmp_path: Path) -> None:
    h = make_harness(tmp_path / "home", pg_url)
    procs: list[subprocess.Popen[bytes]] = []
    log = tmp_path / "controllers.log"
    try:
        canary_experiment(h)
        steps: list[dict[str, Any]] = []
        source = {"kind": "simulated", "seed": 5, "interval_seconds": 0.05}
        for w in (10, 50, 100):
            steps += [
                {"weight": w},
                {"analysis": {"intervals": 8, "source": source, "monitor": {"alpha": 1e-9}}},
            ]
        plan = {"target": {"kind": "deployment", "service": "checkout"}, "steps": steps}
        rid = create_rollout(h, plan).json()["id"]
        assert h.call("alice", "POST", f"/api/v1/rollouts/{rid}/start").status_code == 200

        first = _spawn(h.container.settings.home, pg_url, log)
        procs.append(first)
        _wait(lambda: _owner(h, first), "the first controller to lead")
        second = _spawn(h.container.settings.home, pg_url, log)
        procs.append(second)
        # The standby renews nothing while the leader is alive: sample the lease a while.
        _wait(lambda: _step(h, rid) >= 1, "work to start")
        for _ in range(10):
            assert _owner(h, first), log.read_text()
            time.sleep(LEASE / 5)
        leader_lease = _lease(h)
        assert leader_lease is not None
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        _wait(lambda: _owner(h, second), "the standby to take over", timeout=LEASE * 10 + 30)
        # It took over only once the dead leader's lease had run out: the lease changed hands
        # after the expiry we last saw (the leader's real, final expiry is no earlier).
        with h.container.deps.uow(readonly=True) as uow:
            assert isinstance(uow.leases, SqlLeases)
            taken = uow.leases.acquired_at("rollout-controller")
        assert taken is not None
        assert taken >= leader_lease[1]
        _wait(lambda: _status(h, rid) != "running", "the rollout to finish", timeout=120)
        assert _status(h, rid) == "succeeded", log.read_text()[-4000:]
        with h.container.deps.uow(readonly=True) as uow:
            history = uow.rollout_steps.history(rid)
        keys = [(s.step_index, s.action) for s in history]
        assert len(keys) == len(set(keys)) == 6
        assert {s.status for s in history} == {"applied", "passed"}
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0
        # A clean stop gives the lease up at once.
        with h.container.deps.uow() as uow:
            assert isinstance(uow.leases, SqlLeases)
            assert uow.leases.acquire("rollout-controller", "test", LEASE, datetime.now(UTC))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        h.close()


def _status(h: Harness, rid: str) -> str:
    with h.container.deps.uow(readonly=True) as uow:
        rollout = uow.rollouts.get(rid)
    assert rollout is not None
    return rollout.status


def _step(h: Harness, rid: str) -> int:
    with h.container.deps.uow(readonly=True) as uow:
        rollout = uow.rollouts.get(rid)
    assert rollout is not None
    return rollout.current_step
