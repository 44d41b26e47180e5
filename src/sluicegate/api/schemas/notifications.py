"""Response models of ``api/routes/webhooks.py`` (views: ``service.notifications``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sluicegate.api.schemas import Schema

__all__ = [
    "CreatedSubscription",
    "Delivery",
    "DeliveryList",
    "Subscription",
    "SubscriptionList",
]


class Subscription(Schema):
    id: str
    name: str
    url: str
    events: list[str]
    format: str
    active: bool
    created_by: str
    created_at: str
    updated_at: str


class SubscriptionList(Schema):
    items: list[Subscription]


class CreatedSubscription(Subscription):
    secret: str = Field(description="The signing secret; shown only in this response")


class Delivery(Schema):
    id: str
    subscription_id: str
    event_id: str
    event_type: str
    state: str
    attempts: int
    next_attempt_at: str | None
    last_status: int | None
    last_error: str | None
    created_at: str
    updated_at: str
    delivered_at: str | None
    data: dict[str, Any] = Field(description="The event's data")


class DeliveryList(Schema):
    items: list[Delivery]
