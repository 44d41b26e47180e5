"""An experiment's effect on its services' delivery (issue 13 §4): the five DORA metrics
before, while and after it ran, each change with its uncertainty (stats/impact.py).

The periods come from the experiment's transitions in the audit ledger:

* **during**: from its first entry into a running stage (sandbox, staging, canary, rollout) to
  its first entry into an end state (general availability, rolled back, retired, expired), or
  now while it runs;
* **before**: the ``days`` (default: as long as *during*, at least 14 and at most 90 days)
  before it started;
* **after**: as long as *before*, from its end up to now; absent while it runs.

The scope is the services its proposal names: every production deployment of those services
counts, not only the experiment's own (``own_deployments`` says how many were its own).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.delivery.linking import Linked
from sluicegate.domain.delivery.metrics import Metric, Metrics, Window, compute, explain
from sluicegate.domain.errors import FieldError, InvalidInput, NotFound, StateConflict
from sluicegate.service.audit.ports import AuditFilter
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.delivery.metrics import load_linked
from sluicegate.service.ports import UnitOfWork
from sluicegate.stats.impact import (
    DEFAULT_CONFIDENCE,
    Comparison,
    median_difference,
    rate_difference,
    rate_ratio,
)

__all__ = ["MAX_IMPACT_DAYS", "experiment_impact"]

RUNNING = ("sandbox", "staging", "canary", "rollout")
ENDED = ("general-availability", "rolled-back", "retired", "expired")
MIN_DAYS, DEFAULT_MAX_DAYS, MAX_IMPACT_DAYS = 14, 90, 365
_PAGE = 500


@dataclass(frozen=True, slots=True)
class _Period:
    name: str
    window: Window
    metrics: Metrics
    lead: list[float]
    recovery: list[float]
    own: int


def _entered(uow: UnitOfWork, key: str) -> dict[str, datetime]:
    entered: dict[str, datetime] = {}
    after = 0
    while True:
        page = uow.audit.page(
            AuditFilter(entity_type="experiment", entity_id=key, after_seq=after, limit=_PAGE)
        )
        for event in page:
            if event.action == "experiment.transition":
                state = json.loads(event.after).get("state")
                if isinstance(state, str):
                    entered.setdefault(state, datetime.fromisoformat(event.ts))
        if len(page) < _PAGE:
            return entered
        after = page[-1].seq


def _seconds(facts: list[dict[str, Any]]) -> list[float]:
    return [float(f["seconds"]) for f in facts if f.get("seconds") is not None]


def _period(
    name: str, window: Window, linked: Linked, services: frozenset[str], key: str
) -> _Period:
    figures = compute(linked, window, services=services)
    own = sum(
        1
        for d in linked.deployments
        if d.service in services and d.experiment == key and window.holds(d.finished_at)
    )
    return _Period(
        name,
        window,
        figures,
        _seconds(explain(linked, window, Metric.LEAD_TIME, services=services)),
        _seconds(explain(linked, window, Metric.RECOVERY_TIME, services=services)),
        own,
    )


def _compare(before: _Period, later: _Period, confidence: float) -> dict[str, Any]:
    b, a = before.metrics, later.metrics
    pairs: dict[str, Comparison] = {
        "deployment_frequency": rate_ratio(
            b.deployment_frequency.deployments,
            b.deployment_frequency.days,
            a.deployment_frequency.deployments,
            a.deployment_frequency.days,
            confidence=confidence,
        ),
        "lead_time": median_difference(before.lead, later.lead, confidence=confidence),
        "change_fail_rate": rate_difference(
            b.change_fail_rate.numerator,
            b.change_fail_rate.denominator,
            a.change_fail_rate.numerator,
            a.change_fail_rate.denominator,
            confidence=confidence,
        ),
        "recovery_time": median_difference(before.recovery, later.recovery, confidence=confidence),
        "rework_rate": rate_difference(
            b.rework_rate.numerator,
            b.rework_rate.denominator,
            a.rework_rate.numerator,
            a.rework_rate.denominator,
            confidence=confidence,
        ),
    }
    return {name: c.to_dict() for name, c in pairs.items()}


def _view(p: _Period) -> dict[str, Any]:
    return {**p.metrics.to_dict(), "own_deployments": p.own}


def experiment_impact(
    deps: Deps,
    ctx: RequestContext,
    key: str,
    *,
    days: int | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> dict[str, Any]:
    """The five metrics of the experiment's services before, during and after it."""
    authorize(ctx.principal, Action.EXPERIMENT_READ)
    authorize(ctx.principal, Action.DELIVERY_READ)
    errors = []
    if days is not None and not 1 <= days <= MAX_IMPACT_DAYS:
        errors.append(FieldError("days", f"from 1 to {MAX_IMPACT_DAYS}"))
    if not 0.5 <= confidence < 1:
        errors.append(FieldError("confidence", "from 0.5 to below 1, e.g. 0.95"))
    if errors:
        raise InvalidInput("invalid impact query", errors=errors)
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        exp = uow.experiments.get_by_key(key)
        if exp is None:
            raise NotFound(f"no experiment {key!r}")
        entered = _entered(uow, key)
        starts = [entered[s] for s in (*RUNNING, *ENDED) if s in entered]
        if not starts:
            raise StateConflict(
                f"experiment {key!r} has not started, so it has no effect to measure yet",
                hint="Its impact is measured from its first running stage (sandbox or later).",
            )
        start = min(starts)
        ends = [entered[s] for s in ENDED if s in entered]
        end = min(ends) if ends else now
        length = end - start
        span = (
            timedelta(days=days)
            if days is not None
            else min(max(length, timedelta(days=MIN_DAYS)), timedelta(days=DEFAULT_MAX_DAYS))
        )
        services = frozenset(str(s) for s in exp.document.get("services", []) or [])
        after_end = min(end + span, now)
        last = after_end if ends and after_end > end else end
        linked = load_linked(
            uow, Window(start - span, max(last, start + timedelta(seconds=1))), deps.delivery_cache
        )
    before = _period("before", Window(start - span, start), linked, services, key)
    periods = {"before": _view(before)}
    comparisons: dict[str, Any] = {}
    if end > start:
        during = _period("during", Window(start, end), linked, services, key)
        periods["during"] = _view(during)
        comparisons["during_vs_before"] = _compare(before, during, confidence)
    if ends and after_end > end:
        after = _period("after", Window(end, after_end), linked, services, key)
        periods["after"] = _view(after)
        comparisons["after_vs_before"] = _compare(before, after, confidence)
    return {
        "experiment": key,
        "state": str(exp.state),
        "services": sorted(services),
        "started_at": start.isoformat(),
        "ended_at": end.isoformat() if ends else None,
        "confidence": confidence,
        "periods": periods,
        "comparisons": comparisons,
        "note": "every production deployment of the services counts, not only the "
        "experiment's own; a difference is an association in time, not proof of cause",
    }
