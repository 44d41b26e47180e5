"""A generated, reproducible delivery history for the demo (and the benchmark's data set).

Per service, working days of pull requests (a few commits each, reviewed, squash-merged),
production deployments a few times a week that ship what merged, an occasional failed
deployment recovered by a rollback, and incidents a few times a month, some linked by the
deploying CI, some found by the time window. Everything derives from ``seed``: the same call
gives the same events.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sluicegate.domain.delivery.changes import (
    Change,
    ChangeKind,
    Commit,
    MergeMethod,
    Review,
    ReviewState,
)
from sluicegate.domain.delivery.records import (
    Deployment,
    DeploymentKind,
    DeploymentStatus,
    Incident,
    Revision,
)

__all__ = ["History", "generate"]


@dataclass
class History:
    deployments: list[Deployment] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)


def _sha(rnd: random.Random) -> str:
    return f"{rnd.getrandbits(160):040x}"


def _service_history(
    rnd: random.Random,
    service: str,
    start: datetime,
    days: int,
    out: History,
    experiments: Sequence[str],
) -> None:
    repo = f"demo/{service}"
    pending: list[Change] = []  # merged since the last successful deployment
    last_good: Revision | None = None
    deploy_no = 0
    for day in range(days):
        midnight = start + timedelta(days=day)
        if midnight.weekday() >= 5:
            continue
        for n in range(rnd.randint(0, 3)):
            opened = midnight + timedelta(hours=9 + rnd.random() * 6)
            first = opened - timedelta(hours=rnd.expovariate(1 / 20))
            commits = tuple(
                Commit(_sha(rnd), first + timedelta(hours=i * rnd.random() * 3))
                for i in range(rnd.randint(1, 4))
            )
            review = opened + timedelta(hours=rnd.expovariate(1 / 4))
            merged = review + timedelta(hours=rnd.expovariate(1 / 3))
            labels = ("bug",) if rnd.random() < 0.15 else ()
            pr = Change(
                source="demo",
                id=f"{service}-pr-{day}-{n}",
                kind=ChangeKind.PULL_REQUEST,
                repo=repo,
                authored_at=opened,
                sha=_sha(rnd),
                merged_at=merged,
                merge_method=MergeMethod.SQUASH,
                commits=commits,
                reviews=(Review("reviewer", ReviewState.APPROVED, review),),
                labels=labels,
                title=f"Change {day}.{n} to {service}",
            )
            out.changes.append(pr)
            pending.append(pr)
        if not pending or rnd.random() > 0.6:
            continue
        deploy_no += 1
        started = max(c.landed_at for c in pending) + timedelta(hours=rnd.uniform(0.5, 20))
        finished = started + timedelta(minutes=rnd.uniform(3, 25))
        head = max(pending, key=lambda c: (c.landed_at, c.id))
        assert head.sha is not None
        failed = rnd.random() < 0.08
        ident = f"{service}-{deploy_no}"
        out.deployments.append(
            Deployment(
                source="demo",
                id=ident,
                service=service,
                environment="production",
                status=DeploymentStatus.FAILURE if failed else DeploymentStatus.SUCCESS,
                started_at=started,
                finished_at=finished,
                revisions=(Revision(repo, head.sha),),
                experiment=rnd.choice(experiments) if experiments and rnd.random() < 0.25 else None,
            )
        )
        if failed and last_good is not None:
            back = finished + timedelta(minutes=rnd.uniform(10, 90))
            out.deployments.append(
                Deployment(
                    source="demo",
                    id=f"{ident}-rollback",
                    service=service,
                    environment="production",
                    status=DeploymentStatus.SUCCESS,
                    started_at=back,
                    finished_at=back + timedelta(minutes=5),
                    revisions=(last_good,),
                    kind=DeploymentKind.ROLLBACK,
                    rollback_of=ident,
                )
            )
            continue  # what was pending ships with the next attempt
        if not failed:
            last_good = Revision(repo, head.sha)
            pending = []
            if rnd.random() < 0.06:
                opened = finished + timedelta(hours=rnd.uniform(0.2, 6))
                out.incidents.append(
                    Incident(
                        source="demo",
                        id=f"{ident}-incident",
                        services=(service,),
                        severity=rnd.choice(("sev1", "sev2", "sev3")),
                        created_at=opened,
                        acknowledged_at=opened + timedelta(minutes=rnd.uniform(2, 30)),
                        resolved_at=opened + timedelta(hours=rnd.expovariate(1 / 3) + 0.2),
                        caused_by_deployment=ident if rnd.random() < 0.5 else None,
                    )
                )


def generate(
    services: Sequence[str],
    end: datetime,
    *,
    days: int = 365,
    seed: int = 7,
    experiments: Mapping[str, Sequence[str]] | None = None,
) -> History:
    """``days`` of history per service, ending before ``end``, in time order per kind.

    ``experiments`` names, per service, the experiments a quarter of its deployments belong
    to (so that the innovation bandwidth has something to show).
    """
    out = History()
    start = (end - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    for i, service in enumerate(sorted(services)):
        rnd = random.Random(seed * 1000 + i)  # noqa: S311 - demo data, not security
        named = sorted((experiments or {}).get(service, ()))
        _service_history(rnd, service, start, days, out, named)
    cutoff = end - timedelta(hours=1)
    out.deployments = sorted(
        (d for d in out.deployments if d.finished_at is not None and d.finished_at < cutoff),
        key=lambda d: (d.started_at, d.id),
    )
    out.changes = sorted((c for c in out.changes if c.landed_at < cutoff), key=lambda c: c.id)
    out.incidents = sorted(
        (i for i in out.incidents if i.resolved_at is not None and i.resolved_at < cutoff),
        key=lambda i: (i.created_at, i.id),
    )
    return out
