"""`make run`'s main job, `sluice demo`, as a newcomer sees it: data, token, and live rollouts."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_serves_data_and_the_bad_canary_rolls_itself_back(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "SLUICE_HOME": str(tmp_path / "state"), "SLUICE_PORT": str(port)}
    for name in ("SLUICE_DATABASE_URL", "SLUICE_TOKEN", "SLUICE_URL", "SLUICE_CONTROLLER_INTERVAL"):
        env.pop(name, None)
    log = (tmp_path / "demo.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sluicegate", "demo"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        token = None
        deadline = time.monotonic() + 90
        while token is None:
            assert proc.poll() is None, (tmp_path / "demo.log").read_text()
            assert time.monotonic() < deadline, "the demo printed no token"
            found = re.search(r"admin token: (sg_\S+)", (tmp_path / "demo.log").read_text())
            token = found.group(1) if found else None
            time.sleep(0.2)
        printed = (tmp_path / "demo.log").read_text()
        assert f"http://127.0.0.1:{port}/api/v1/docs" in printed
        auth = {"authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=auth, timeout=10) as client:
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the demo server did not come up"
                time.sleep(0.2)
            states = {e["key"]: e["state"] for e in client.get("/experiments").json()["items"]}
            assert states["checkout-redesign"] == "staging"
            assert states["payments-ci-cache"] == "general-availability"
            assert states["payments-pii-export"] == "rejected"
            assert states["search-ranking-v2"] == "proposed"
            rollouts = client.get("/rollouts").json()["items"]
            assert len(rollouts) == 2
            # The bad canary is judged and rolled back by the in-process controller.
            deadline = time.monotonic() + 180
            while True:
                semantic = client.get("/experiments/search-semantic").json()
                if semantic["state"] == "rolled-back":
                    break
                assert time.monotonic() < deadline, f"still {semantic['state']}"
                time.sleep(1)
            incidents = client.get("/incidents").json()["items"]
            assert any(i.get("experiment") == "search-semantic" for i in incidents), incidents
            report = client.post("/audit/verify").json()
            assert report["ok"], report
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
