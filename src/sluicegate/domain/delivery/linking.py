"""Linking delivery events into the facts the DORA metrics count (issue 13 §2, ADR 0022).

Pure functions over the latest revision of every event. The result depends only on the set of
events, never on the order they arrived in or how often they were redelivered: every step sorts
by content, and ties break on ids.

1. **Logical deployments.** Finished (``success`` or ``failure``) deployments to a production
   environment. Rows of one service and environment that overlap in time and name disjoint repos
   (one row per repo, as GitHub reports a multi-repo release) collapse into one.
2. **Deployment -> changes.** Per service and repo, the changes that landed after the cut of the
   previous successful deployment and up to this one's cut. A deployment's cut for a repo is the
   landing time of the change that carries its deployed sha, or, when that sha is unknown, the
   deployment's start. A service's first deployment of a repo attributes nothing by default.
   A pull request stands for its original commits: a commit that a pull request lists (or
   landed as its squash or merge commit) is not counted twice.
3. **Incident -> deployment**, first rule that applies: ``explicit`` (``caused_by_deployment``),
   ``root-cause-sha`` (the deployment that shipped it), ``rollback`` (a rollback or hotfix of an
   impacted service during the incident names the deployment it undoes), ``window`` (the latest
   production deployment of an impacted service at most ``incident_window`` before the incident
   opened). An incident reported as ``change_induced: false`` links to nothing.
4. **Rework.** A deployment is rework when its kind is one the service's rules name (rollback,
   hotfix), it is reported ``planned: false``, it ships a revert, or it ships a change labelled
   as a fix that merged while an incident on the service was open.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from sluicegate.domain.delivery.changes import Change, ChangeKind
from sluicegate.domain.delivery.records import (
    Deployment,
    DeploymentKind,
    DeploymentStatus,
    Incident,
)

__all__ = [
    "DEFAULT_PRODUCTION",
    "ChangeLink",
    "IncidentLink",
    "LinkRules",
    "Linked",
    "LogicalDeployment",
    "ReworkRules",
    "link",
]

DEFAULT_PRODUCTION = frozenset({"production", "prod"})

_E = TypeVar("_E", Deployment, Change, Incident)


@dataclass(frozen=True, slots=True)
class ReworkRules:
    """What makes a deployment rework; configurable per service."""

    kinds: frozenset[DeploymentKind] = frozenset({DeploymentKind.ROLLBACK, DeploymentKind.HOTFIX})
    unplanned: bool = True
    reverts: bool = True
    fix_labels: frozenset[str] = frozenset({"fix", "bug", "bugfix", "hotfix"})


@dataclass(frozen=True, slots=True)
class LinkRules:
    production: frozenset[str] = DEFAULT_PRODUCTION
    incident_window: timedelta = timedelta(hours=24)
    #: Whether a service's first deployment of a repo is credited with every earlier change.
    first_deployment_attributes: bool = False
    rework: ReworkRules = ReworkRules()
    rework_by_service: Mapping[str, ReworkRules] = field(default_factory=dict)

    def rework_for(self, service: str) -> ReworkRules:
        return self.rework_by_service.get(service, self.rework)


@dataclass(frozen=True, slots=True)
class LogicalDeployment:
    """One deployment as the metrics count it: one or more reported rows collapsed."""

    key: str  # "source/id" of the first row (by start, then key)
    rows: tuple[tuple[str, str], ...]  # (source, id) of every row collapsed into it
    service: str
    environment: str
    status: DeploymentStatus
    started_at: datetime
    finished_at: datetime
    revisions: tuple[tuple[str, str], ...]  # (repo, sha), sorted
    kinds: frozenset[DeploymentKind]
    rollback_of: tuple[str, ...]  # ids it rolls back
    planned: bool | None
    experiment: str | None

    @property
    def source(self) -> str:
        return self.rows[0][0]


@dataclass(frozen=True, slots=True)
class ChangeLink:
    change: str  # "source/id"
    deployment: str  # the logical deployment's key
    repo: str
    first_commit_at: datetime
    opened_at: datetime | None  # pull requests only
    first_review_at: datetime | None
    landed_at: datetime
    deployed_at: datetime

    @property
    def lead_time(self) -> timedelta:
        return self.deployed_at - self.first_commit_at


@dataclass(frozen=True, slots=True)
class IncidentLink:
    incident: str  # "source/id"
    deployment: str
    rule: str  # explicit | root-cause-sha | rollback | window
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class Linked:
    """Everything the metrics count, each item traceable to the events behind it."""

    deployments: tuple[LogicalDeployment, ...]
    changes: tuple[ChangeLink, ...]
    incidents: tuple[IncidentLink, ...]
    unlinked_incidents: tuple[str, ...]
    failed: Mapping[str, tuple[str, ...]]  # deployment key -> reasons
    rework: Mapping[str, tuple[str, ...]]  # deployment key -> reasons
    #: indexes for scoped reads (derived from the fields above; not part of the value)
    by_service: Mapping[str, tuple[LogicalDeployment, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    changes_of: Mapping[str, tuple[ChangeLink, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )


def _key(source: str, event_id: str) -> str:
    return f"{source}/{event_id}"


class _Names:
    """Finds a logical deployment by the id an incident or a rollback names it by.

    A name is looked up in the naming event's own source first, then in any source (the
    earliest-finishing deployment of that id wins, so the answer never depends on arrival order).
    """

    def __init__(self, deployments: Sequence[LogicalDeployment]) -> None:
        self.exact: dict[tuple[str, str], LogicalDeployment] = {}
        self.bare: dict[str, LogicalDeployment] = {}
        for d in deployments:
            for source, event_id in d.rows:
                self.exact.setdefault((source, event_id), d)
                self.bare.setdefault(event_id, d)

    def find(self, source: str, name: str) -> LogicalDeployment | None:
        return self.exact.get((source, name)) or self.bare.get(name)


def logical_deployments(
    deployments: Iterable[Deployment], production: frozenset[str]
) -> list[LogicalDeployment]:
    """Finished production deployments, one-per-repo rows collapsed (sorted by finish)."""
    groups: dict[tuple[str, str], list[Deployment]] = defaultdict(list)
    for d in deployments:
        final = d.status in (DeploymentStatus.SUCCESS, DeploymentStatus.FAILURE)
        if final and d.finished_at is not None and d.environment in production:
            groups[(d.service, d.environment)].append(d)
    out: list[LogicalDeployment] = []
    for rows in groups.values():
        rows.sort(key=lambda d: (d.started_at, _key(d.source, d.id)))
        current: list[Deployment] = []
        for d in rows:
            if current and _joins(current, d):
                current.append(d)
            else:
                if current:
                    out.append(_collapse(current))
                current = [d]
        if current:
            out.append(_collapse(current))
    out.sort(key=lambda d: (d.finished_at, d.key))
    return out


def _joins(group: list[Deployment], d: Deployment) -> bool:
    repos = {r.repo for g in group for r in g.revisions}
    ends = max(g.finished_at for g in group if g.finished_at is not None)
    return d.started_at <= ends and not repos & {r.repo for r in d.revisions}


def _collapse(rows: list[Deployment]) -> LogicalDeployment:
    failed = any(r.status is DeploymentStatus.FAILURE for r in rows)
    planned = [r.planned for r in rows if r.planned is not None]
    experiments = sorted({r.experiment for r in rows if r.experiment is not None})
    return LogicalDeployment(
        key=_key(rows[0].source, rows[0].id),
        rows=tuple((r.source, r.id) for r in rows),
        service=rows[0].service,
        environment=rows[0].environment,
        status=DeploymentStatus.FAILURE if failed else DeploymentStatus.SUCCESS,
        started_at=min(r.started_at for r in rows),
        finished_at=max(r.finished_at for r in rows if r.finished_at is not None),
        revisions=tuple(sorted((v.repo, v.sha) for r in rows for v in r.revisions)),
        kinds=frozenset(r.kind for r in rows),
        rollback_of=tuple(sorted({r.rollback_of for r in rows if r.rollback_of is not None})),
        planned=None if not planned else all(planned),
        experiment=experiments[0] if experiments else None,
    )


class _ChangeIndex:
    """The changes of each repo: the counted ones by landing time, and who carries a sha."""

    def __init__(self, changes: Iterable[Change]) -> None:
        by_repo: dict[str, list[Change]] = defaultdict(list)
        for c in changes:
            if c.kind is ChangeKind.PULL_REQUEST and c.merged_at is None:
                continue  # never landed, so never deployed
            by_repo[c.repo].append(c)
        self.counted: dict[str, list[Change]] = {}
        self._times: dict[str, list[datetime]] = {}  # counted[repo]'s landing times, sorted
        self.carrier: dict[tuple[str, str], Change] = {}
        for repo, items in by_repo.items():
            covered = {s for c in items if c.kind is ChangeKind.PULL_REQUEST for s in c.shas}
            keep = [c for c in items if c.kind is ChangeKind.PULL_REQUEST or c.sha not in covered]
            keep.sort(key=lambda c: (c.landed_at, _key(c.source, c.id)))
            self.counted[repo] = keep
            self._times[repo] = [c.landed_at for c in keep]
            # A pull request carries its landed sha before a bare commit of the same sha does.
            for c in sorted(
                items, key=lambda c: (c.kind is ChangeKind.PULL_REQUEST, c.source, c.id)
            ):
                for sha in c.shas:
                    self.carrier[(repo, sha)] = c

    def cut(self, repo: str, sha: str, fallback: datetime) -> datetime:
        carrier = self.carrier.get((repo, sha))
        return carrier.landed_at if carrier is not None else fallback

    def landed_between(self, repo: str, after: datetime | None, upto: datetime) -> list[Change]:
        """The counted changes of ``repo`` that landed in ``(after, upto]``, by landing."""
        times = self._times.get(repo)
        if not times:
            return []
        first = 0 if after is None else bisect_right(times, after)
        return self.counted[repo][first : bisect_right(times, upto)]


def _change_links(
    deployments: Sequence[LogicalDeployment], index: _ChangeIndex, rules: LinkRules
) -> list[ChangeLink]:
    links: list[ChangeLink] = []
    last_cut: dict[tuple[str, str], datetime] = {}  # (service, repo) -> previous success's cut
    for d in deployments:
        if d.status is not DeploymentStatus.SUCCESS:
            continue
        for repo, sha in d.revisions:
            cut = index.cut(repo, sha, d.started_at)
            previous = last_cut.get((d.service, repo))
            if previous is None and not rules.first_deployment_attributes:
                shipped: list[Change] = []
            else:
                shipped = index.landed_between(repo, previous, cut)
            if previous is None or cut > previous:
                last_cut[(d.service, repo)] = cut
            links.extend(_link_change(c, d) for c in shipped)
    return links


def _link_change(c: Change, d: LogicalDeployment) -> ChangeLink:
    pr = c.kind is ChangeKind.PULL_REQUEST
    return ChangeLink(
        change=_key(c.source, c.id),
        deployment=d.key,
        repo=c.repo,
        first_commit_at=min(c.first_commit_at, c.landed_at),
        opened_at=c.authored_at if pr else None,
        first_review_at=c.first_review_at if pr else None,
        landed_at=c.landed_at,
        deployed_at=d.finished_at,
    )


def _incident_links(
    incidents: Iterable[Incident],
    deployments: Sequence[LogicalDeployment],
    changes: Sequence[ChangeLink],
    shas_of: Mapping[str, frozenset[str]],
    window: timedelta,
) -> tuple[list[IncidentLink], list[str]]:
    names = _Names(deployments)
    shipped_by: dict[str, str] = {}  # sha -> first deployment key that shipped it
    order = {d.key: i for i, d in enumerate(deployments)}
    for c in sorted(changes, key=lambda c: order[c.deployment]):
        for sha in shas_of.get(c.change, frozenset()):
            shipped_by.setdefault(sha, c.deployment)
    for d in deployments:
        for _repo, sha in d.revisions:
            shipped_by.setdefault(sha, d.key)
    by_service = _ByService(deployments)
    links: list[IncidentLink] = []
    unlinked: list[str] = []
    for inc in sorted(incidents, key=lambda i: (i.created_at, i.source, i.id)):
        key = _key(inc.source, inc.id)
        if inc.change_induced is False:
            unlinked.append(key)
            continue
        found = _find_cause(inc, by_service, names, shipped_by, window)
        if found is None:
            unlinked.append(key)
        else:
            links.append(IncidentLink(key, found[0], found[1], inc.created_at, inc.resolved_at))
    return links, unlinked


class _ByService:
    """Each service's deployments in the global order (by finish, then key), with their finish
    times for bisection, and the rollbacks and hotfixes among them."""

    def __init__(self, deployments: Sequence[LogicalDeployment]) -> None:
        self.order = {d.key: i for i, d in enumerate(deployments)}
        self.all: dict[str, list[LogicalDeployment]] = defaultdict(list)
        self.undo: dict[str, list[LogicalDeployment]] = defaultdict(list)
        for d in deployments:  # already sorted by (finished_at, key)
            self.all[d.service].append(d)
            if d.kinds & _UNDO:
                self.undo[d.service].append(d)
        self.finish = {s: [d.finished_at for d in ds] for s, ds in self.all.items()}
        self.undo_finish = {s: [d.finished_at for d in ds] for s, ds in self.undo.items()}


_UNDO = frozenset({DeploymentKind.ROLLBACK, DeploymentKind.HOTFIX})


def _find_cause(
    inc: Incident,
    by_service: _ByService,
    names: _Names,
    shipped_by: Mapping[str, str],
    window: timedelta,
) -> tuple[str, str] | None:
    if inc.caused_by_deployment is not None:
        named = names.find(inc.source, inc.caused_by_deployment)
        if named is not None:
            return named.key, "explicit"
    if inc.root_cause_sha is not None and inc.root_cause_sha in shipped_by:
        return shipped_by[inc.root_cause_sha], "root-cause-sha"
    services = sorted(set(inc.services))
    end = inc.resolved_at
    # rollback: the first undo (by finish) of an impacted service during the incident that
    # names another deployment
    best: tuple[int, str] | None = None
    for service in services:
        undo = by_service.undo.get(service, [])
        for d in undo[bisect_left(by_service.undo_finish.get(service, []), inc.created_at) :]:
            if end is not None and d.started_at > end:
                continue
            target = _undone(d, names)
            if target is not None:
                rank = by_service.order[d.key]
                if best is None or rank < best[0]:
                    best = (rank, target)
                break  # later undos of this service finish later
    if best is not None:
        return best[1], "rollback"
    # window: the latest production deployment of an impacted service at most ``window``
    # before the incident opened
    latest: tuple[int, str] | None = None
    for service in services:
        times = by_service.finish.get(service, [])
        i = bisect_right(times, inc.created_at) - 1
        if i >= 0 and times[i] >= inc.created_at - window:
            d = by_service.all[service][i]
            rank = by_service.order[d.key]
            if latest is None or rank > latest[0]:
                latest = (rank, d.key)
    return (latest[1], "window") if latest is not None else None


def _undone(d: LogicalDeployment, names: _Names) -> str | None:
    """The key of the first deployment ``d`` rolls back that is not ``d`` itself."""
    for target in d.rollback_of:
        named = names.find(d.source, target)
        if named is not None and named.key != d.key:
            return named.key
    return None


def link(
    deployments: Iterable[Deployment],
    changes: Iterable[Change],
    incidents: Iterable[Incident],
    rules: LinkRules | None = None,
) -> Linked:
    """Link the latest revision of every event into countable facts."""
    rules = rules or LinkRules()
    changes = _unique(changes)
    incidents = _unique(incidents)
    logical = logical_deployments(_unique(deployments), rules.production)
    change_links = _change_links(logical, _ChangeIndex(changes), rules)
    shas_of = {_key(c.source, c.id): c.shas for c in changes}
    incident_links, unlinked = _incident_links(
        incidents, logical, change_links, shas_of, rules.incident_window
    )
    failed = _failed(logical, incident_links)
    rework = _rework(logical, change_links, changes, incidents, rules)
    by_service: dict[str, list[LogicalDeployment]] = defaultdict(list)
    for d in logical:
        by_service[d.service].append(d)
    changes_of: dict[str, list[ChangeLink]] = defaultdict(list)
    for c in change_links:
        changes_of[c.deployment].append(c)
    return Linked(
        deployments=tuple(logical),
        changes=tuple(change_links),
        incidents=tuple(incident_links),
        unlinked_incidents=tuple(unlinked),
        failed=failed,
        rework=rework,
        by_service={k: tuple(v) for k, v in by_service.items()},
        changes_of={k: tuple(v) for k, v in changes_of.items()},
    )


def _unique(events: Iterable[_E]) -> list[_E]:
    """One event per (source, id): a redelivered copy counts once.

    Callers pass the latest revision of each event; should two differing revisions of one id
    arrive, the choice between them is made by content, so never by arrival order.
    """
    groups: dict[tuple[str, str], list[_E]] = defaultdict(list)
    for e in events:
        groups[(e.source, e.id)].append(e)
    # the largest repr wins among differing copies: what sorting all by repr kept, without
    # paying repr for the (usual) single copy
    return [
        found[0] if len(found) == 1 else max(found, key=repr)
        for _, found in sorted(groups.items(), key=lambda kv: kv[0])
    ]


def _failed(
    deployments: Sequence[LogicalDeployment], incidents: Sequence[IncidentLink]
) -> dict[str, tuple[str, ...]]:
    reasons: dict[str, list[str]] = defaultdict(list)
    names = _Names(deployments)
    for d in deployments:
        if d.status is DeploymentStatus.FAILURE:
            reasons[d.key].append("status failure")
        for target in d.rollback_of:
            undone = names.find(d.source, target)
            if undone is not None and undone.key != d.key:
                reasons[undone.key].append(f"rolled back by {d.key}")
    for link_ in incidents:
        reasons[link_.deployment].append(f"incident {link_.incident} ({link_.rule})")
    return {k: tuple(v) for k, v in reasons.items()}


def _rework(
    deployments: Sequence[LogicalDeployment],
    links: Sequence[ChangeLink],
    changes: Sequence[Change],
    incidents: Sequence[Incident],
    rules: LinkRules,
) -> dict[str, tuple[str, ...]]:
    by_key = {_key(c.source, c.id): c for c in changes}
    on_service: dict[str, list[Incident]] = defaultdict(list)
    for i in incidents:
        for service in set(i.services):
            on_service[service].append(i)
    shipped: dict[str, list[Change]] = defaultdict(list)
    for link_ in links:
        shipped[link_.deployment].append(by_key[link_.change])
    out: dict[str, tuple[str, ...]] = {}
    for d in deployments:
        r = rules.rework_for(d.service)
        reasons = [f"kind {k.value}" for k in sorted(d.kinds & r.kinds)]
        if r.unplanned and d.planned is False:
            reasons.append("planned: false")
        for c in shipped.get(d.key, []):
            if r.reverts and c.reverts is not None:
                reasons.append(f"ships revert {c.source}/{c.id}")
            fix = sorted(set(c.labels) & r.fix_labels)
            if fix and _incident_open(d.service, c.landed_at, on_service.get(d.service, [])):
                reasons.append(f"ships fix {c.source}/{c.id} ({fix[0]}) during an incident")
        if reasons:
            out[d.key] = tuple(reasons)
    return out


def _incident_open(service: str, at: datetime, incidents: Iterable[Incident]) -> bool:
    return any(
        service in i.services
        and i.change_induced is not False
        and i.created_at <= at
        and (i.resolved_at is None or at <= i.resolved_at)
        for i in incidents
    )
