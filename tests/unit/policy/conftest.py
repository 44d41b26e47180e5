"""Fixtures for the Rego policy engine tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sluicegate.adapters.policy.rego import RegoPolicyEngine

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "policies"


@pytest.fixture
def engine() -> RegoPolicyEngine:
    return RegoPolicyEngine()


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    target = tmp_path / "bundle"
    shutil.copytree(EXAMPLES, target)
    return target


@pytest.fixture
def make_bundle(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    counter = iter(range(1000))

    def make(files: dict[str, str]) -> Path:
        root = tmp_path / f"b{next(counter)}"
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        return root

    return make
