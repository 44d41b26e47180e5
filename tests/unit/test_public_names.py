"""Every name a module under src/sluicegate lists in ``__all__`` exists in that module."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

import sluicegate

PACKAGE = Path(sluicegate.__file__).resolve().parent

#: Not importable on their own: ``__main__`` runs the CLI, and Alembic loads its environment
#: and revision scripts itself (``env.py`` needs Alembic's migration context).
EXCLUDED = ("sluicegate.__main__", "sluicegate.adapters.db.migrations")


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("sluicegate", *path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        if not any(name == x or name.startswith(x + ".") for x in EXCLUDED):
            names.append(name)
    return names


MODULES = _modules()


def test_the_walk_finds_the_package() -> None:
    assert "sluicegate" in MODULES
    assert "sluicegate.bootstrap" in MODULES
    assert len(MODULES) > 100


@pytest.mark.parametrize("name", MODULES)
def test_every_name_in_all_exists(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing and missing != "sluicegate" and importlib.util.find_spec(missing) is None:
            pytest.skip(f"{name} needs the optional dependency {missing!r}, which is not installed")
        raise
    exported = getattr(module, "__all__", None)
    if exported is None:
        return
    assert isinstance(exported, list | tuple), f"{name}.__all__ is a {type(exported).__name__}"
    assert all(isinstance(n, str) for n in exported), f"{name}.__all__ holds a non-string"
    missing_names = [n for n in exported if not hasattr(module, n)]
    assert missing_names == [], f"{name}.__all__ lists names it does not define"
