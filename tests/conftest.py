"""Fixtures shared by the whole suite: databases on both engines and an API harness.

Every gate decision any test makes in this process is replayed as ``gate explain`` would replay
it (``replays_every_decision``): a decision that does not replay as itself fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture(autouse=True)
def replays_every_decision(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Replay each stored gate decision in its own transaction, right after it is written.

    It wraps the one writer of decision records (``service/gates/decisions._decide``), reads the
    row back as stored and runs ``explain``'s replay on it (``replay_record``). Failures are
    collected and reported when the test ends, so that a decision made by the rollout
    controller's thread fails the test too. The cost is one read and one re-evaluation per
    decision.
    """
    import sluicegate.service.gates.decisions as decisions

    original = decisions._decide
    failures: list[str] = []

    def deciding(deps: Any, uow: Any, ctx: Any, runtime: Any, *args: Any, **kwargs: Any) -> Any:
        decision = original(deps, uow, ctx, runtime, *args, **kwargs)
        try:
            rec = uow.gates.get_decision(decision.id)
            if rec is None:
                failures.append(f"decision {decision.id} was not stored")
            else:
                replayed = decisions.replay_record(uow, runtime, rec)["replay"]
                if not replayed["matches"]:
                    failures.append(
                        f"decision {decision.id} ({decision.stage}) does not replay: "
                        f"differs in {replayed['differences']}"
                    )
        except Exception as exc:  # reported below; the decision itself stands
            failures.append(f"decision {decision.id} could not be replayed: {exc!r}")
        return decision

    monkeypatch.setattr(decisions, "_decide", deciding)
    yield
    assert not failures, "\n".join(failures)
