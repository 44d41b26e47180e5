"""Locate external binaries that integration tests need.

A missing binary skips the test on a laptop; with ``SLUICE_REQUIRE_BINARIES=1`` (set by ``.ci/run``)
the same situation fails the test, so CI can never go green by skipping.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

__all__ = ["require_binary"]


def require_binary(name: str, *candidates: str) -> Path:
    """Return the path of ``name`` (or the first existing candidate path), else skip or fail."""
    for candidate in candidates:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    found = shutil.which(name)
    if found:
        return Path(found)
    message = f"binary {name!r} not found (looked on PATH and in {list(candidates)})"
    if os.environ.get("SLUICE_REQUIRE_BINARIES") == "1":
        pytest.fail(message + "; SLUICE_REQUIRE_BINARIES=1 forbids skipping", pytrace=False)
    pytest.skip(message)
