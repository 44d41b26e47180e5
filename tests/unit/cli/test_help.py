"""Every command, group, option and argument of ``sluice`` has help text, and no option reads
as a doubled negative (``--no-no-serve``), issue 12. The walk covers the whole command tree."""

from __future__ import annotations

from typing import Any

import pytest
import typer.main
from typer._click import Context

from sluicegate.cli.main import app


def _tree() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        found.append((" ".join(["sluice", *path]), cmd))
        # list_commands/get_command, not .commands: the top level loads its groups on demand
        if hasattr(cmd, "list_commands"):
            ctx = Context(cmd)
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), [*path, name])

    walk(typer.main.get_command(app), [])
    return found


TREE = _tree()


def test_the_walk_sees_the_whole_tree() -> None:
    names = {name for name, _ in TREE}
    for expected in ("sluice flags request approve", "sluice rollout incidents", "sluice whoami"):
        assert expected in names
    assert len(names) > 90


@pytest.mark.parametrize(("name", "cmd"), TREE, ids=[n for n, _ in TREE])
def test_command_and_its_parameters_have_help(name: str, cmd: Any) -> None:
    assert (cmd.help or "").strip(), f"{name} has no help text"
    for param in cmd.params:
        label = f"{name} {'/'.join(param.opts)}"
        assert (getattr(param, "help", None) or "").strip(), f"{label} has no help text"


@pytest.mark.parametrize(("name", "cmd"), TREE, ids=[n for n, _ in TREE])
def test_help_reads_as_help_not_as_source(name: str, cmd: Any) -> None:
    """A docstring's reStructuredText (``code``) shows as is in `--help`; help uses `code`."""
    texts = [cmd.help or "", *(getattr(p, "help", None) or "" for p in cmd.params)]
    assert not [t for t in texts if "``" in t], f"{name}: RST literals in its help"


@pytest.mark.parametrize(("name", "cmd"), TREE, ids=[n for n, _ in TREE])
def test_no_doubled_negative_options(name: str, cmd: Any) -> None:
    for param in cmd.params:
        for opt in [*param.opts, *getattr(param, "secondary_opts", [])]:
            assert not opt.startswith("--no-no-"), f"{name}: {opt}"
