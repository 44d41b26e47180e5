"""Fixtures shared by the whole suite: databases on both engines and an API harness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.app import Harness, make_harness
from tests.support.postgres import PgCluster, start_cluster

# Property tests check results, not speed: on a loaded 2-core CI machine a case can take longer
# than Hypothesis's default 200 ms deadline and fail as "flaky" for no fault of the code. Speed is
# measured in benchmarks/ instead.
settings.register_profile("sluicegate", deadline=None)
settings.load_profile("sluicegate")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    with start_cluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> Iterator[str]:
    name = pg_cluster.create_database()
    try:
        yield pg_cluster.url(name)
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite and on a real PostgreSQL 15."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sluicegate.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def harness(database_url: str, tmp_path: Path) -> Iterator[Harness]:
    h = make_harness(tmp_path / "home", database_url)
    try:
        yield h
    finally:
        h.close()


@pytest.fixture
def sqlite_harness(tmp_path: Path) -> Iterator[Harness]:
    h = make_harness(tmp_path / "home", f"sqlite:///{tmp_path / 'sluicegate.db'}")
    try:
        yield h
    finally:
        h.close()
