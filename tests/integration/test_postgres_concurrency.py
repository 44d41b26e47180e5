"""Real concurrent transactions on PostgreSQL: optimistic concurrency and the audit chain."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from tests.support.app import EXAMPLE_PROPOSAL

from sluicegate.bootstrap import Container, Settings, prepare
from sluicegate.domain.errors import Conflict
from sluicegate.service import audit as audit_svc
from sluicegate.service import experiments as exp_svc
from sluicegate.service.access import identity
from sluicegate.service.auditing import record
from sluicegate.service.context import RequestContext

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    c = prepare(Settings(home=tmp_path / "home", database_url=pg_url, checkpoint_every=50))
    _, issued = identity.init_admin(c.deps, "admin", "Admin")
    ctx = RequestContext(identity.authenticate(c.deps, issued.secret))
    identity.create_team(c.deps, ctx, "payments", "Payments")
    yield c, ctx
    c.close()


def test_two_concurrent_updates_one_wins_one_conflicts(
    pg: tuple[Container, RequestContext],
) -> None:
    c, ctx = pg
    exp_svc.propose(c.deps, ctx, yaml.safe_load(EXAMPLE_PROPOSAL))
    barrier = threading.Barrier(2)

    def writer(title: str) -> bool:
        with c.deps.uow() as uow:
            exp = uow.experiments.get_by_key("checkout-redesign")
            assert exp is not None
            barrier.wait(timeout=10)  # both transactions have read version 1
            return uow.experiments.update(
                replace(exp, title=title, version=exp.version + 1), exp.version
            )

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(writer, ["first", "second"]))
    assert results == [False, True]
    with c.deps.uow(readonly=True) as uow:
        stored = uow.experiments.get_by_key("checkout-redesign")
    assert stored is not None
    assert stored.version == 2


def test_concurrent_transitions_through_the_use_case(pg: tuple[Container, RequestContext]) -> None:
    c, ctx = pg
    exp_svc.propose(c.deps, ctx, yaml.safe_load(EXAMPLE_PROPOSAL))
    barrier = threading.Barrier(8)

    def reject(i: int) -> str:
        barrier.wait(timeout=10)
        try:
            exp_svc.transition(
                c.deps, ctx, "checkout-redesign", "rejected", reason=f"r{i}", expected_version=1
            )
        except Conflict:
            return "conflict"
        except Exception as exc:  # an invalid transition after another thread won
            return type(exc).__name__
        return "ok"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(reject, range(8)))
    assert outcomes.count("ok") == 1
    assert set(outcomes) <= {"ok", "conflict"}
    assert audit_svc.verify(c.deps, c.verifier()).ok


def test_parallel_writers_never_fork_the_chain(pg: tuple[Container, RequestContext]) -> None:
    c, ctx = pg
    start = threading.Barrier(8)

    def write(worker: int) -> None:
        start.wait(timeout=10)
        for i in range(40):
            with c.deps.uow() as uow:
                record(c.deps, uow, ctx, "load.write", "load", f"{worker}-{i}", after={"i": i})  # type: ignore[arg-type]  # any action builds a ledger

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    report = audit_svc.verify(c.deps, c.verifier())
    assert report.ok, report.problem
    with c.deps.uow(readonly=True) as uow:
        assert uow.audit.count() == report.count
    assert report.count >= 320
    assert report.checkpoints_verified == report.count // 50
