"""Bundle loading, revisions, namespaces, caching and error reporting of the regopy adapter."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from sluicegate.adapters.policy import RegoPolicyEngine, run_policy_tests
from sluicegate.service.gates.policy import PolicyBundle, PolicyCompileError, PolicyEvaluationError

DENY_X = """package sluicegate.x

import rego.v1

deny contains msg if {
	input.size > data.limits.size
	msg := sprintf("size %d above %d", [input.size, data.limits.size])
}
"""

Maker = Callable[[dict[str, str]], Path]


def test_revision_is_content_addressed(engine: RegoPolicyEngine, make_bundle: Maker) -> None:
    files = {"x.rego": DENY_X, "data.json": '{"limits": {"size": 3}}'}
    first = engine.load_bundle(make_bundle(files)).revision
    assert engine.load_bundle(make_bundle(files)).revision == first
    changed = engine.load_bundle(make_bundle({**files, "data.json": '{"limits": {"size": 4}}'}))
    assert changed.revision != first
    renamed = engine.load_bundle(make_bundle({"y.rego": DENY_X, "data.json": files["data.json"]}))
    assert renamed.revision != first


def test_data_yaml_and_nested_directories(engine: RegoPolicyEngine, make_bundle: Maker) -> None:
    root = make_bundle({"sub/dir/x.rego": DENY_X, "data.yaml": "limits:\n  size: 3\n"})
    bundle = engine.load_bundle(root)
    assert [m.path for m in bundle.modules] == ["sub/dir/x.rego"]
    decision = engine.evaluate(bundle, {"size": 5})
    assert [m.msg for m in decision.deny] == ["size 5 above 3"]
    assert engine.evaluate(bundle, {"size": 2}).deny == []


def test_namespace_filters_packages(make_bundle: Maker) -> None:
    other = 'package other\n\nimport rego.v1\n\ndeny contains "from other" if true\n'
    root = make_bundle(
        {"x.rego": DENY_X, "other.rego": other, "data.json": '{"limits": {"size": 0}}'}
    )
    scoped = RegoPolicyEngine()
    bundle = scoped.load_bundle(root)
    assert {m.package for m in scoped.evaluate(bundle, {"size": 1}).deny} == {"sluicegate.x"}
    everything = RegoPolicyEngine(namespace=None)
    result = everything.evaluate(everything.load_bundle(root), {"size": 1})
    assert {m.package for m in result.deny} == {"sluicegate.x", "other"}


def test_string_and_object_messages(engine: RegoPolicyEngine, make_bundle: Maker) -> None:
    source = """package sluicegate.m

import rego.v1

warn contains "plain" if input.a
warn contains {"msg": "structured", "code": 7} if input.a
warn contains {"no_msg": true} if input.a
"""
    bundle = engine.load_bundle(make_bundle({"m.rego": source}))
    warn = engine.evaluate(bundle, {"a": True}).warn
    assert [(m.msg, dict(m.details)) for m in warn] == [
        ("plain", {}),
        ("structured", {"code": 7}),
        ('{"no_msg": true}', {}),
    ]
    assert engine.evaluate(bundle, {"a": False}).warn == []


def test_empty_namespace_yields_empty_decision(
    engine: RegoPolicyEngine, make_bundle: Maker
) -> None:
    bundle = engine.load_bundle(make_bundle({"o.rego": "package other\n\nx := 1\n"}))
    decision = engine.evaluate(bundle, {})
    assert (decision.deny, decision.warn, dict(decision.by_package)) == ([], [], {})


def test_compiled_once_per_revision(
    engine: RegoPolicyEngine, make_bundle: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = RegoPolicyEngine._compile

    def counting(self: RegoPolicyEngine, bundle: object) -> object:
        calls.append("compile")
        return original(self, bundle)  # type: ignore[arg-type]

    monkeypatch.setattr(RegoPolicyEngine, "_compile", counting)
    root = make_bundle({"x.rego": DENY_X, "data.json": '{"limits": {"size": 3}}'})
    bundle = engine.load_bundle(root)
    for size in range(10):
        engine.evaluate(bundle, {"size": size})
    engine.load_bundle(root)
    assert calls == ["compile"]


def test_concurrent_evaluations_do_not_mix_inputs(
    engine: RegoPolicyEngine, make_bundle: Maker
) -> None:
    bundle = engine.load_bundle(
        make_bundle({"x.rego": DENY_X, "data.json": '{"limits": {"size": 0}}'})
    )
    errors: list[str] = []

    def work(n: int) -> None:
        for _ in range(20):
            msgs = [m.msg for m in engine.evaluate(bundle, {"size": n}).deny]
            if msgs != [f"size {n} above 0"]:
                errors.append(f"{n}: {msgs}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(1, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_syntax_error_reports_file_line_column(
    engine: RegoPolicyEngine, make_bundle: Maker
) -> None:
    bad = "package sluicegate.bad\nimport rego.v1\ndeny contains msg if {\n  msg := \n}\n"
    with pytest.raises(PolicyCompileError) as info:
        engine.load_bundle(make_bundle({"ok.rego": DENY_X, "policies/bad.rego": bad}))
    error = info.value
    assert (error.file, error.line, error.column) == ("policies/bad.rego", 4, 7)
    assert error.reason == "Invalid assignment operator"
    assert str(error) == "policies/bad.rego:4:7: Invalid assignment operator"


def test_unknown_function_is_a_compile_error(engine: RegoPolicyEngine, make_bundle: Maker) -> None:
    source = (
        "package sluicegate.f\n\nimport rego.v1\n\n"
        "deny contains msg if {\n\tinput.x\n\tmsg := no_such_fn(input.x)\n}\n"
    )
    with pytest.raises(PolicyCompileError) as info:
        engine.load_bundle(make_bundle({"f.rego": source}))
    assert (info.value.file, info.value.line, info.value.column) == ("f.rego", 7, 9)
    assert "unknown function 'no_such_fn'" in info.value.reason


def test_missing_package_is_rejected(engine: RegoPolicyEngine, make_bundle: Maker) -> None:
    with pytest.raises(PolicyCompileError) as info:
        engine.load_bundle(make_bundle({"nopkg.rego": "# just a comment\ndeny := 1\n"}))
    assert (info.value.file, info.value.reason) == ("nopkg.rego", "missing package declaration")


def test_with_keyword_is_rejected_outside_tests(
    engine: RegoPolicyEngine, make_bundle: Maker
) -> None:
    source = (
        "package sluicegate.w\n\nimport rego.v1\n\n"
        "# mocking with input is only for tests\n"
        'deny contains "x" if {\n\tdata.sluicegate.x.deny with input as {"size": 9}\n}\n'
    )
    with pytest.raises(PolicyCompileError) as info:
        engine.load_bundle(make_bundle({"w.rego": source, "x.rego": DENY_X}))
    assert (info.value.file, info.value.line, info.value.column) == ("w.rego", 7, 25)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"x.rego": DENY_X, "data.json": "{not json"}, "invalid data document"),
        ({"x.rego": DENY_X, "data.json": "[1, 2]"}, "data document must be an object"),
    ],
)
def test_invalid_data_documents(
    engine: RegoPolicyEngine, make_bundle: Maker, files: dict[str, str], message: str
) -> None:
    with pytest.raises(PolicyCompileError, match=message):
        engine.load_bundle(make_bundle(files))


def test_missing_directory(engine: RegoPolicyEngine, tmp_path: Path) -> None:
    with pytest.raises(PolicyCompileError, match="directory not found"):
        engine.load_bundle(tmp_path / "nope")


def test_conflicting_values_raise_evaluation_error(
    engine: RegoPolicyEngine, make_bundle: Maker
) -> None:
    source = (
        "package sluicegate.c\n\nimport rego.v1\n\nmode := 1 if input.a\n\nmode := 2 if input.a\n"
    )
    bundle = engine.load_bundle(make_bundle({"c.rego": source}))
    assert engine.evaluate(bundle, {"a": False}).deny == []
    with pytest.raises(PolicyEvaluationError):
        engine.evaluate(bundle, {"a": True})


def test_input_must_be_json(engine: RegoPolicyEngine, make_bundle: Maker) -> None:
    bundle = engine.load_bundle(make_bundle({"x.rego": DENY_X}))
    with pytest.raises(PolicyEvaluationError, match="not JSON-encodable"):
        engine.evaluate(bundle, {"size": object()})


FUNCTIONAL = """package sluicegate.f

import rego.v1

too_big(inp) := {msg |
	inp.size > 3
	msg := sprintf("size %d above 3", [inp.size])
}
"""

FUNCTIONAL_TESTS = """package sluicegate.f_test

import rego.v1

import data.sluicegate.f

test_passes if {
	f.too_big({"size": 9}) == {"size 9 above 3"}
}

test_fails if {
	count(f.too_big({"size": 1})) == 2
}

test_false_value if {
	false
}

test_after_failures if {
	count(f.too_big({"size": 1})) == 0
}
"""

WITH_TESTS = """package sluicegate.w_test

import rego.v1

import data.sluicegate.x

test_crashes_regopy if {
	count(x.deny) == 1 with input as {"size": 10}
}
"""


def test_policy_test_runner_reports_failures_and_survives_crashes(make_bundle: Maker) -> None:
    root = make_bundle(
        {
            "x.rego": DENY_X,
            "f.rego": FUNCTIONAL,
            "tests/f_test.rego": FUNCTIONAL_TESTS,
            "tests/w_test.rego": WITH_TESTS,
            "data.json": '{"limits": {"size": 3}}',
        }
    )
    report = run_policy_tests(root)
    outcome = {r.name: (r.passed, r.file) for r in report.results}
    assert outcome == {
        "test_passes": (True, "tests/f_test.rego"),
        "test_fails": (False, "tests/f_test.rego"),
        "test_false_value": (False, "tests/f_test.rego"),
        "test_after_failures": (True, "tests/f_test.rego"),
        "test_crashes_regopy": (False, "tests/w_test.rego"),
    }
    errors = {r.name: r.error or "" for r in report.failures}
    assert errors["test_fails"] == "test rule is undefined (a body expression failed)"
    assert errors["test_false_value"] == "test rule is undefined (a body expression failed)"
    assert errors["test_crashes_regopy"].startswith("policy engine crashed (")
    assert "call the policy's functions with explicit arguments" in errors["test_crashes_regopy"]
    assert not report.passed
    assert len(report.failures) == 3


def test_policy_test_runner_reports_compile_errors(make_bundle: Maker) -> None:
    broken = "package sluicegate.b_test\nimport rego.v1\ntest_a if {\n  x := \n}\n"
    with pytest.raises(PolicyCompileError) as info:
        run_policy_tests(make_bundle({"x.rego": DENY_X, "b_test.rego": broken}))
    assert (info.value.file, info.value.line, info.value.reason) == (
        "b_test.rego",
        4,
        "Invalid assignment operator",
    )


def test_policy_test_runner_compiles_the_policies_first(make_bundle: Maker) -> None:
    broken = "package sluicegate.bad\nimport rego.v1\ndeny contains msg if {\n  msg := \n}\n"
    for files in ({"bad.rego": broken}, {"bad.rego": broken, "a_test.rego": "package t\n"}):
        with pytest.raises(PolicyCompileError) as info:
            run_policy_tests(make_bundle(files))
        assert str(info.value) == "bad.rego:4:7: Invalid assignment operator"


def test_cache_is_bounded_and_recompiles_evicted_revisions(
    make_bundle: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = RegoPolicyEngine(max_cached_revisions=2)
    compiled: list[str] = []
    original = RegoPolicyEngine._compile

    def counting(self: RegoPolicyEngine, bundle: PolicyBundle) -> object:
        compiled.append(bundle.revision)
        return original(self, bundle)

    monkeypatch.setattr(RegoPolicyEngine, "_compile", counting)
    bundles = [
        engine.load_bundle(
            make_bundle({"x.rego": DENY_X, "data.json": f'{{"limits": {{"size": {n}}}}}'})
        )
        for n in range(3)
    ]
    assert len(compiled) == 3
    assert [m.msg for m in engine.evaluate(bundles[2], {"size": 5}).deny] == ["size 5 above 2"]
    assert len(compiled) == 3  # still cached
    assert [m.msg for m in engine.evaluate(bundles[0], {"size": 5}).deny] == ["size 5 above 0"]
    assert compiled[-1] == bundles[0].revision  # evicted, so compiled again


def test_static_call_check_accepts_builtins_imports_and_bundle_functions(
    engine: RegoPolicyEngine, make_bundle: Maker
) -> None:
    helpers = "package sluicegate.lib\n\nimport rego.v1\n\nshout(s) := upper(s)\n"
    user = """package sluicegate.u

import rego.v1

import data.sluicegate.lib as l

deny contains msg if {
	startswith(input.name, "tmp-")
	msg := l.shout(sprintf("temporary name %s", [input.name]))
}

warn contains msg if {
	object.get(input, "owner", "") == ""
	msg := data.sluicegate.lib.shout("no owner")
}
"""
    bundle = engine.load_bundle(make_bundle({"lib.rego": helpers, "u.rego": user}))
    decision = engine.evaluate(bundle, {"name": "tmp-x"})
    assert [m.msg for m in decision.deny] == ["TEMPORARY NAME TMP-X"]
    assert [m.msg for m in decision.warn] == ["NO OWNER"]
