"""The indexed linking and recovery search give exactly what the straightforward versions give
(tests/support/delivery_reference, frozen), on generated histories with every linking rule in
play: multi-service incidents, root-cause shas, explicit links, rollbacks, hotfixes, fixes."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.support.delivery_reference import linking as ref_linking
from tests.support.delivery_reference import metrics as ref_metrics

from sluicegate.domain.delivery import linking, metrics
from sluicegate.domain.delivery.changes import Change
from sluicegate.domain.delivery.records import (
    Deployment,
    DeploymentKind,
    DeploymentStatus,
    Incident,
)
from sluicegate.service.delivery.history import generate

END = datetime(2026, 11, 1, tzinfo=UTC)
SERVICES = ["checkout", "payments", "search", "ledger"]


def _perturbed(
    seed: int,
) -> tuple[list[Deployment], list[Change], list[Incident]]:
    """A generated history plus events that reach the rules the generator rarely does."""
    h = generate(SERVICES, END, days=150, seed=seed)
    rnd = random.Random(seed)
    deployments = list(h.deployments)
    changes = list(h.changes)
    incidents = list(h.incidents)
    finished = [d for d in deployments if d.finished_at is not None]
    for n in range(40):
        at = END - timedelta(days=rnd.uniform(1, 140))
        services = tuple(rnd.sample(SERVICES, rnd.randint(1, 3)))
        base = Incident(
            source="pager",
            id=f"x-{seed}-{n}",
            services=services,
            severity="sev2",
            created_at=at,
            resolved_at=at + timedelta(hours=rnd.uniform(0.1, 30)),
        )
        roll = rnd.random()
        if roll < 0.15:
            target = rnd.choice(finished)
            base = replace(base, caused_by_deployment=target.id)
        elif roll < 0.3:
            target = rnd.choice(finished)
            if target.revisions:
                base = replace(base, root_cause_sha=target.revisions[0].sha)
        elif roll < 0.35:
            base = replace(base, change_induced=False)
        incidents.append(base)
    for n in range(25):
        undone = rnd.choice(finished)
        assert undone.finished_at is not None
        start = undone.finished_at + timedelta(minutes=rnd.uniform(5, 600))
        deployments.append(
            Deployment(
                source=undone.source,
                id=f"undo-{seed}-{n}",
                service=undone.service,
                environment=undone.environment,
                status=DeploymentStatus.SUCCESS,
                started_at=start,
                finished_at=start + timedelta(minutes=rnd.uniform(1, 30)),
                revisions=undone.revisions,
                kind=rnd.choice([DeploymentKind.ROLLBACK, DeploymentKind.HOTFIX]),
                rollback_of=rnd.choice([undone.id, "nothing-by-that-name", f"undo-{seed}-{n}"]),
            )
        )
    for n, c in enumerate(list(changes[:: max(1, len(changes) // 60)])):
        changes.append(replace(c, id=f"{c.id}-fix{n}", labels=("fix",), sha=None, commits=()))
    return deployments, changes, incidents


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_linking_matches_the_reference(seed: int) -> None:
    deployments, changes, incidents = _perturbed(seed)
    fast = linking.link(deployments, changes, incidents)
    slow = ref_linking.link(deployments, changes, incidents)
    assert repr(fast) == repr(slow)
    assert len(fast.incidents) > 20
    assert {i.rule for i in fast.incidents} >= {"explicit", "root-cause-sha", "window"}
    assert fast.rework


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_metrics_match_the_reference(seed: int) -> None:
    deployments, changes, incidents = _perturbed(seed)
    fast = linking.link(deployments, changes, incidents)
    slow = ref_linking.link(deployments, changes, incidents)
    window = metrics.Window(END - timedelta(days=90), END)
    ref_window = ref_metrics.Window(window.start, window.end)
    for scope in [None, *({s} for s in SERVICES)]:
        services = None if scope is None else frozenset(scope)
        ours = metrics.compute(fast, window, services=services).to_dict()
        theirs = ref_metrics.compute(slow, ref_window, services=services).to_dict()
        assert ours == theirs, scope
        assert [r.__repr__() for r in metrics.recoveries(fast, fast.deployments)] == [
            r.__repr__() for r in ref_metrics.recoveries(slow, slow.deployments)
        ]
    zone = ZoneInfo("Europe/Berlin")
    ours_b = metrics.buckets(fast, window, metrics.BucketSize.WEEK, zone)
    theirs_b = ref_metrics.buckets(slow, ref_window, ref_metrics.BucketSize.WEEK, zone)
    assert [b.metrics.to_dict() for b in ours_b] == [b.metrics.to_dict() for b in theirs_b]
