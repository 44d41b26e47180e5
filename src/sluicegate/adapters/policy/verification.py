"""Runs a bundle's OPA-style ``test_*`` rules from ``*_test.rego`` files.

Tests run in a child Python process: regopy 1.5.2 crashes the process (SIGSEGV/abort) for some
constructs, notably ``with input as`` over rules calling built-ins.  A crash fails the test that
was running and the remaining tests are retried in a fresh process.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from typing import Any

from sluicegate.adapters.policy.bundle import compile_error_from_engine
from sluicegate.service.gates.policy import (
    PolicyBundle,
    PolicyModule,
    PolicyTestReport,
    PolicyTestResult,
)

__all__ = ["discover_tests", "run_bundle_tests"]

_TEST_RULE_RE = re.compile(r"^(test_[A-Za-z0-9_]*)\b", re.M)
_TIMEOUT_S = 60.0
_WITH_RE = re.compile(r"\bwith\s+(?:input|data)\b")

# Executed with ``python -c``; reads the job from stdin and prints one JSON line per test.
_WORKER = r"""
import json, sys
import regopy
from regopy.rego_shared import rego_query, rego_output_ok, rego_output_string, rego_free_output
job = json.load(sys.stdin)
rego = regopy.Interpreter()
rego.log_level = regopy.LogLevel.NONE
try:
    if job["data"]:
        rego.add_data_json(json.dumps(job["data"]))
    for name, source in job["modules"]:
        rego.add_module(name, source)
except regopy.RegoError as exc:
    print(json.dumps({"compile_error": str(exc)}), flush=True)
    sys.exit(0)
for index, (package, rule) in enumerate(job["tests"]):
    try:
        out = rego_query(rego._impl, "sluicegate_test = data.%s.%s" % (package, rule))
        text = rego_output_string(out)
        ok = rego_output_ok(out)
        rego_free_output(out)
    except regopy.RegoError as exc:
        ok, text = False, str(exc)
    error = None
    passed = False
    if not ok:
        error = text.strip()
    elif text == "undefined":
        error = "test rule is undefined (a body expression failed)"
    else:
        try:
            value = json.loads(text)
            result = value[0] if isinstance(value, list) else value
            passed = result.get("bindings", {}).get("sluicegate_test") is True
            if not passed:
                error = "test rule did not evaluate to true"
        except (ValueError, AttributeError):
            error = text.strip()
    print(json.dumps({"index": index, "passed": passed, "error": error}), flush=True)
"""


def discover_tests(bundle: PolicyBundle) -> list[tuple[str, str, str]]:
    """(file, package, rule) of every distinct ``test_*`` rule head in ``*_test.rego`` files."""
    found: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for module in bundle.test_modules:
        for match in _TEST_RULE_RE.finditer(module.source):
            key = (module.package, match.group(1))
            if key not in seen:
                seen.add(key)
                found.append((module.path, module.package, match.group(1)))
    return found


def _run_worker(job: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    completed = subprocess.run(  # noqa: S603 - fixed interpreter and inline program, no shell
        [sys.executable, "-c", _WORKER],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    lines = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    return lines, completed.returncode


def _crash_reason(returncode: int, module_source: str) -> str:
    try:
        what = signal.Signals(-returncode).name if returncode < 0 else f"exit status {returncode}"
    except ValueError:
        what = f"exit status {returncode}"
    reason = f"policy engine crashed ({what})"
    if _WITH_RE.search(module_source):
        reason += (
            "; regopy 1.5.2 crashes when `with` replaces input/data for rules that call "
            "built-ins: call the policy's functions with explicit arguments instead"
        )
    return reason


def _run_file(
    bundle: PolicyBundle, module: PolicyModule, tests: list[tuple[str, str, str]]
) -> list[PolicyTestResult]:
    modules = [[m.path, m.source] for m in (*bundle.policy_modules, module)]
    modules_by_path = dict(modules)
    results: list[PolicyTestResult] = []
    pending = tests
    while pending:
        job = {"data": dict(bundle.data), "modules": modules, "tests": [t[1:] for t in pending]}
        lines, returncode = _run_worker(job)
        if lines and "compile_error" in lines[0]:
            # the policy modules compiled in-process before; so this is the test file, or a
            # module that only fails next to it: report it as the engine's readable error
            raise compile_error_from_engine(lines[0]["compile_error"], modules_by_path)
        for line in lines:
            file, package, name = pending[line["index"]]
            error = line["error"]
            if error is not None and error.lstrip().startswith("(rego-"):
                error = str(compile_error_from_engine(error, modules_by_path))
            results.append(PolicyTestResult(file, package, name, line["passed"], error))
        done = len(lines)
        if done >= len(pending):
            break
        reason = _crash_reason(returncode, module.source)
        # rego-cpp compiles the whole module set for every query, so a crash on the first test
        # of a fresh process will recur for every remaining test of this file.
        crashed = pending[done:] if done == 0 else pending[done : done + 1]
        results.extend(PolicyTestResult(f, p, n, passed=False, error=reason) for f, p, n in crashed)
        pending = pending[done + len(crashed) :]
    return results


def run_bundle_tests(bundle: PolicyBundle) -> PolicyTestReport:
    """Run each ``*_test.rego`` file in its own child process (with all policy modules).

    Compile the policy modules first (``RegoPolicyEngine.run_tests`` and ``run_policy_tests``
    do): a test file that does not compile raises :class:`PolicyCompileError` with its location.
    """
    tests = discover_tests(bundle)
    results: list[PolicyTestResult] = []
    for module in bundle.test_modules:
        mine = [t for t in tests if t[0] == module.path]
        if mine:
            results.extend(_run_file(bundle, module, mine))
    return PolicyTestReport(revision=bundle.revision, results=tuple(results))
