"""Run the schemathesis CLI against a live ``sluice`` server on SQLite (loopback only).

``python -m tests.support.schemathesis_run --max-time 600`` is the longer run whose figures the
docs quote; ``tests/integration/test_schemathesis.py`` runs a bounded one in the suite.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from sluicegate.api.app import create_app
from sluicegate.domain.access.identity import ReviewerDomain, Role
from sluicegate.service.access import identity
from sluicegate.service.context import RequestContext
from tests.support.app import open_seeded

__all__ = ["RunResult", "live_server", "run_schemathesis"]


@dataclass
class RunResult:
    """The CLI's exit code and output, and its JSON run report."""

    returncode: int
    output: str
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def failures(self) -> dict[str, list[str]]:
        """Failure code and title -> the operations where it was found."""
        return {
            f"{f['code']} {f['title']}": sorted(f.get("operations", []))
            for f in self.report.get("failures", [])
        }

    @property
    def cases(self) -> int:
        return int(self.report.get("test_cases", {}).get("generated", 0))

    @property
    def links(self) -> str:
        match = re.search(r"API Links:\s+(.+)", self.output)
        return match.group(1).strip() if match else "?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def live_server(home: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A seeded server on 127.0.0.1 (rate limit off); yields its base URL and the tokens."""
    container, _clock, tokens = open_seeded(home, f"sqlite:///{home / 'sluicegate.db'}")
    # The admin proposes everything the run creates and holds no reviewer domain, so sign-offs
    # and overrides made with its token are always 403 (separation of duties); a reviewer who
    # holds every domain makes those two operations reachable.
    deps = container.deps
    admin = RequestContext(identity.authenticate(deps, tokens["admin"]))
    identity.create_user(
        deps, admin, "rita", "Rita", Role.REVIEWER, frozenset(ReviewerDomain), ["payments"]
    )
    tokens["rita"] = identity.issue_local_token(deps, "rita", "schemathesis").secret
    container.settings = container.settings.model_copy(update={"ofrep_rate": 0.0})
    port = _free_port()
    config = uvicorn.Config(
        create_app(container, run_jobs=False),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", tokens
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        container.close()


#: Operations the run makes as the all-domain reviewer instead of the admin.
AS_REVIEWER = (
    "POST /api/v1/experiments/{key}/approvals",
    "POST /api/v1/experiments/{key}/overrides",
)


def _config(tokens: dict[str, str]) -> str:
    """The run's config: the admin's token for all, the reviewer's for ``AS_REVIEWER``."""
    lines = [f'headers = {{ Authorization = "Bearer {tokens["admin"]}" }}']
    for name in AS_REVIEWER:
        lines += [
            "",
            "[[operations]]",
            f'include-name = "{name}"',
            f'headers = {{ Authorization = "Bearer {tokens["rita"]}" }}',
        ]
    return "\n".join(lines) + "\n"


def run_schemathesis(
    max_time: int, workdir: Path, *, seed: int | None = 1, extra: list[str] | None = None
) -> RunResult:
    home = workdir / "home"
    report = workdir / "run.json"
    with live_server(home) as (base, tokens):
        config = workdir / "schemathesis.toml"
        config.write_text(_config(tokens), encoding="utf-8")
        config.chmod(0o600)
        command = [
            str(Path(sys.executable).with_name("st")),
            "--config-file",
            str(config),
            "run",
            f"{base}/api/v1/openapi.json",
            "--checks",
            "all",
            "--max-time",
            str(max_time),
            "--workers",
            "1",
            "--report",
            "json",
            "--report-json-path",
            str(report),
            "--no-color",
            # Revoking the run's own admin token would turn every later case into a 401; the
            # authorisation matrix and the token tests cover this operation.
            "--exclude-path",
            "/api/v1/tokens/{token_id}/revoke",
            # Webhooks are authenticated by an HMAC of the body, which no static header can
            # carry; test_delivery_webhooks fuzzes signed bodies through this route instead.
            "--exclude-path",
            "/api/v1/delivery/webhooks/{source}",
            "--generation-database",
            "none",
            *(["--seed", str(seed)] if seed is not None else []),
            *(extra or []),
        ]
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"}
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            env=env,
            cwd=workdir,
            timeout=max_time + 300,
        )
    result = RunResult(done.returncode, done.stdout + done.stderr)
    if report.exists():
        result.report = json.loads(report.read_text(encoding="utf-8"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-time", type=int, default=600)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sluice-st-") as tmp:
        result = run_schemathesis(args.max_time, Path(tmp), seed=args.seed)
    print(result.output[-30000:])
    summary = {
        "returncode": result.returncode,
        "cases": result.cases,
        "links": result.links,
        "failures": result.failures,
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
