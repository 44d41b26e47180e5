"""The ``sluice`` CLI as a user runs it, against a real ``sluice serve`` process on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from tests.support.app import EXAMPLE_PROPOSAL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sluice:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(
        self, *args: str, token: str | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if token:
            env["SLUICE_TOKEN"] = token
        return subprocess.run(
            [sys.executable, "-m", "sluicegate", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            input=stdin,
            check=False,
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sluice, str, Path]]:
    home = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    env = {
        **os.environ,
        "SLUICE_HOME": str(home / "state"),
        "SLUICE_URL": f"http://127.0.0.1:{port}",
        "SLUICE_AUDIT_CHECKPOINT_EVERY": "5",
        "COLUMNS": "200",
    }
    env.pop("SLUICE_TOKEN", None)
    env.pop("SLUICE_DATABASE_URL", None)
    sluice = Sluice(env)
    init = sluice("init", "--admin", "root", "--json")
    assert init.returncode == 0, init.stderr
    token = json.loads(init.stdout)["token"]
    assert sluice("init", "--json").returncode == 7  # only once
    log = (home / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sluicegate", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if (
                    httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code
                    == 200
                ):
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, (home / "serve.log").read_text()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        yield sluice, token, home
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_propose_approve_and_move_through_the_lifecycle(server: tuple[Sluice, str, Path]) -> None:
    sluice, root, home = server
    assert sluice("team", "create", "payments", "Payments", token=root).returncode == 0
    for user, role, extra in (
        ("alice", "contributor", ["--team", "payments"]),
        ("carol", "reviewer", ["--domain", "product", "--domain", "operations"]),
    ):
        r = sluice("user", "create", user, "--role", role, *extra, token=root)
        assert r.returncode == 0, r.stderr
    tokens = {}
    for user in ("alice", "carol"):
        r = sluice("token", "create", "--name", "e2e", "--user", user, "--json", token=root)
        assert r.returncode == 0, r.stderr
        tokens[user] = json.loads(r.stdout)["token"]

    proposal = home / "proposal.yaml"
    proposal.write_text(EXAMPLE_PROPOSAL)
    r = sluice("experiment", "propose", "-f", str(proposal), "--json", token=tokens["alice"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["risk"]["level"] == "medium"

    as_json = home / "proposal.json"
    as_json.write_text(json.dumps(yaml.safe_load(EXAMPLE_PROPOSAL) | {"key": "json-twin"}))
    assert (
        sluice("experiment", "propose", "-f", str(as_json), token=tokens["alice"]).returncode == 0
    )

    r = sluice(
        "experiment", "approve", "checkout-redesign", "--domain", "product", token=tokens["alice"]
    )
    assert r.returncode == 3  # a contributor cannot approve
    for domain in ("product", "operations"):
        r = sluice(
            "experiment", "approve", "checkout-redesign", "--domain", domain, token=tokens["carol"]
        )
        assert r.returncode == 0, r.stderr
    r = sluice("experiment", "transition", "checkout-redesign", "approved", token=tokens["alice"])
    assert r.returncode == 0, r.stderr
    assert "state: approved" in r.stdout

    r = sluice("experiment", "transition", "checkout-redesign", "canary", token=tokens["alice"])
    assert r.returncode == 3
    assert "allowed transitions: sandbox, retired, expired" in r.stderr

    r = sluice(
        "experiment",
        "transition",
        "checkout-redesign",
        "sandbox",
        "--expected-version",
        "1",
        token=tokens["alice"],
    )
    assert r.returncode == 7, r.stderr

    r = sluice("experiment", "show", "no-such-thing", token=tokens["alice"])
    assert r.returncode == 6

    listing = sluice("experiment", "list", "--json", token=tokens["carol"])
    assert {e["key"] for e in json.loads(listing.stdout)} == {"checkout-redesign", "json-twin"}
    table = sluice("experiment", "list", token=tokens["carol"])
    assert "checkout-redesign" in table.stdout


def test_bad_input_exit_codes_name_the_field(server: tuple[Sluice, str, Path]) -> None:
    sluice, root, home = server
    doc = yaml.safe_load(EXAMPLE_PROPOSAL)
    doc.pop("rollback_plan")
    doc["key"] = "no-plan"
    bad = home / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    r = sluice("experiment", "propose", "-f", str(bad), token=root)
    assert r.returncode == 2
    assert "missing-rollback-plan" in r.stderr
    assert "rollback_plan" in r.stderr
    bad.write_text("key: [oops\n")
    r = sluice("experiment", "propose", "-f", str(bad), "--json", token=root)
    assert r.returncode == 2
    assert json.loads(r.stdout)["code"] == "malformed-document"
    r = sluice("experiment", "list", token="sg_wrong")
    assert r.returncode == 3
    assert "unauthenticated" in r.stderr


def test_audit_export_and_offline_verification(server: tuple[Sluice, str, Path]) -> None:
    sluice, root, home = server
    assert sluice("audit", "checkpoint", token=root).returncode == 0
    export = home / "audit.jsonl"
    r = sluice("audit", "export", "--format", "jsonl", "-o", str(export), token=root)
    assert r.returncode == 0, r.stderr
    pem = home / "audit.pem"
    r = sluice("audit", "public-key", token=root)
    pem.write_text(r.stdout)
    r = sluice("audit", "verify", "--file", str(export), "--public-key", str(pem))
    assert r.returncode == 0, r.stderr
    assert "audit ledger OK" in r.stdout
    r = sluice("audit", "verify", "--json")  # against the database itself
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["ok"]
    assert report["checkpoints_verified"] >= 1

    lines = export.read_text().splitlines()
    event = json.loads(lines[3])
    event["actor"] = "user:someone-else"
    lines[3] = json.dumps(event)
    export.write_text("\n".join(lines) + "\n")
    r = sluice("audit", "verify", "--file", str(export), "--public-key", str(pem), "--json")
    assert r.returncode == 3
    assert json.loads(r.stdout)["first_bad_seq"] == event["seq"]
    assert f"sequence {event['seq']}" in r.stderr


def _complete(sluice: Sluice, words: str, token: str | None = None) -> list[str]:
    """What bash completion offers for the last word of ``words`` (issue 12), as the hook that
    ``sluice --install-completion`` installs asks for it."""
    env = {
        **sluice.env,
        "_SLUICE_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }
    if token:
        env["SLUICE_TOKEN"] = token
    done = subprocess.run(
        [str(Path(sys.executable).with_name("sluice"))],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_shell_completion_asks_the_server(server: tuple[Sluice, str, Path]) -> None:
    sluice, root, _ = server
    keys = _complete(sluice, "sluice experiment show ", root)
    assert {"checkout-redesign", "json-twin"} <= set(keys), keys
    assert _complete(sluice, "sluice experiment show json", root) == ["json-twin"]
    # Stages: the ones the named experiment may move to next; gate check's --stage alike.
    shown = json.loads(sluice("experiment", "show", "json-twin", "--json", token=root).stdout)
    stages = _complete(sluice, "sluice experiment transition json-twin ", root)
    assert stages, "no stage offered"
    assert set(stages) == set(shown["allowed_transitions"]), stages
    check = _complete(sluice, "sluice gate check json-twin --stage ", root)
    assert set(check) == set(shown["allowed_transitions"]), check
    # A refused token or no server completes nothing, quietly.
    assert _complete(sluice, "sluice experiment show ", "sg_wrong") == []
    away = Sluice({**sluice.env, "SLUICE_URL": "http://127.0.0.1:9"})
    assert _complete(away, "sluice experiment show ", root) == []
