"""Lazy public surfaces for feature packages.

A feature package's ``__init__`` is its public surface: other features and the entry points import
its use cases from there (``from sluicegate.service import gates; gates.check_gate(...)``). Its
records and repository Protocols sit beside it in ``<feature>/ports.py``, and adapters import those
without wanting the use cases. Python runs a package's ``__init__`` before any submodule, so an
``__init__`` that imported its use cases eagerly would make every ``ports`` import pull in the
feature's whole service layer, and two features that use each other (experiments promote through
gates, gates read experiment records) would import in a circle. So each ``__init__`` names its
exports in a table and loads the defining module on first use (PEP 562); type checkers see the same
names through an ``if TYPE_CHECKING:`` import block.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

__all__ = ["exports"]


def exports(
    package: str, table: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``; ``table`` maps a name to its submodule."""

    def __getattr__(name: str) -> object:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        globals_of_package = importlib.import_module(package).__dict__
        globals_of_package[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted({*table, *importlib.import_module(package).__dict__})

    return __getattr__, __dir__
