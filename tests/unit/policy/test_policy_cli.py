"""``sluice policy test`` through Typer's CliRunner (issue 12 §1 item 4).

A bundle that does not compile fails with the file, the line and a readable message (never
rego-cpp's S-expressions, never ``0/0 passed``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sluicegate.cli.gates.policy import app

Maker = Callable[[dict[str, str]], Path]

BROKEN = "package sluicegate.bad\nimport rego.v1\ndeny contains msg if {\n  msg := \n}\n"
PASSING_TEST = "package sluicegate.bad_test\nimport rego.v1\ntest_a if {\n  true\n}\n"
OK = "package sluicegate.ok\nimport rego.v1\ndeny contains msg if {\n  msg := input.x\n}\n"
BROKEN_TEST = "package sluicegate.ok_test\nimport rego.v1\ntest_a if {\n  x := \n}\n"


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("with_tests", [False, True], ids=["no-test-files", "with-a-test-file"])
def test_policy_test_fails_a_bundle_that_does_not_compile(
    make_bundle: Maker, with_tests: bool
) -> None:
    files = {"policies/bad.rego": BROKEN}
    if with_tests:
        files["bad_test.rego"] = PASSING_TEST
    bundle = make_bundle(files)
    result = _run("test", str(bundle))
    assert result.exit_code == 2, result.output
    assert "policies/bad.rego:4:7: Invalid assignment operator" in result.output
    assert "(rego-" not in result.output
    assert "errormsg" not in result.output
    assert "passed" not in result.output

    as_json = _run("test", str(bundle), "--json")
    assert as_json.exit_code == 2
    error = json.loads(as_json.stdout)
    assert error["code"] == "policy-compile-error"
    assert error["errors"] == [
        {"field": "policies/bad.rego:4:7", "reason": "Invalid assignment operator"}
    ]


def test_policy_test_fails_a_test_file_that_does_not_compile(make_bundle: Maker) -> None:
    bundle = make_bundle({"ok.rego": OK, "tests/ok_test.rego": BROKEN_TEST})
    result = _run("test", str(bundle))
    assert result.exit_code == 2, result.output
    assert "tests/ok_test.rego:4:5: Invalid assignment operator" in result.output
    assert "(rego-" not in result.output


def test_policy_test_says_when_there_is_nothing_to_run(make_bundle: Maker) -> None:
    result = _run("test", str(make_bundle({"ok.rego": OK})))
    assert result.exit_code == 0, result.output
    assert "no test_* rules" in result.output
