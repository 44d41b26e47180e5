"""Ports of the notifications feature: webhook subscriptions and the delivery outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sluicegate.domain.notifications import DeliveryState

__all__ = [
    "ClaimedDelivery",
    "WebhookDeliveryRecord",
    "WebhookRepository",
    "WebhookSubscriptionRecord",
]


@dataclass(frozen=True, slots=True)
class WebhookSubscriptionRecord:
    """A webhook subscription; its signing secret is kept apart and never leaves the store."""

    id: str
    name: str
    url: str
    events: tuple[str, ...]
    format: str
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class WebhookDeliveryRecord:
    """One queued delivery of one event to one subscription (the outbox row)."""

    id: str
    subscription_id: str
    event_id: str
    event_type: str
    envelope: dict[str, Any]
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery claimed by one dispatcher, with what it needs to send it."""

    delivery: WebhookDeliveryRecord
    url: str
    format: str
    secret: str


class WebhookRepository(Protocol):
    def add_subscription(self, sub: WebhookSubscriptionRecord, secret: str) -> None: ...
    def get_subscription(self, sub_id: str) -> WebhookSubscriptionRecord | None: ...
    def list_subscriptions(self) -> list[WebhookSubscriptionRecord]: ...
    def update_subscription(self, sub: WebhookSubscriptionRecord) -> None: ...
    def delete_subscription(self, sub_id: str) -> int:
        """Delete the subscription and its deliveries; the number of deliveries deleted."""
        ...

    def active_subscriptions(self) -> list[WebhookSubscriptionRecord]: ...
    def add_delivery(self, delivery: WebhookDeliveryRecord) -> None: ...
    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[ClaimedDelivery]:
        """Mark up to ``limit`` due deliveries as being sent until ``lease_until``."""
        ...

    def finish(
        self,
        delivery_id: str,
        *,
        state: str,
        attempts: int,
        next_attempt_at: datetime | None,
        last_status: int | None,
        last_error: str | None,
        now: datetime,
    ) -> None: ...
    def get_delivery(self, delivery_id: str) -> WebhookDeliveryRecord | None: ...
    def deliveries(
        self, state: str | None = None, subscription_id: str | None = None, limit: int = 100
    ) -> list[WebhookDeliveryRecord]: ...
    def requeue(self, delivery_id: str, now: datetime) -> bool:
        """Move a dead delivery back to pending with a fresh attempt budget; False if not dead."""
        ...
