"""The Unleash peer for benchmarks/server.py: ``unleash-server`` from npm on loopback.

``install()`` puts ``unleash-server@VERSION`` into a cache directory outside the repository
(``$SLUICE_BENCH_CACHE/unleash``, default ``~/.cache/sluicegate-bench/unleash``) with the
ordinary npm client, once. ``serve()`` starts it with ``node dist/server.js`` against its own
database on the benchmark's throwaway PostgreSQL, with an admin and a frontend token given by
``INIT_ADMIN_API_TOKENS`` / ``INIT_FRONTEND_API_TOKENS`` (random secrets, never logged),
telemetry and the version check off. ``seed()`` creates the flags of
``benchmarks._flags_ofrep._document()`` as Unleash expresses them (see ``seed``).

Any failure to install or start raises :class:`Unavailable` with the reason, which the benchmark
writes into its JSON instead of a figure.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from benchmarks._flags_ofrep import FLAGS, _free_port

__all__ = ["ENVIRONMENT", "VERSION", "Unavailable", "frontend_query", "install", "seed", "serve"]

#: The newest 7.5.x on npm; its ``engines`` is ``{"node": ">=20"}``.
VERSION = "7.5.1"
ENVIRONMENT = "development"
PROJECT = "default"


class Unavailable(RuntimeError):
    """Unleash could not be installed or started here; the message says why."""


def cache_dir() -> Path:
    root = os.environ.get("SLUICE_BENCH_CACHE") or str(Path.home() / ".cache" / "sluicegate-bench")
    return Path(root) / "unleash"


def _node_major() -> int:
    node = shutil.which("node")
    if node is None:
        raise Unavailable("node is not installed (Unleash needs Node.js >= 20)")
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout
    try:
        return int(out.strip().lstrip("v").split(".")[0])
    except ValueError as exc:
        raise Unavailable(f"cannot read the Node.js version from {out!r}") from exc


def install() -> Path:
    """The installed package directory (``node_modules/unleash-server``), installing if needed."""
    if (major := _node_major()) < 20:
        raise Unavailable(f"Node.js {major} is too old for unleash-server {VERSION} (needs >= 20)")
    root = cache_dir()
    package = root / "node_modules" / "unleash-server"
    manifest = package / "package.json"
    if manifest.is_file() and json.loads(manifest.read_text())["version"] == VERSION:
        return package
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("npm is not installed")
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    done = subprocess.run(
        [
            npm, "install", "--prefix", str(root), "--omit=dev", "--no-audit", "--no-fund",
            "--ignore-scripts", f"unleash-server@{VERSION}",
        ],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    if done.returncode != 0 or not manifest.is_file():
        head = (done.stderr or done.stdout).strip().splitlines()[:3]  # npm's code and message
        raise Unavailable(f"npm install unleash-server@{VERSION} failed: {' | '.join(head)}")
    return package


@contextmanager
def serve(package: Path, database_url: str, log: Path) -> Iterator[tuple[str, str, str]]:
    """Unleash on a free loopback port; yields (url, admin token, frontend token)."""
    admin = f"*:*.{secrets.token_hex(24)}"
    frontend = f"{PROJECT}:{ENVIRONMENT}.{secrets.token_hex(24)}"
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "TZ": "UTC",
        "NODE_ENV": "production",
        "DATABASE_URL": database_url,
        "DATABASE_SSL": "false",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "INIT_ADMIN_API_TOKENS": admin,
        "INIT_FRONTEND_API_TOKENS": frontend,
        "UNLEASH_DEFAULT_ADMIN_PASSWORD": secrets.token_urlsafe(24),
        "SEND_TELEMETRY": "false",
        "CHECK_VERSION": "false",
        "LOG_LEVEL": "warn",
    }
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["node", str(package / "dist" / "server.js")],
            cwd=package,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 180  # the first start runs Unleash's migrations
            while True:
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text(errors="replace").strip().splitlines()[-10:]
                    raise Unavailable("unleash-server did not start: " + " | ".join(tail))
                time.sleep(0.5)
            yield url, admin, frontend
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


def _strategy(i: int) -> dict[str, Any]:
    """Flag ``flag-i`` of ``_document()`` as one Unleash strategy in ``ENVIRONMENT``."""
    rollout: dict[str, Any] = {
        "name": "flexibleRollout",
        "parameters": {"rollout": "100", "stickiness": "default", "groupId": f"flag-{i}"},
        "constraints": [],
    }
    if i % 3 == 1:  # plan == "pro" -> on
        rollout["constraints"] = [{"contextName": "plan", "operator": "IN", "values": ["pro"]}]
    elif i % 3 == 2:  # fractional 50/50 on the targeting key (userId here)
        rollout["parameters"]["rollout"] = "50"
    return rollout


def seed(url: str, admin: str, frontend: str, context: dict[str, Any]) -> list[str]:
    """The ``FLAGS`` flags, enabled in ``ENVIRONMENT``, each with one strategy.

    Differences from ``_document()``: Unleash's frontend API answers only the flags that are on
    for the context, as booleans (no variants); a static flag (``defaultVariant: off``) is an
    enabled flag with a 100 % rollout (on; Sluicegate's answers ``off``); the attribute flags are a
    100 % rollout constrained by ``plan IN [pro]``; the fractional ones a 50 % ``flexibleRollout``
    sticky on ``userId`` (Unleash's MurmurHash, not flagd's). Returns the flags on for ``context``
    once the frontend API serves them all.
    """
    headers = {"authorization": admin, "content-type": "application/json"}
    base = f"/api/admin/projects/{PROJECT}/features"
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        r = http.post("/api/admin/context", json={"name": "plan", "stickiness": False})
        if r.status_code not in (200, 201, 409):
            raise Unavailable(f"Unleash refused the context field: {r.status_code} {r.text}")
        for i in range(FLAGS):
            name = f"flag-{i}"
            http.post(base, json={"name": name, "type": "release"}).raise_for_status()
            env = f"{base}/{name}/environments/{ENVIRONMENT}"
            http.post(f"{env}/strategies", json=_strategy(i)).raise_for_status()
            http.post(f"{env}/on").raise_for_status()
    expected = {f"flag-{i}" for i in range(FLAGS) if i % 3 != 2}  # on whatever the bucket
    query = frontend_query(context)
    deadline = time.monotonic() + 90  # the frontend API refreshes its flags in the background
    while True:
        got = httpx.get(
            f"{url}/api/frontend?{query}", headers={"authorization": frontend}, timeout=10
        )
        names = sorted(t["name"] for t in got.json().get("toggles", [])) if got.is_success else []
        if expected <= set(names):
            return names
        if time.monotonic() > deadline:
            raise Unavailable(f"Unleash's frontend API never served the flags: {got.status_code}")
        time.sleep(1)


def frontend_query(context: dict[str, Any]) -> str:
    """The OFREP evaluation context as the frontend API's query string."""
    ctx = context["context"]
    params = {"userId": ctx["targetingKey"], "appName": "bench"}
    params |= {f"properties[{k}]": str(v) for k, v in ctx.items() if k != "targetingKey"}
    return urlencode(params)
