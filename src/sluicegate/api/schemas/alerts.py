"""Response models of ``api/routes/alerts.py`` (views: ``service.delivery.alerts``)."""

from __future__ import annotations

from pydantic import Field

from sluicegate.api.schemas import Schema

__all__ = ["AlertmanagerResult", "SkippedAlert"]


class SkippedAlert(Schema):
    fingerprint: str
    alertname: str | None = Field(description="The alert's alertname label, if it has one")
    reason: str = Field(description="Why the alert reports no incident")


class AlertmanagerResult(Schema):
    source: str = Field(description="The source the incidents are recorded under")
    status: str = Field(description="The notification's status: firing or resolved")
    receiver: str | None
    group_key: str | None
    truncated_alerts: int = Field(description="Alerts Alertmanager left out (max_alerts)")
    recorded: int = Field(description="Incidents opened or resolved by this notification")
    unchanged: int = Field(description="Incidents already recorded as reported (re-sends)")
    skipped: list[SkippedAlert] = Field(description="Alerts without a service label")
