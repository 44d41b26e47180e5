"""``sluice process|evidence|gate|override|policy`` against a real ``sluice serve`` process.

The server runs with ``SLUICE_POLICY_DIR`` on a copy of the example bundle; exit codes (0 pass,
3 denied, 5 pending) and the JUnit/SARIF files CI consumes are checked as a pipeline sees them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET  # parses the JUnit file the CLI wrote in this test

import httpx
import pytest
from tests.support.app import EXAMPLE_PROPOSAL

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "evidence"
KEY = "checkout-redesign"

PROCESS = """\
apiVersion: sluicegate.dev/v1
kind: Process
metadata:
  name: default
stages:
  - name: sandbox
  - name: staging
    needs: [sandbox]
    gates:
      - id: tests
        type: evidence
        config:
          require: [junit]
          risk_evidence: false
          thresholds:
            junit.failures: {max: 0}
      - id: sign-off
        type: approval
        config:
          rules:
            - {domain: security, min: 1}
          risk_signoffs: false
      - id: policies
        type: policy
"""
JUNIT_GREEN = '<testsuite name="unit" tests="1"><testcase name="a"/></testsuite>\n'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sluice:
    def __init__(self, env: dict[str, str], home: Path) -> None:
        self.env = env
        self.home = home
        self.tokens: dict[str, str] = {}

    def __call__(self, *args: str, who: str = "root") -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if who in self.tokens:
            env["SLUICE_TOKEN"] = self.tokens[who]
        return subprocess.run(
            [sys.executable, "-m", "sluicegate", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def api(self, who: str, method: str, path: str, json: object = None) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.tokens[who]}"}
        url = self.env["SLUICE_URL"] + path
        return httpx.request(method, url, headers=headers, timeout=30, json=json)


@pytest.fixture(scope="module")
def sluice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sluice]:
    home = tmp_path_factory.mktemp("gates-e2e")
    policies = home / "policies"
    shutil.copytree(ROOT / "examples" / "policies", policies)
    port = _free_port()
    env = {
        **os.environ,
        "SLUICE_HOME": str(home / "state"),
        "SLUICE_URL": f"http://127.0.0.1:{port}",
        "SLUICE_POLICY_DIR": str(policies),
        "COLUMNS": "200",
    }
    env.pop("SLUICE_TOKEN", None)
    env.pop("SLUICE_DATABASE_URL", None)
    cli = Sluice(env, home)
    init = cli("init", "--admin", "root", "--json")
    assert init.returncode == 0, init.stderr
    cli.tokens["root"] = json.loads(init.stdout)["token"]
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
                if httpx.get(f"{env['SLUICE_URL']}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, (home / "serve.log").read_text()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        _people(cli)
        yield cli
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _people(cli: Sluice) -> None:
    assert cli("team", "create", "payments", "Payments").returncode == 0
    for user, role, extra in (
        ("alice", "contributor", ["--team", "payments"]),
        ("bob", "reviewer", ["--domain", "security"]),
        ("carol", "reviewer", ["--domain", "product", "--domain", "operations"]),
    ):
        r = cli("user", "create", user, "--role", role, *extra)
        assert r.returncode == 0, r.stderr
        r = cli("token", "create", "--name", "e2e", "--user", user, "--json")
        assert r.returncode == 0, r.stderr
        cli.tokens[user] = json.loads(r.stdout)["token"]


def test_processes_validate_apply_show_and_report_bad_lines(sluice: Sluice) -> None:
    payments = ROOT / "examples" / "processes" / "payments.yaml"
    r = sluice("process", "validate", str(payments))
    assert r.returncode == 0, r.stderr
    assert "valid process payments" in r.stdout
    r = sluice("process", "apply", str(payments), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["version"] == 1
    again = sluice("process", "apply", str(payments))
    assert "unchanged at version 1" in again.stdout
    shown = sluice("process", "show", "payments", "--json", who="alice")
    assert json.loads(shown.stdout)["source"] == payments.read_text()

    builtin = sluice("process", "apply", "--default", "--json")
    assert builtin.returncode == 0, builtin.stderr
    assert (json.loads(builtin.stdout)["name"], json.loads(builtin.stdout)["version"]) == (
        "default",
        1,
    )
    assert sluice("process", "apply", "--default", str(payments)).returncode == 2

    broken = sluice.home / "broken.yaml"
    broken.write_text(PROCESS.replace("type: approval", "type: telepathy"))
    r = sluice("process", "apply", str(broken))
    assert r.returncode == 2
    line = PROCESS.splitlines().index("        type: approval") + 1
    assert f"broken.yaml:{line}:15" in r.stderr
    assert "unknown check type 'telepathy'" in r.stderr


def test_gate_check_exit_codes_and_ci_reports(sluice: Sluice) -> None:
    home = sluice.home
    process = home / "default.yaml"
    process.write_text(PROCESS)
    assert sluice("process", "apply", str(process)).returncode == 0
    proposal = home / "proposal.yaml"
    proposal.write_text(EXAMPLE_PROPOSAL)
    assert sluice("experiment", "propose", "-f", str(proposal), who="alice").returncode == 0
    for domain in ("product", "operations"):
        r = sluice("experiment", "approve", KEY, "--domain", domain, who="carol")
        assert r.returncode == 0, r.stderr
    for state in ("approved", "sandbox"):
        r = sluice("experiment", "transition", KEY, state, who="alice")
        assert r.returncode == 0, r.stderr

    junit, sarif = home / "gate.xml", home / "gate.sarif"
    check = ("gate", "check", KEY, "--stage", "staging")
    denied = sluice(*check, "--junit", str(junit), "--sarif", str(sarif), who="alice")
    assert denied.returncode == 3, denied.stdout + denied.stderr
    assert "coverage evidence is required for staging" in denied.stdout
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["outcome"] == "denied"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["policies"].find("failure") is not None
    log = json.loads(sarif.read_text())
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["policies"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "default.yaml"
    )

    r = sluice(
        "evidence",
        "add",
        KEY,
        "--kind",
        "coverage",
        "--file",
        str(FIXTURES / "coverage_py.xml"),
        who="alice",
    )
    assert r.returncode == 0, r.stderr
    pending = sluice(*check, "--json", who="alice")
    assert pending.returncode == 5, pending.stderr
    assert json.loads(pending.stdout)["outcome"] == "pending"
    waited = sluice(*check, "--wait", "--timeout", "2s", "--poll", "0.5", who="alice")
    assert waited.returncode == 5
    assert "asking again" in waited.stderr

    html = home / "report.html"
    html.write_text("<!DOCTYPE html><html><body>502</body></html>")
    bad = sluice("evidence", "add", KEY, "--kind", "junit", "--file", str(html), who="alice")
    assert bad.returncode == 2
    assert "artifact is HTML, not XML" in bad.stderr
    report = home / "report.xml"
    report.write_text(JUNIT_GREEN)
    r = sluice("evidence", "add", KEY, "--kind", "junit", "--file", str(report), who="alice")
    assert r.returncode == 0, r.stderr
    # The stage review from the CLI (issue 12: it was API-only).
    own = sluice("experiment", "approve", KEY, "--stage", "staging", who="alice")
    assert own.returncode == 3, own.stderr  # never your own proposal
    approval = sluice("experiment", "approve", KEY, "--stage", "staging", who="bob")
    assert approval.returncode == 0, approval.stderr

    passed = sluice(*check, "--ci-run-id", "run-7", "--junit", str(junit), "--json", who="alice")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    decision = json.loads(passed.stdout)
    assert decision["outcome"] == "pass"
    assert decision["ci_run_id"] == "run-7"
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0"

    explained = sluice("gate", "explain", decision["id"], who="alice")
    assert explained.returncode == 0, explained.stderr
    assert "same decision" in explained.stdout
    moved = sluice("experiment", "transition", KEY, "staging", who="alice")
    assert moved.returncode == 0, moved.stderr


def test_override_commands(sluice: Sluice) -> None:
    created = sluice(
        "override",
        "create",
        KEY,
        "--stage",
        "staging",
        "--gate",
        "policies",
        "--justification",
        "x",
        "--expires-in",
        "1d",
        who="bob",
    )
    assert created.returncode == 2  # hard-mandatory by default: refused
    assert "hard-mandatory" in created.stderr
    by_contributor = sluice(
        "override",
        "create",
        KEY,
        "--stage",
        "staging",
        "--gate",
        "policies",
        "--justification",
        "x",
        "--expires-in",
        "9d",
        who="alice",
    )
    assert by_contributor.returncode == 3  # contributors may not override at all
    listed = sluice("override", "list", KEY, "--json", who="alice")
    assert listed.returncode == 0
    assert json.loads(listed.stdout) == []


def test_policy_test_and_eval_run_locally(sluice: Sluice) -> None:
    bundle = ROOT / "examples" / "policies"
    tested = sluice("policy", "test", str(bundle), "--json")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    report = json.loads(tested.stdout)
    assert report["passed"] is True
    assert len(report["results"]) >= 20
    doc = {"target_stage": "staging", "evidence": {}, "experiment": {}, "environment": {}}
    input_file = sluice.home / "input.json"
    input_file.write_text(json.dumps(doc))
    # a partial document needs --partial: without it the missing fields are named (exit 2)
    strict = sluice("policy", "eval", "--bundle", str(bundle), "--input", str(input_file))
    assert strict.returncode == 2, strict.stdout + strict.stderr
    assert "schema_version: required field is missing" in strict.stderr
    evaluated = sluice(
        "policy", "eval", "--bundle", str(bundle), "--input", str(input_file), "--partial"
    )
    assert evaluated.returncode == 3, evaluated.stdout + evaluated.stderr
    assert "coverage evidence is required for staging" in evaluated.stdout
    broken = sluice.home / "broken-bundle"
    broken.mkdir()
    (broken / "bad.rego").write_text(
        "package sluicegate.bad\n\ndeny contains msg if {\n  msg = = 1\n}\n"
    )
    failed = sluice("policy", "eval", "--bundle", str(broken), "--input", str(input_file))
    assert failed.returncode == 2
    assert "bad.rego:4:" in failed.stderr


def test_board_risk_matrix_selector_and_incidents_from_the_cli(sluice: Sluice) -> None:
    """Issue 12: the review board, the risk matrix, the process selector and incidents had no
    command; each now round-trips through a real server, and bad input names the field."""
    home = sluice.home
    bad = home / "board-bad.yaml"
    bad.write_text("name: cab\nmembers: [bob]\nseats: 1\nquorum: 2\n")
    r = sluice("process", "board", "-f", str(bad))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "quorum" in r.stderr
    good = home / "board.yaml"
    good.write_text("name: cab\nmembers: [bob, carol]\nseats: 2\nquorum: 2\n")
    assert sluice("process", "board", "-f", str(good), who="bob").returncode == 3
    r = sluice("process", "board", "-f", str(good), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["value"]["quorum"] == 2
    r = sluice("process", "board", "--clear")
    assert r.returncode == 0, r.stderr
    assert "removed" in r.stdout
    assert sluice("process", "board").returncode == 2  # neither -f nor --clear

    shown = sluice("risk", "show")
    assert shown.returncode == 0, shown.stderr
    matrix = home / "matrix.yaml"
    matrix.write_text(shown.stdout)
    r = sluice("risk", "apply", "-f", str(matrix), "--reason", "round trip")
    assert r.returncode == 0, r.stderr
    assert json.loads(sluice("risk", "show", "--json").stdout)["source"] != "built-in"
    assessed = sluice(
        "risk",
        "assess",
        "--data-classification",
        "restricted-pii",
        "--user-impact",
        "all",
        "--system-criticality",
        "mission-critical",
        "--json",
        who="alice",
    )
    assert assessed.returncode == 0, assessed.stderr
    assert json.loads(assessed.stdout)["level"] in {"high", "critical"}

    selector = home / "selector.yaml"
    selector.write_text("rules:\n  - {process: default, teams: [payments]}\ndefault: default\n")
    r = sluice("process", "selector", "-f", str(selector), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["default"] == "default"
    selector.write_text("rules:\n  - {teams: [payments]}\ndefault: default\n")
    r = sluice("process", "selector", "-f", str(selector))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "rules.0.process: Field required" in r.stderr  # the schema says it now (ST202)

    incidents = sluice("rollout", "incidents", "--json", who="alice")
    assert incidents.returncode == 0, incidents.stderr
    assert json.loads(incidents.stdout) == []
