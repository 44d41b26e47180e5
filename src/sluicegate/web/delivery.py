"""Delivery: the five DORA metrics of the organisation, a service or a team, and their facts.

The figures are ``service.delivery.dora_metrics``'s, the same as ``GET /api/v1/delivery/metrics``
for the same window; a metric with nothing to count says "no data", never a figure.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from sluicegate.domain.delivery.metrics import Metric
from sluicegate.errors import FieldError, InvalidInput
from sluicegate.service import delivery as svc
from sluicegate.service.context import RequestContext
from sluicegate.web.pages import PREFIX, UiRoute, deps, render, require_session

__all__ = ["FACT_ROWS", "METRICS", "router"]

router = APIRouter(route_class=UiRoute, include_in_schema=False)

Session = Annotated[RequestContext, Depends(require_session)]
Name = Annotated[str, Query(max_length=200)]

#: The metric's path name, its key in the figures, its title and the kind of figure.
METRICS: tuple[tuple[str, str, str, str], ...] = (
    (Metric.DEPLOYMENT_FREQUENCY.value, "deployment_frequency", "Deployment frequency", "count"),
    (Metric.LEAD_TIME.value, "lead_time", "Lead time for changes", "duration"),
    (Metric.CHANGE_FAIL_RATE.value, "change_fail_rate", "Change fail rate", "ratio"),
    (Metric.RECOVERY_TIME.value, "recovery_time", "Failed deployment recovery time", "duration"),
    (Metric.REWORK_RATE.value, "rework_rate", "Rework rate", "ratio"),
)
#: The most fact rows one explanation page lists.
FACT_ROWS = 500


def _query(service: str, team: str, *, weekly: bool) -> svc.MetricsQuery:
    return svc.MetricsQuery(
        service=service or None, team=team or None, bucket="week" if weekly else None
    )


def _scope(service: str, team: str) -> str:
    if service:
        return f"service {service}"
    if team:
        return f"team {team}"
    return "the organisation"


@router.get(PREFIX + "/delivery")
def delivery(request: Request, ctx: Session, service: Name = "", team: Name = "") -> Response:
    figures = svc.dora_metrics(deps(request), ctx, _query(service, team, weekly=True))
    context: dict[str, Any] = {
        "figures": figures,
        "metrics": METRICS,
        "buckets": figures.get("buckets", []),
        "scope": _scope(service, team),
        "filters": {"service": service, "team": team},
        "window_days": svc.DEFAULT_WINDOW_DAYS,
    }
    return render(request, "delivery.html", context, principal=ctx)


def _cell(value: object) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return "" if value is None else str(value)


@router.get(PREFIX + "/delivery/{metric}")
def explain(
    request: Request, metric: str, ctx: Session, service: Name = "", team: Name = ""
) -> Response:
    known = {m[0]: m for m in METRICS}
    if metric not in known:
        raise InvalidInput(
            f"unknown metric {metric!r}", errors=[FieldError("metric", ", ".join(known))]
        )
    found = svc.explain_metric(deps(request), ctx, metric, _query(service, team, weekly=False))
    facts: list[dict[str, Any]] = found["facts"]
    columns = sorted({k for f in facts for k in f}, key=lambda k: (k != "deployment", k))
    rows = [[_cell(f.get(c)) for c in columns] for f in facts[:FACT_ROWS]]
    context: dict[str, Any] = {
        "metric": known[metric],
        "found": found,
        "columns": columns,
        "rows": rows,
        "more": max(0, len(facts) - FACT_ROWS),
        "scope": _scope(service, team),
        "filters": {"service": service, "team": team},
    }
    return render(request, "metric.html", context, principal=ctx)
