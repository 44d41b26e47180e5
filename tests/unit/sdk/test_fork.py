"""Fork safety: a child process (gunicorn --preload style) restarts its own sync thread."""

from __future__ import annotations

import json
import os
import select
import signal
import threading
import time
from typing import Any

import pytest
from openfeature import api
from tests.unit.sdk.support import WAIT, FlagServer, ProviderFactory, base_flags, flag, wait_until

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _read_line(fd: int) -> dict[str, Any]:
    buffer = b""
    deadline = time.monotonic() + WAIT
    while not buffer.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"child sent nothing within {WAIT}s (got {buffer!r})"
        chunk = os.read(fd, 4096)
        assert chunk, f"child closed the pipe early (got {buffer!r})"
        buffer += chunk
    report: dict[str, Any] = json.loads(buffer)
    return report


def _child(read_fd: int, write_fd: int) -> None:
    """Runs in the forked child; must end in os._exit whatever happens."""
    code = 1
    try:
        client = api.get_client()
        before = client.get_string_value("banner", "none")
        os.write(write_fd, json.dumps({"before": before}).encode() + b"\n")
        select.select([read_fd], [], [], WAIT)  # the parent publishes, then says "go"
        changed = wait_until(lambda: client.get_string_value("banner", "none") != before)
        threads = sorted(t.name for t in threading.enumerate() if t.name.startswith("sluicegate"))
        report = {
            "changed": changed,
            "after": client.get_string_value("banner", "none"),
            "threads": threads,
        }
        os.write(write_fd, json.dumps(report).encode() + b"\n")
        code = 0
    finally:
        os._exit(code)


def test_child_process_keeps_syncing_after_fork(
    flag_server: FlagServer, make_provider: ProviderFactory
) -> None:
    provider = make_provider(flag_server.url, poll_interval=0.02)
    api.set_provider_and_wait(provider)
    to_child_r, to_child_w = os.pipe()
    to_parent_r, to_parent_w = os.pipe()

    pid = os.fork()
    if pid == 0:
        _child(to_child_r, to_parent_w)

    os.close(to_child_r)
    os.close(to_parent_w)
    try:
        first = _read_line(to_parent_r)
        changed = base_flags()
        changed["flags"]["banner"] = flag({"blue": "blue", "red": "red"}, "red")
        flag_server.publish(changed)
        os.write(to_child_w, b"go\n")
        report = _read_line(to_parent_r)
        _, status = os.waitpid(pid, 0)
        pid = 0
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(to_child_w)
        os.close(to_parent_r)

    assert first == {"before": "blue"}
    assert report["changed"] is True
    assert report["after"] == "red"
    assert "sluicegate-sync-poll" in report["threads"]
    assert os.waitstatus_to_exitcode(status) == 0
