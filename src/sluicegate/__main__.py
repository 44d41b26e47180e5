"""``python -m sluicegate`` is the ``sluice`` command."""

from __future__ import annotations

from sluicegate.cli.main import run

run()
