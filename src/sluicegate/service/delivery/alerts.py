"""Alerts in: an Alertmanager notification recorded as delivery incidents (issue 14 §3).

One notification is one transaction (:func:`~sluicegate.service.delivery.commands.record_many`):
its incidents are all validated first, then all recorded or, on any error, none. Alertmanager
re-sends a group every ``repeat_interval``, so a report of a known alert is folded into the
stored incident (``keep_opened``): a firing alert reported again is a no-op, a resolved one adds
``resolved_at`` (a new revision) and a firing report of a resolved incident changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.delivery import alertmanager
from sluicegate.domain.delivery.alertmanager import AlertRules
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.delivery.commands import record_many

__all__ = ["receive_alertmanager"]


def receive_alertmanager(
    deps: Deps, ctx: RequestContext, payload: Mapping[str, Any], rules: AlertRules
) -> dict[str, Any]:
    """Record the incidents of one Alertmanager notification; the counts and skipped alerts."""
    authorize(ctx.principal, Action.DELIVERY_WRITE)
    alerts = alertmanager.parse(payload, rules)
    recorded = unchanged = 0
    if alerts.incidents:
        tally = record_many(deps, ctx, alerts.incidents, keep_opened=True)
        recorded, unchanged = tally["incidents"]["recorded"], tally["incidents"]["unchanged"]
    return {
        "source": rules.source,
        "status": alerts.status,
        "receiver": alerts.receiver,
        "group_key": alerts.group_key,
        "truncated_alerts": alerts.truncated,
        "recorded": recorded,
        "unchanged": unchanged,
        "skipped": [
            {"fingerprint": s.fingerprint, "alertname": s.alertname, "reason": s.reason}
            for s in alerts.skipped
        ],
    }
