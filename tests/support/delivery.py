"""Builders for delivery facts, and one hand-worked history the linking and metric tests share.

The history (service ``shop``, repo ``r``; ``h(n)`` is n hours after Monday 2026-01-05 00:00 UTC):

- ``c-a1`` commit at h0; ``d1`` deploys ``a1`` h1-h2: the first deployment attributes nothing.
- ``p1`` pull request: commit ``b1`` at h2 (also reported as a bare commit), opened h3, reviewed
  h5, squash-merged h6 as ``m1``. ``c-c2`` commit at h7. ``d2`` deploys ``c2`` h8-h9: ships
  ``p1`` (lead 7 h: coding 1, pickup 2, review 1, deploy 3) and ``c-c2`` (lead 2 h).
- ``c-c3`` at h10; ``d3`` deploys ``c3`` h11-h12 (lead 2 h). Incident ``i1`` on shop opens h13,
  resolves h15: linked to ``d3`` by the 24 h window; recovery 2 h.
- ``d4`` fails h16-h17; ``d5``, a rollback of ``d4``, deploys ``c3`` again h18-h19: ``d4``
  recovers at ``d5``'s finish (2 h) and ``d5`` is rework.

So over the five deployments: change fail rate 2/5 (``d3``, ``d4``), rework rate 1/5, lead
times [2 h, 2 h, 7 h], recovery times [2 h, 2 h].
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

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

T0 = datetime(2026, 1, 5, tzinfo=UTC)
HOUR = 3600.0


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def sha(name: str) -> str:
    return (name.encode().hex() + "0" * 40)[:40]


def dep(
    ident: str,
    start: float,
    finish: float,
    revisions: list[tuple[str, str]],
    *,
    service: str = "shop",
    status: str = "success",
    **over: Any,
) -> Deployment:
    return Deployment(
        source=over.pop("source", "ci"),
        id=ident,
        service=service,
        environment=over.pop("environment", "production"),
        status=DeploymentStatus(status),
        started_at=h(start),
        finished_at=h(finish),
        revisions=tuple(Revision(repo, sha(s)) for repo, s in revisions),
        kind=DeploymentKind(over.pop("kind", "normal")),
        **over,
    )


def commit(ident: str, at: float, *, repo: str = "r", **over: Any) -> Change:
    return Change(
        source=over.pop("source", "git"),
        id=ident,
        kind=ChangeKind.COMMIT,
        repo=repo,
        authored_at=h(at),
        sha=sha(over.pop("sha", ident.removeprefix("c-"))),
        **over,
    )


def pull(
    ident: str,
    opened: float,
    merged: float | None,
    *,
    landed: str,
    commits: list[tuple[str, float]],
    reviews: list[float] = (),  # type: ignore[assignment]
    repo: str = "r",
    **over: Any,
) -> Change:
    return Change(
        source=over.pop("source", "git"),
        id=ident,
        kind=ChangeKind.PULL_REQUEST,
        repo=repo,
        authored_at=h(opened),
        sha=sha(landed),
        merged_at=None if merged is None else h(merged),
        merge_method=MergeMethod(over.pop("merge_method", "squash")),
        commits=tuple(Commit(sha(s), h(t)) for s, t in commits),
        reviews=tuple(Review("rev", ReviewState.APPROVED, h(t)) for t in reviews),
        **over,
    )


def incident(
    ident: str,
    created: float,
    resolved: float | None,
    *,
    services: tuple[str, ...] = ("shop",),
    **over: Any,
) -> Incident:
    return Incident(
        source=over.pop("source", "pager"),
        id=ident,
        services=services,
        severity=over.pop("severity", "sev2"),
        created_at=h(created),
        resolved_at=None if resolved is None else h(resolved),
        **over,
    )


def history() -> tuple[list[Deployment], list[Change], list[Incident]]:
    """The hand-worked history of the module docstring."""
    deployments = [
        dep("d1", 1, 2, [("r", "a1")]),
        dep("d2", 8, 9, [("r", "c2")]),
        dep("d3", 11, 12, [("r", "c3")]),
        dep("d4", 16, 17, [("r", "c4")], status="failure"),
        dep("d5", 18, 19, [("r", "c3")], kind="rollback", rollback_of="d4"),
    ]
    changes = [
        commit("c-a1", 0),
        commit("c-b1", 2),
        pull("p1", 3, 6, landed="m1", commits=[("b1", 2)], reviews=[5]),
        commit("c-c2", 7),
        commit("c-c3", 10),
    ]
    incidents = [incident("i1", 13, 15)]
    return deployments, changes, incidents
