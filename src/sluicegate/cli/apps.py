"""The one way the CLI makes a command group: plain help (no Rich formatting).

Typer's Rich help imports Rich's Markdown renderer and markdown-it (about 0.18 s) before it can
print a line; plain Click help prints the same text without them, which is what keeps
``sluice --help`` within its start-up budget (issue 12, docs/adr/0020-lazy-cli.md).
"""

from __future__ import annotations

from typing import Any

import typer

__all__ = ["new_app"]


def new_app(**settings: Any) -> typer.Typer:
    """A :class:`typer.Typer` group with plain help; ``settings`` are Typer's own."""
    settings.setdefault("rich_markup_mode", None)
    return typer.Typer(**settings)
