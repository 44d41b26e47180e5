"""The five DORA metrics over linked delivery facts (issue 13 §3, docs/delivery-metrics.md).

Pure functions over :class:`~sluicegate.domain.delivery.linking.Linked`. A scope is a set of
services (one service, a team's, or every service): team and organisation figures pool the
services' facts, so rates add their numerators and denominators and durations pool their
events; a median is never averaged.

- **Deployment frequency**: finished production deployments (success or failure) in the window,
  per day.
- **Change lead time**: per change, first commit -> the deployment that shipped it finished, with
  its phases: coding (first commit -> pull request opened), pickup (opened -> first review),
  review (first review -> merged) and deploy (landed -> deployed).
- **Change fail rate**: deployments that failed (status failure, rolled back, or linked to an
  incident) over all deployments.
- **Failed deployment recovery time**: per failed deployment, from the first linked incident's
  opening (or, with none, the deployment's finish) to the last linked incident's resolution (or,
  with none, the next successful deployment of the service and environment). A failure not yet
  recovered is open and counted apart.
- **Deployment rework rate**: rework deployments (see linking) over all deployments.

A figure over no events is ``None`` ("no data"), never zero.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sluicegate.domain.delivery.linking import ChangeLink, Linked, LogicalDeployment
from sluicegate.domain.delivery.records import DeploymentStatus

__all__ = [
    "PHASES",
    "Bucket",
    "BucketSize",
    "Frequency",
    "Metric",
    "Metrics",
    "Rate",
    "Recovery",
    "Summary",
    "Window",
    "bucket_starts",
    "buckets",
    "compute",
    "explain",
    "percentile",
    "phases",
    "recoveries",
    "summarize",
]

PHASES = ("coding", "pickup", "review", "deploy")


class Metric(StrEnum):
    DEPLOYMENT_FREQUENCY = "deployment-frequency"
    LEAD_TIME = "lead-time"
    CHANGE_FAIL_RATE = "cfr"
    RECOVERY_TIME = "recovery-time"
    REWORK_RATE = "rework-rate"


class BucketSize(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation (numpy's default, R's type 7)."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    weight = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * weight


@dataclass(frozen=True, slots=True)
class Summary:
    """Median, p75, p90 of durations in seconds, and how many there were."""

    n: int
    median: float | None = None
    p75: float | None = None
    p90: float | None = None

    def to_dict(self) -> dict[str, float | int | None]:
        return {"n": self.n, "median": self.median, "p75": self.p75, "p90": self.p90}


def summarize(values: Iterable[float], *, lower_median: bool = False) -> Summary:
    """``lower_median``: the lower middle value for an even count (DevLake's reading)."""
    ordered = sorted(values)
    if not ordered:
        return Summary(0)
    median = ordered[(len(ordered) - 1) // 2] if lower_median else percentile(ordered, 50)
    return Summary(len(ordered), median, percentile(ordered, 75), percentile(ordered, 90))


@dataclass(frozen=True, slots=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def to_dict(self) -> dict[str, float | int | None]:
        return {"numerator": self.numerator, "denominator": self.denominator, "value": self.value}


@dataclass(frozen=True, slots=True)
class Frequency:
    deployments: int
    days: float

    @property
    def per_day(self) -> float | None:
        return self.deployments / self.days if self.deployments and self.days > 0 else None

    def to_dict(self) -> dict[str, float | int | None]:
        per_day = self.per_day
        return {
            "deployments": self.deployments,
            "days": self.days,
            "per_day": per_day,
            "per_week": None if per_day is None else per_day * 7,
        }


@dataclass(frozen=True, slots=True)
class Window:
    """``[start, end)``, both time-zone aware."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a window's bounds carry a time zone")
        if self.end <= self.start:
            raise ValueError("a window ends after it starts")

    def holds(self, at: datetime) -> bool:
        return self.start <= at < self.end

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400


@dataclass(frozen=True, slots=True)
class Recovery:
    """How one failed deployment recovered: ``seconds`` is None while it has not."""

    deployment: str
    started_at: datetime
    recovered_at: datetime | None
    by: str  # "incidents a, b" or "next success d" or "open"

    @property
    def seconds(self) -> float | None:
        if self.recovered_at is None:
            return None
        return (self.recovered_at - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class Metrics:
    window: Window
    deployment_frequency: Frequency
    lead_time: Summary
    phases: dict[str, Summary]
    change_fail_rate: Rate
    recovery_time: Summary
    open_failures: int
    rework_rate: Rate

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.window.start.isoformat(),
            "to": self.window.end.isoformat(),
            "deployment_frequency": self.deployment_frequency.to_dict(),
            "lead_time": self.lead_time.to_dict(),
            "lead_time_phases": {k: v.to_dict() for k, v in self.phases.items()},
            "change_fail_rate": self.change_fail_rate.to_dict(),
            "recovery_time": {**self.recovery_time.to_dict(), "open": self.open_failures},
            "rework_rate": self.rework_rate.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Bucket:
    start: date
    metrics: Metrics


@dataclass(frozen=True, slots=True)
class _Scoped:
    """The linked facts of the scope's services (every service when ``services`` is None)."""

    linked: Linked
    services: frozenset[str] | None
    deployments: tuple[LogicalDeployment, ...] = field(init=False)
    changes: tuple[ChangeLink, ...] = field(init=False)

    def __post_init__(self) -> None:
        linked = self.linked
        if self.services is None:
            deployments, changes = linked.deployments, linked.changes
        elif linked.by_service or not linked.deployments:
            # the indexes: the scope's deployments in their global order, and their changes
            picked = [d for s in self.services for d in linked.by_service.get(s, ())]
            deployments = tuple(sorted(picked, key=lambda d: (d.finished_at, d.key)))
            changes = tuple(c for d in deployments for c in linked.changes_of.get(d.key, ()))
        else:  # a Linked built without its indexes
            deployments = tuple(d for d in linked.deployments if d.service in self.services)
            keys = {d.key for d in deployments}
            changes = tuple(c for c in linked.changes if c.deployment in keys)
        object.__setattr__(self, "deployments", deployments)
        object.__setattr__(self, "changes", changes)


def phases(link: ChangeLink) -> dict[str, float]:
    """The lead-time phases of one change in seconds; a commit has only coding and deploy."""
    out: dict[str, float] = {}
    if link.opened_at is None:  # a direct commit: coding ends when it lands
        out["coding"] = (link.landed_at - link.first_commit_at).total_seconds()
    else:
        out["coding"] = max(0.0, (link.opened_at - link.first_commit_at).total_seconds())
        reviewed = link.first_review_at
        if reviewed is not None and reviewed <= link.landed_at:
            out["pickup"] = max(0.0, (reviewed - link.opened_at).total_seconds())
            out["review"] = (link.landed_at - reviewed).total_seconds()
    out["deploy"] = max(0.0, (link.deployed_at - link.landed_at).total_seconds())
    return out


def recoveries(linked: Linked, deployments: Sequence[LogicalDeployment]) -> list[Recovery]:
    """The recovery of each failed deployment among ``deployments``."""
    incidents: dict[str, list[tuple[datetime, datetime | None, str]]] = {}
    for link in linked.incidents:
        incidents.setdefault(link.deployment, []).append(
            (link.created_at, link.resolved_at, link.incident)
        )
    out: list[Recovery] = []
    successes = _Successes(linked.deployments, [d for d in deployments if d.key in linked.failed])
    for d in deployments:
        if d.key not in linked.failed:
            continue
        found = sorted(incidents.get(d.key, []), key=lambda i: (i[0], i[2]))
        if found:
            start = min(i[0] for i in found)
            names = ", ".join(i[2] for i in found)
            ends = [i[1] for i in found]
            if any(e is None for e in ends):
                out.append(Recovery(d.key, start, None, f"open incidents {names}"))
            else:
                end = max(e for e in ends if e is not None)
                out.append(Recovery(d.key, start, end, f"incidents {names}"))
            continue
        after = successes.after(d)
        if after is None:
            out.append(Recovery(d.key, d.finished_at, None, "open: no successful deployment yet"))
        else:
            by = f"next success {after.key}"
            out.append(Recovery(d.key, d.finished_at, after.finished_at, by))
    return out


class _Successes:
    """The successful deployments of each (service, environment) some failure needs, in the
    deployments' order (by finish, then key), with their finish times for bisection."""

    def __init__(
        self, deployments: Sequence[LogicalDeployment], failed: Sequence[LogicalDeployment]
    ) -> None:
        wanted = {(d.service, d.environment) for d in failed}
        self._found: dict[tuple[str, str], list[LogicalDeployment]] = {k: [] for k in wanted}
        for d in deployments:  # sorted by finish
            found = self._found.get((d.service, d.environment))
            if found is not None and d.status is DeploymentStatus.SUCCESS:
                found.append(d)
        self._times = {k: [d.finished_at for d in v] for k, v in self._found.items()}

    def after(self, failed: LogicalDeployment) -> LogicalDeployment | None:
        """The first success of the failure's service and environment that finished later."""
        key = (failed.service, failed.environment)
        found = self._found.get(key, [])
        i = bisect_right(self._times.get(key, []), failed.finished_at)
        return found[i] if i < len(found) else None


def _compute(scoped: _Scoped, window: Window, lower_median: bool) -> Metrics:
    linked = scoped.linked
    deployed = [d for d in scoped.deployments if window.holds(d.finished_at)]
    changes = [c for c in scoped.changes if window.holds(c.deployed_at)]
    per_phase: dict[str, list[float]] = {name: [] for name in PHASES}
    for c in changes:
        for name, seconds in phases(c).items():
            per_phase[name].append(seconds)
    recovered = recoveries(linked, deployed)
    return Metrics(
        window=window,
        deployment_frequency=Frequency(len(deployed), window.days),
        lead_time=summarize(
            (c.lead_time.total_seconds() for c in changes), lower_median=lower_median
        ),
        phases={k: summarize(v, lower_median=lower_median) for k, v in per_phase.items()},
        change_fail_rate=Rate(sum(d.key in linked.failed for d in deployed), len(deployed)),
        recovery_time=summarize(
            (r.seconds for r in recovered if r.seconds is not None), lower_median=lower_median
        ),
        open_failures=sum(r.seconds is None for r in recovered),
        rework_rate=Rate(sum(d.key in linked.rework for d in deployed), len(deployed)),
    )


def compute(
    linked: Linked,
    window: Window,
    *,
    services: frozenset[str] | None = None,
    lower_median: bool = False,
) -> Metrics:
    """The five metrics of ``services`` (None: all) over ``window``."""
    return _compute(_Scoped(linked, services), window, lower_median)


def bucket_starts(window: Window, size: BucketSize, zone: ZoneInfo) -> list[date]:
    """Every calendar bucket that overlaps the window, in ``zone`` (weeks start on Monday)."""
    first = _bucket_of(window.start.astimezone(zone).date(), size)
    last_moment = window.end - timedelta(microseconds=1)
    last = _bucket_of(last_moment.astimezone(zone).date(), size)
    out = [first]
    while out[-1] < last:
        out.append(_advance(out[-1], size))
    return out


def _bucket_of(day: date, size: BucketSize) -> date:
    if size is BucketSize.DAY:
        return day
    if size is BucketSize.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _advance(start: date, size: BucketSize) -> date:
    if size is BucketSize.DAY:
        return start + timedelta(days=1)
    if size is BucketSize.WEEK:
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def buckets(
    linked: Linked,
    window: Window,
    size: BucketSize,
    zone: ZoneInfo,
    *,
    services: frozenset[str] | None = None,
    lower_median: bool = False,
) -> list[Bucket]:
    """The metrics per calendar bucket in ``zone``, clipped to the window; empty ones included."""
    scoped = _Scoped(linked, services)
    out: list[Bucket] = []
    for start in bucket_starts(window, size, zone):
        begin = datetime.combine(start, time(), zone)
        end = datetime.combine(_advance(start, size), time(), zone)
        clipped = Window(max(begin, window.start), min(end, window.end))
        out.append(Bucket(start, _compute(scoped, clipped, lower_median)))
    return out


def explain(
    linked: Linked,
    window: Window,
    metric: Metric,
    *,
    services: frozenset[str] | None = None,
) -> list[dict[str, Any]]:
    """The facts behind one metric's figure, one row per counted item, in time order."""
    scoped = _Scoped(linked, services)
    deployed = [d for d in scoped.deployments if window.holds(d.finished_at)]
    if metric is Metric.LEAD_TIME:
        changes = [c for c in scoped.changes if window.holds(c.deployed_at)]
        return [
            {
                "change": c.change,
                "deployment": c.deployment,
                "repo": c.repo,
                "first_commit_at": c.first_commit_at.isoformat(),
                "landed_at": c.landed_at.isoformat(),
                "deployed_at": c.deployed_at.isoformat(),
                "seconds": c.lead_time.total_seconds(),
                "phases": phases(c),
            }
            for c in sorted(changes, key=lambda c: (c.deployed_at, c.change))
        ]
    if metric is Metric.RECOVERY_TIME:
        return [
            {
                "deployment": r.deployment,
                "started_at": r.started_at.isoformat(),
                "recovered_at": None if r.recovered_at is None else r.recovered_at.isoformat(),
                "seconds": r.seconds,
                "by": r.by,
            }
            for r in recoveries(linked, deployed)
        ]
    rows: list[dict[str, Any]] = []
    for d in deployed:
        row: dict[str, Any] = {
            "deployment": d.key,
            "service": d.service,
            "environment": d.environment,
            "status": d.status.value,
            "finished_at": d.finished_at.isoformat(),
            "rows": [f"{source}/{ident}" for source, ident in d.rows],
        }
        if metric is Metric.CHANGE_FAIL_RATE:
            row["failed"] = d.key in linked.failed
            row["reasons"] = list(linked.failed.get(d.key, ()))
        elif metric is Metric.REWORK_RATE:
            row["rework"] = d.key in linked.rework
            row["reasons"] = list(linked.rework.get(d.key, ()))
        rows.append(row)
    return rows
