"""Every exception class under src/sluicegate is in the one tree, with a unique stable code, an
HTTP status and an exit code."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import sluicegate
from sluicegate.api.problems import STATUS, status_for
from sluicegate.cli.exits import EXIT, ExitCode, error_class, exit_code_for, exit_code_for_class
from sluicegate.errors import SluicegateError

#: Exceptions that never leave the module that raises them, with the reason.
INTERNAL: dict[str, str] = {
    "sluicegate.api.middleware._TooLarge": "body-size control flow, answered as 413 in place",
    "sluicegate.service.rollouts.journal.LeaseLost": "stops the controller's tick loop; unreported",
    "sluicegate.service.rollouts.journal.Stale": "retries the tick; never reported",
    "sluicegate.cli.output.CliError": "the CLI's reporting vehicle that carries an exit code",
    "sluicegate.domain.audit.export.MalformedRecord": (
        "a malformed export line: reported as a failed verification (exit 3), not as an error"
    ),
    "sluicegate.cli.client.TransportError": "the client turns it into a CliError (exit 1)",
    "sluicegate.flags.errors.InvalidRule": "an unparsable rule; the engine answers PARSE_ERROR",
    "sluicegate.cli.delivery.importer.BadRecord": (
        "an import line that is no record: reported with its line number, never raised out"
    ),
}
#: Abstract classes that share their code with the concrete class they stand for.
SHARED_CODE = {"sluicegate.domain.gates.errors.GateBlocked": "never raised as itself"}
CODE = re.compile(r"^[a-z]+(-[a-z]+)*$")


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(sluicegate.__path__, "sluicegate."):
        if info.name.endswith("__main__") or ".migrations" in info.name:
            continue
        names.append(info.name)
    return names


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in _modules():
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == name:
                found[f"{name}.{obj.__qualname__}"] = obj
    return found


CLASSES = _exception_classes()
TREE = {name: cls for name, cls in CLASSES.items() if issubclass(cls, SluicegateError)}


def test_the_walk_finds_the_known_errors() -> None:
    for name in (
        "sluicegate.flags.errors.FlagDefinitionError",
        "sluicegate.stats.config.ConfigError",
        "sluicegate.service.gates.evaluator.PolicyUnavailable",
        "sluicegate.domain.gates.errors.GatePending",
        "sluicegate.bootstrap.InvalidSettings",
    ):
        assert name in TREE


def test_every_exception_class_is_in_the_tree_or_allow_listed() -> None:
    outside = sorted(n for n, c in CLASSES.items() if n not in TREE and n not in INTERNAL)
    assert outside == []
    assert all(name in CLASSES for name in INTERNAL), "a stale allow-list entry"


def test_every_class_defines_a_unique_kebab_case_code() -> None:
    seen: dict[str, str] = {}
    for name, cls in sorted(TREE.items()):
        assert "code" in vars(cls), f"{name} inherits its code"
        assert CODE.match(cls.code), f"{name}: {cls.code!r}"
        if name in SHARED_CODE:
            continue
        assert cls.code not in seen, f"{name} and {seen.get(cls.code)} share {cls.code!r}"
        seen[cls.code] = name


@pytest.mark.parametrize("name", sorted(TREE))
def test_every_class_has_an_http_status_and_an_exit_code(name: str) -> None:
    cls = TREE[name]
    assert any(c in STATUS for c in cls.__mro__ if c is not SluicegateError) or cls is (
        SluicegateError
    ), f"{name} falls through to the root's HTTP status"
    assert 400 <= status_for(cls) < 600
    assert any(c in EXIT for c in cls.__mro__ if c is not SluicegateError) or cls is (
        SluicegateError
    ), f"{name} falls through to the root's exit code"
    assert exit_code_for_class(cls) is not ExitCode.OK


@pytest.mark.parametrize("name", sorted(TREE))
def test_a_problem_code_maps_to_the_exit_code_of_its_class(name: str) -> None:
    cls = TREE[name]
    if cls is SluicegateError:
        return
    assert exit_code_for(cls.code) is exit_code_for_class(cls)
    if name not in SHARED_CODE:
        assert error_class(cls.code) is cls


@pytest.mark.parametrize(
    ("code", "exit_code"),
    [
        ("invalid-input", 2),
        ("invalid-process", 2),
        ("invalid-override", 2),
        ("malformed-document", 2),
        ("not-found", 6),
        ("conflict", 7),
        ("already-exists", 7),
        ("state-conflict", 7),
        ("invalid-transition", 3),
        ("approvals-missing", 3),
        ("self-approval", 3),
        ("forbidden", 3),
        ("unauthenticated", 3),
        ("gate-blocked", 3),
        ("gate-pending", 5),
        ("no-such-code", 1),
    ],
)
def test_documented_exit_codes(code: str, exit_code: int) -> None:
    assert exit_code_for(code) == exit_code


def test_gate_blocked_splits_by_outcome_and_keeps_its_problem_title() -> None:
    from types import SimpleNamespace

    from sluicegate.domain.gates import GateBlocked, GateDenied, GatePending, Outcome

    def decision(outcome: Outcome) -> object:
        return SimpleNamespace(
            blocking=[], stage="canary", outcome=outcome, process="p", process_version=1, id="d1"
        )

    pending = GateBlocked(decision(Outcome.PENDING))  # type: ignore[arg-type]
    denied = GateBlocked(decision(Outcome.DENIED))  # type: ignore[arg-type]
    assert (type(pending), pending.code) == (GatePending, "gate-pending")
    assert (type(denied), denied.code) == (GateDenied, "gate-blocked")
    assert pending.title == denied.title == "GateBlocked"
    assert (status_for(GatePending), status_for(GateDenied)) == (409, 409)


def test_dump_json_is_compact_sorted_and_keeps_the_gate_tables_ascii_escapes() -> None:
    from sluicegate.adapters.db.jsontext import dump_json

    assert dump_json({"b": "é", "a": [1, 2]}) == '{"a":[1,2],"b":"é"}'
    assert dump_json({"b": "é"}, ascii_only=True) == '{"b":"\\u00e9"}'
