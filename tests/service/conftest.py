"""Service-layer tests call use cases directly, on a copy of the seeded SQLite template."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.service import ServiceWorld, make_service


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ServiceWorld]:
    world = make_service(tmp_path / "home", f"sqlite:///{tmp_path / 'sluicegate.db'}")
    try:
        yield world
    finally:
        world.close()
