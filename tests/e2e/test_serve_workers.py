"""``sluice serve --workers 2``: two server processes on one port, one of them running the jobs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from tests.e2e.test_serve_kill9 import _env, _free_port, init_admin


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(p) for p in text]
    return found


def _holds_jobs_lock(pid: int, lock: Path) -> bool:
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if Path(os.readlink(fd)) == lock:
                return True
        except OSError:
            continue
    return False


def test_two_workers_serve_and_one_runs_the_jobs(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = _free_port()
    env = _env(home, port)
    token = init_admin(env)
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sluicegate", "serve", "--workers", "2"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "sluice serve --workers 2 did not start"
            time.sleep(0.1)
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}) as http:
            for i in range(20):  # writes and reads through both workers
                r = http.post("/api/v1/teams", json={"key": f"team-{i}", "name": f"T{i}"})
                assert r.status_code == 201, r.text
                assert http.get("/api/v1/me").status_code == 200
            assert len(http.get("/api/v1/teams").json()["items"]) == 20
        workers = [c for c in _children(proc.pid) if Path(f"/proc/{c}/cmdline").exists()]
        # uvicorn's supervisor has the two workers (and may have a resource tracker)
        assert len(workers) >= 2, workers
        lock = (home / "jobs.lock").resolve()
        deadline = time.monotonic() + 30
        holders: list[int] = []
        while time.monotonic() < deadline:
            holders = [c for c in workers if _holds_jobs_lock(c, lock)]
            if holders:
                break
            time.sleep(0.2)
        assert len(holders) == 1, (workers, log.read_text()[-3000:])
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=30) == 0, log.read_text()[-3000:]
        finally:
            if proc.poll() is None:
                proc.kill()
