"""`sluice controller run` says whether it leads or stands by, and for whom (issue 12), read from
the lease row: two real controller processes on one SQLite database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.app import make_harness


def _spawn(home: Path, url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SLUICE_HOME": str(home),
        "SLUICE_DATABASE_URL": url,
        "SLUICE_CONTROLLER_INTERVAL": "0.1",
        "SLUICE_CONTROLLER_LEASE": "60",
    }
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "sluicegate", "controller", "run"], env=env, stderr=sink
        )


def _wait_for(log: Path, text: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = log.read_text(encoding="utf-8")
        if text in seen:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in:\n{log.read_text(encoding='utf-8')}")


def _holder(log: Path) -> str:
    first = _wait_for(log, " running (tick").splitlines()[0]
    return first.split()[1]  # "controller HOLDER running (tick 0.1 s)"


def test_one_replica_says_it_leads_the_other_names_the_leader(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sluicegate.db'}"
    h = make_harness(tmp_path / "home", url)
    home = h.container.settings.home
    h.close()
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(_spawn(home, url, logs[0]))
        leader = _holder(logs[0])
        _wait_for(logs[0], f"controller {leader}: leading (holds the lease 'rollout-controller')")
        procs.append(_spawn(home, url, logs[1]))
        standby = _holder(logs[1])
        seen = _wait_for(logs[1], f"controller {standby}: standing by; {leader} leads until ")
        assert f"controller {standby}: leading" not in seen
        # A clean stop releases the lease; the standby says it now leads.
        procs[0].send_signal(signal.SIGTERM)
        assert procs[0].wait(timeout=30) == 0
        _wait_for(logs[1], f"controller {standby}: leading (holds the lease")
        procs[1].send_signal(signal.SIGTERM)
        assert procs[1].wait(timeout=30) == 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
