"""Kill -9 rounds: a real ``sluice serve`` on SQLite takes acknowledged writes from concurrent
clients and is killed with SIGKILL, again and again. After every restart no acknowledged write
is missing, and the audit ledger verifies: its chain, its checkpoint coverage, and that it
extends every tree head the server published before it died."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from sluicegate.bootstrap import Settings, build
from sluicegate.domain.audit.chain import Checkpoint
from sluicegate.service import audit as svc

ROUNDS = 5
WRITERS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(home: Path, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "SLUICE_HOME": str(home),
        "SLUICE_PORT": str(port),
        "SLUICE_AUDIT_CHECKPOINT_EVERY": "25",
        "SLUICE_AUDIT_CHECKPOINT_INTERVAL": "1",  # timed checkpoints and published heads, fast
        "SLUICE_CONTROLLER_INTERVAL": "0",
        "SLUICE_OFREP_RATE": "0",
    }
    env.pop("SLUICE_DATABASE_URL", None)
    return env


def init_admin(env: dict[str, str]) -> str:
    """``sluice init`` in ``env``'s home; the first admin's token."""
    init = subprocess.run(
        [sys.executable, "-m", "sluicegate", "init", "--admin", "root", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    token: str = json.loads(init.stdout)["token"]
    return token


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sluicegate", "serve"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{env['SLUICE_PORT']}/api/v1/health"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        assert proc.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "sluice serve did not start"
        time.sleep(0.05)


def _writer(base: str, token: str, prefix: str, acked: list[str], stop: threading.Event) -> None:
    headers = {"authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=5) as client:
        n = 0
        while not stop.is_set():
            key = f"{prefix}-{n}"
            n += 1
            try:
                r = client.post("/api/v1/teams", json={"key": key, "name": key})
            except httpx.TransportError:
                return  # killed mid-request: not acknowledged, may or may not have committed
            if r.status_code == 201:
                acked.append(key)
            else:
                raise AssertionError(f"{key}: HTTP {r.status_code} {r.text}")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "state"


def _verify(home: Path, heads: list[Checkpoint]) -> int:
    """Verify in-process, against every head published so far; the log's size."""
    settings = Settings.from_env(_env(home, 0))
    container = build(settings)
    try:
        count = 0
        for head in heads or [None]:  # type: ignore[list-item]
            report = svc.verify(
                container.deps, container.verifier(), policy=settings.coverage(), against=head
            )
            assert report.ok, report.problem
            count = report.count
        return count
    finally:
        container.close()


@pytest.mark.slow
def test_kill_9_rounds_lose_no_acknowledged_write_and_the_ledger_verifies(
    home: Path, tmp_path: Path
) -> None:
    started = time.monotonic()
    port = _free_port()
    env = _env(home, port)
    token = init_admin(env)
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    rng = random.Random(20261203)
    acked: list[str] = []
    heads: list[Checkpoint] = []
    sizes: list[int] = []
    proc: subprocess.Popen[bytes] | None = None
    try:
        for round_ in range(ROUNDS):
            proc = _start(env, log)
            stop = threading.Event()
            threads = [
                threading.Thread(
                    target=_writer, args=(base, token, f"r{round_}w{w}", acked, stop), daemon=True
                )
                for w in range(WRITERS)
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.6, 1.6))  # about one timed checkpoint (1 s)
            head_file = home / "audit-head.json"
            heads.append(Checkpoint(**json.loads(head_file.read_text())))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            stop.set()
            for t in threads:
                t.join(timeout=10)
            # The ledger as the dead server left it: chain, coverage, every published head.
            sizes.append(_verify(home, heads))
        proc = _start(env, log)  # the restart after the last kill
        r = httpx.get(f"{base}/api/v1/teams", headers={"authorization": f"Bearer {token}"})
        assert r.status_code == 200
        present = {t["key"] for t in r.json()["items"]}
        missing = sorted(set(acked) - present)
        assert not missing, f"{len(missing)} acknowledged writes lost: {missing[:10]}"
        verify = subprocess.run(
            [
                sys.executable,
                "-m",
                "sluicegate",
                "audit",
                "verify",
                "--json",
                "--against",
                str(home / "audit-head.json"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert verify.returncode == 0, verify.stdout + verify.stderr
        report = json.loads(verify.stdout)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) in (0, -signal.SIGTERM), log.read_text()[-3000:]
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    # Every acknowledged write is one team.create event (plus init's and the checkpoints').
    assert len(acked) >= ROUNDS * WRITERS, "too few writes to mean anything"
    assert report["count"] >= len(acked)
    assert sizes == sorted(sizes)
    # The clean shutdown signed the whole log and published it.
    final = Checkpoint(**json.loads((home / "audit-head.json").read_text()))
    assert final.tree_size == _verify(home, [final])
    elapsed = time.monotonic() - started
    print(f"kill -9 rounds: {ROUNDS} kills, {len(acked)} acknowledged writes, {elapsed:.1f} s")
