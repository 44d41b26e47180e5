"""The lazy top level of ``sluice`` (issue 12, ADR 0020): every entry of COMMANDS loads, its
listed help is the loaded command's own, and running one command imports only its module."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer.main
from typer._click import Context

from sluicegate.cli.main import COMMANDS, _offered, app, load


@pytest.mark.parametrize("name", sorted(n for n in COMMANDS if _offered(n)))
def test_each_entry_loads_and_its_listed_help_is_its_own(name: str) -> None:
    command = load(name)
    assert command.name == name
    listed = COMMANDS[name][2]
    own = (command.help or "").strip().split("\n\n")[0].replace("\n", " ")
    assert listed == own, f"COMMANDS[{name!r}] lists {listed!r}; the command says {own!r}"


def test_help_lists_every_command_without_loading_any() -> None:
    group = typer.main.get_command(app)
    ctx = Context(group, info_name="sluice")
    text = group.get_help(ctx)
    for name in (n for n in COMMANDS if _offered(n)):
        assert f"\n  {name} " in text, name
    assert getattr(group, "commands", {}) == {}, "help loaded command modules"


def test_an_unknown_command_is_a_usage_error_with_a_suggestion() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sluicegate", "experimnt", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "experimnt" in done.stderr
    assert "experiment" in done.stderr


_PROBE = """
import json, sys
from sluicegate.cli.main import run
sys.argv = ["sluice", *sys.argv[1:]]
try:
    run()
except SystemExit:
    pass
mods = sorted(m for m in sys.modules if m.startswith(("sluicegate.", "rich", "pydantic", "httpx")))
sys.stderr.write("\\nMODULES " + json.dumps(mods) + "\\n")
"""


def _modules_after(*argv: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, check=False
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES ")))


def test_top_level_help_imports_no_command_module_rich_or_pydantic() -> None:
    loaded = _modules_after("--help")
    assert not {m for m in loaded if m.startswith("sluicegate.cli.") and m != "sluicegate.cli.main"}
    assert not {m for m in loaded if m.startswith(("rich", "pydantic", "httpx"))}


def test_a_group_imports_its_own_module_only() -> None:
    loaded = _modules_after("rollout", "--help")
    assert "sluicegate.cli.rollouts.commands" in loaded
    for other in ("sluicegate.cli.flags", "sluicegate.cli.audit", "sluicegate.cli.admin"):
        assert other not in loaded
