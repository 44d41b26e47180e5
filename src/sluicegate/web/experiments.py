"""The portfolio: the intake queue as ``GET /api/v1/experiments`` ranks it, with filters."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from sluicegate.domain.experiments.lifecycle import FINAL_STATES, State
from sluicegate.domain.risk import RiskLevel
from sluicegate.errors import FieldError, InvalidInput
from sluicegate.service import experiments as svc
from sluicegate.service.context import RequestContext
from sluicegate.web.pages import PREFIX, UiRoute, deps, render, require_session

__all__ = ["EXPIRING_DAYS", "router"]

router = APIRouter(route_class=UiRoute, include_in_schema=False)

#: An active experiment whose time-box ends within this many days is "expiring soon".
EXPIRING_DAYS = 14

Session = Annotated[RequestContext, Depends(require_session)]
Text = Annotated[str, Query(max_length=200)]


@router.get(PREFIX + "/")
def portfolio(
    request: Request,
    ctx: Session,
    state: Text = "",
    team: Text = "",
    risk: Text = "",
    q: Text = "",
) -> Response:
    service = deps(request)
    if risk and risk not in {r.value for r in RiskLevel}:
        allowed = ", ".join(r.value for r in RiskLevel)
        raise InvalidInput(f"unknown risk {risk!r}", errors=[FieldError("risk", allowed)])
    everything = svc.list_queue(service, ctx)
    ranked = svc.list_queue(service, ctx, state=state or None, team=team or None)
    needle = q.strip().casefold()
    shown = [
        e
        for e in ranked
        if (not risk or e.risk_level.value == risk)
        and (not needle or needle in e.key.casefold() or needle in e.title.casefold())
    ]
    now = service.clock.now()
    horizon = now + timedelta(days=EXPIRING_DAYS)
    expiring = sorted(
        (
            e
            for e in everything
            if e.expires_at is not None and e.state not in FINAL_STATES and e.expires_at <= horizon
        ),
        key=lambda e: e.expires_at or now,
    )
    counts = Counter(e.state for e in everything)
    context: dict[str, Any] = {
        "experiments": shown,
        "total": len(everything),
        "counts": [(s.value, counts.get(s, 0)) for s in State],
        "expiring": expiring,
        "expiring_days": EXPIRING_DAYS,
        "now": now,
        "states": [s.value for s in State],
        "teams": sorted({e.owner_team for e in everything}),
        "risks": [r.value for r in RiskLevel],
        "filters": {"state": state, "team": team, "risk": risk, "q": q},
    }
    return render(request, "portfolio.html", context, principal=ctx)
