"""Reading the DORA metrics: load the events around a window, link them, compute (issue 13 §3).

The figures come from :mod:`sluicegate.domain.delivery.metrics` over the latest revision of the
events that can matter to the window: deployments that finished from ``lookback`` before its
start (so that the window's first deployments know the previous one's cut) and incidents opened
from then on. A scope is a service, a team (the services its experiments name) or every service.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.delivery.changes import Change
from sluicegate.domain.delivery.kpis import DEFAULT_BANDWIDTH_TARGET, ExperimentFacts, kpis
from sluicegate.domain.delivery.linking import Linked, LinkRules, link
from sluicegate.domain.delivery.metrics import (
    BucketSize,
    Metric,
    Window,
    buckets,
    compute,
    explain,
)
from sluicegate.domain.errors import FieldError, InvalidInput, NotFound
from sluicegate.service.audit.ports import AuditFilter
from sluicegate.service.cache import VersionedCache
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.ports import UnitOfWork

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "MAX_WINDOW_DAYS",
    "MetricsQuery",
    "delivery_kpis",
    "dora_metrics",
    "explain_metric",
    "load_linked",
]

DEFAULT_WINDOW_DAYS = 90
#: The longest window a query may ask for (two years and a day).
MAX_WINDOW_DAYS = 731
#: Buckets one query may return (a year of days, plus slack).
MAX_BUCKETS = 400


@dataclass(frozen=True, slots=True)
class MetricsQuery:
    """What the API and CLI ask; ``validated`` turns it into a window and a scope."""

    service: str | None = None
    team: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    bucket: str | None = None
    timezone: str = "UTC"
    lower_median: bool = False


@dataclass(frozen=True, slots=True)
class _Plan:
    window: Window
    zone: ZoneInfo
    bucket: BucketSize | None
    scope: dict[str, Any]


def _zone(name: str, errors: list[FieldError]) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("timezone", f"unknown time zone {name!r} (an IANA name)"))
        return ZoneInfo("UTC")


def _plan(q: MetricsQuery, now: datetime) -> _Plan:
    errors: list[FieldError] = []
    zone = _zone(q.timezone, errors)
    if q.service is not None and q.team is not None:
        errors.append(FieldError("team", "give a service or a team, not both"))
    end = q.end or now
    start = q.start or end - timedelta(days=DEFAULT_WINDOW_DAYS)
    for name, value in (("from", q.start), ("to", q.end)):
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            errors.append(FieldError(name, "must carry a time zone (e.g. Z or +00:00)"))
    bucket: BucketSize | None = None
    if q.bucket is not None:
        try:
            bucket = BucketSize(q.bucket)
        except ValueError:
            errors.append(FieldError("bucket", "one of day, week, month"))
    if not errors:
        if end <= start:
            errors.append(FieldError("to", "must be after from"))
        elif end - start > timedelta(days=MAX_WINDOW_DAYS):
            errors.append(FieldError("from", f"a window is at most {MAX_WINDOW_DAYS} days"))
        elif bucket is BucketSize.DAY and end - start > timedelta(days=MAX_BUCKETS - 1):
            errors.append(FieldError("bucket", f"at most {MAX_BUCKETS} buckets; use week"))
    if errors:
        raise InvalidInput("invalid metrics query", errors=errors)
    scope: dict[str, Any] = {"kind": "organisation"}
    if q.service is not None:
        scope = {"kind": "service", "service": q.service}
    elif q.team is not None:
        scope = {"kind": "team", "team": q.team}
    return _Plan(Window(start, end), zone, bucket, scope)


def _services(uow: UnitOfWork, plan: _Plan) -> frozenset[str] | None:
    kind = plan.scope["kind"]
    if kind == "service":
        return frozenset({plan.scope["service"]})
    if kind != "team":
        return None
    team = plan.scope["team"]
    if uow.teams.get_by_key(team) is None:
        raise NotFound(f"no team {team!r}", hint="`sluice team list` shows the teams.")
    named = {
        str(s)
        for exp in uow.experiments.query(team=team)
        for s in exp.document.get("services", []) or []
    }
    plan.scope["services"] = sorted(named)
    return frozenset(named)


def load_linked(
    uow: UnitOfWork, window: Window, cache: VersionedCache[object] | None = None
) -> Linked:
    """The linked events that matter to ``window``, with one window of lookback.

    The lookback starts at midnight UTC (one window before the window's start, rounded down),
    so the windows that end "now" share one set of linked facts for a day. With a ``cache``,
    that set is linked once per delivery version (any delivery write moves it) and served from
    memory after: the read model of docs/delivery-metrics.md ("Speed").
    """
    since = window.start - (window.end - window.start)  # one window of lookback
    since = since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if cache is None:
        return _link_since(uow, since)
    version = uow.deployments.version()
    found = cache.get(since, version)
    if isinstance(found, Linked):
        return found
    linked = _link_since(uow, since)
    cache.put(since, version, linked)
    return linked


def _link_since(uow: UnitOfWork, since: datetime) -> Linked:
    deployments = uow.deployments.finished_since(since)
    incidents = uow.delivery_incidents.created_since(since)
    changes: dict[tuple[str, str], Change] = {
        (c.source, c.id): c for c in uow.changes.landed_since(since)
    }
    # A deployment's cut is the landing time of the change that carries its sha, which may
    # have landed before the lookback (a quiet service); fetch those by sha.
    deployed = {r.sha for d in deployments for r in d.revisions}
    known = {sha for c in changes.values() for sha in c.shas}
    for c in uow.changes.with_shas(deployed - known):
        changes.setdefault((c.source, c.id), c)
    return link(deployments, list(changes.values()), incidents, LinkRules())


def dora_metrics(deps: Deps, ctx: RequestContext, query: MetricsQuery) -> dict[str, Any]:
    """The five metrics of the scope over the window, and per bucket when asked."""
    authorize(ctx.principal, Action.DELIVERY_READ)
    plan = _plan(query, deps.clock.now())
    with deps.uow(readonly=True) as uow:
        services = _services(uow, plan)
        linked = load_linked(uow, plan.window, deps.delivery_cache)
    out: dict[str, Any] = {
        "scope": plan.scope,
        "timezone": plan.zone.key,
        "median": "lower" if query.lower_median else "linear",
        **compute(
            linked, plan.window, services=services, lower_median=query.lower_median
        ).to_dict(),
    }
    if plan.bucket is not None:
        out["bucket"] = plan.bucket.value
        out["buckets"] = [
            {"start": b.start.isoformat(), **b.metrics.to_dict()}
            for b in buckets(
                linked,
                plan.window,
                plan.bucket,
                plan.zone,
                services=services,
                lower_median=query.lower_median,
            )
        ]
    return out


def explain_metric(
    deps: Deps, ctx: RequestContext, metric: str, query: MetricsQuery
) -> dict[str, Any]:
    """One metric's figure and every fact it counts."""
    authorize(ctx.principal, Action.DELIVERY_READ)
    try:
        chosen = Metric(metric)
    except ValueError:
        allowed = ", ".join(m.value for m in Metric)
        raise InvalidInput(
            f"unknown metric {metric!r}", errors=[FieldError("metric", f"one of {allowed}")]
        ) from None
    plan = _plan(query, deps.clock.now())
    with deps.uow(readonly=True) as uow:
        services = _services(uow, plan)
        linked = load_linked(uow, plan.window, deps.delivery_cache)
    figures = compute(linked, plan.window, services=services, lower_median=query.lower_median)
    key = {
        Metric.DEPLOYMENT_FREQUENCY: "deployment_frequency",
        Metric.LEAD_TIME: "lead_time",
        Metric.CHANGE_FAIL_RATE: "change_fail_rate",
        Metric.RECOVERY_TIME: "recovery_time",
        Metric.REWORK_RATE: "rework_rate",
    }[chosen]
    in_scope = {d.key for d in linked.deployments if services is None or d.service in services}
    return {
        "metric": chosen.value,
        "scope": plan.scope,
        "from": plan.window.start.isoformat(),
        "to": plan.window.end.isoformat(),
        "figure": figures.to_dict()[key],
        "facts": explain(linked, plan.window, chosen, services=services),
        "incident_links": [
            {"incident": i.incident, "deployment": i.deployment, "rule": i.rule}
            for i in linked.incidents
            if i.deployment in in_scope
        ],
        "unlinked_incidents": list(linked.unlinked_incidents),
    }


#: Audit events read per page when replaying experiment transitions.
_AUDIT_PAGE = 1000


def _transitions(uow: UnitOfWork) -> dict[str, dict[str, datetime]]:
    """Per experiment key, when it first entered each state (from the audit ledger)."""
    entered: dict[str, dict[str, datetime]] = {}
    after = 0
    while True:
        page = uow.audit.page(
            AuditFilter(entity_type="experiment", after_seq=after, limit=_AUDIT_PAGE)
        )
        for event in page:
            if event.action != "experiment.transition":
                continue
            state = json.loads(event.after).get("state")
            if isinstance(state, str):
                at = datetime.fromisoformat(event.ts)
                entered.setdefault(event.entity_id, {}).setdefault(state, at)
        if len(page) < _AUDIT_PAGE:
            return entered
        after = page[-1].seq


def _facts(uow: UnitOfWork, plan: _Plan) -> list[ExperimentFacts]:
    kind = plan.scope["kind"]
    found = uow.experiments.query(team=plan.scope["team"] if kind == "team" else None)
    if kind == "service":
        found = [e for e in found if plan.scope["service"] in e.document.get("services", [])]
    entered = _transitions(uow) if found else {}
    facts = []
    for e in found:
        budget = e.document.get("budget")
        times = entered.get(e.key, {})
        facts.append(
            ExperimentFacts(
                key=e.key,
                team=e.owner_team,
                state=str(e.state),
                category=str(e.document.get("category", "greenfield")),
                created_at=e.created_at,
                approved_at=times.get("approved"),
                ga_at=times.get("general-availability"),
                budget=None
                if not isinstance(budget, dict)
                else (float(budget["amount"]), str(budget["currency"])),
                services=tuple(str(s) for s in e.document.get("services", [])),
            )
        )
    return facts


def delivery_kpis(
    deps: Deps,
    ctx: RequestContext,
    query: MetricsQuery,
    *,
    bandwidth_target: float = DEFAULT_BANDWIDTH_TARGET,
) -> dict[str, Any]:
    """The innovation KPIs of the scope over the window (domain/delivery/kpis.py)."""
    authorize(ctx.principal, Action.DELIVERY_READ)
    authorize(ctx.principal, Action.EXPERIMENT_READ)
    if not 0 <= bandwidth_target <= 1:
        raise InvalidInput(
            "invalid KPI query", errors=[FieldError("target", "a share from 0 to 1")]
        )
    plan = _plan(query, deps.clock.now())
    with deps.uow(readonly=True) as uow:
        services = _services(uow, plan)
        linked = load_linked(uow, plan.window, deps.delivery_cache)
        facts = _facts(uow, plan)
    deployments = [d for d in linked.deployments if services is None or d.service in services]
    return {
        "scope": plan.scope,
        **kpis(facts, deployments, plan.window, bandwidth_target=bandwidth_target),
    }
