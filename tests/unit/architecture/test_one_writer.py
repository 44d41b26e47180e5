"""Every change of an experiment's state goes through one writer (docs/architecture.md).

The API, the expiry job and the rollout controller all move experiments with
``service.experiments.apply_transition``. These tests read the source tree, so a second writer
added anywhere under ``src/sluicegate`` fails them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import sluicegate

SRC = Path(sluicegate.__file__).parent
WRITER = ("sluicegate/service/experiments/commands.py", "apply_transition")


def _functions() -> list[tuple[str, ast.FunctionDef]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = str(path.relative_to(SRC.parent))
        for node in ast.walk(ast.parse(path.read_text(), rel)):
            if isinstance(node, ast.FunctionDef):
                out.append((rel, node))
    return out


def _writes_experiment_state(fn: ast.FunctionDef) -> bool:
    """A ``replace(..., state=...)`` and an ``<uow>.experiments.update(...)`` in one function."""
    replaces_state = updates = False
    for node in ast.walk(fn):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id == "replace":
            replaces_state |= any(k.arg == "state" for k in node.keywords)
        if (
            isinstance(f, ast.Attribute)
            and f.attr == "update"
            and isinstance(f.value, ast.Attribute)
            and f.value.attr == "experiments"
        ):
            updates = True
    return replaces_state and updates


def test_one_function_writes_an_experiments_state() -> None:
    writers = [(rel, fn.name) for rel, fn in _functions() if _writes_experiment_state(fn)]
    assert writers == [WRITER]


def test_one_place_records_the_transition_event() -> None:
    found = []
    for rel, fn in _functions():
        for node in ast.walk(fn):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "EXPERIMENT_TRANSITION"
                and isinstance(node.value, ast.Name)
                and node.value.id == "AuditAction"
            ):
                found.append((rel, fn.name))
    assert found == [WRITER]


def test_the_checks_see_a_second_writer() -> None:
    """The scan is not vacuous: a function in the old shape of the expiry job is found."""
    second = ast.parse(
        "def expire(uow, exp):\n"
        "    updated = replace(exp, state='expired', version=exp.version + 1)\n"
        "    uow.experiments.update(updated, exp.version)\n"
    ).body[0]
    assert isinstance(second, ast.FunctionDef)
    assert _writes_experiment_state(second)


def _callers(repository: str, method: str) -> list[tuple[str, str]]:
    """The functions that call ``<uow>.<repository>.<method>(...)``."""
    found = []
    for rel, fn in _functions():
        for node in ast.walk(fn):
            f = node.func if isinstance(node, ast.Call) else None
            if (
                isinstance(f, ast.Attribute)
                and f.attr == method
                and isinstance(f.value, ast.Attribute)
                and f.value.attr == repository
            ):
                found.append((rel, fn.name))
                break
    return found


def test_one_writer_of_rollouts() -> None:
    assert _callers("rollouts", "update") == [
        ("sluicegate/service/rollouts/states.py", "write_rollout")
    ]


def test_one_writer_of_flag_change_requests() -> None:
    assert _callers("flags", "update_change_request") == [
        ("sluicegate/service/flags/changes.py", "write_change_request")
    ]


def test_one_writer_of_jit_requests() -> None:
    assert _callers("jit", "update") == [("sluicegate/service/access/jit.py", "_save")]
