"""Webhook subscriptions and the delivery outbox (tables and repositories)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    and_,
    delete,
    insert,
    or_,
    select,
    update,
)

from sluicegate.adapters.db.jsontext import dump_json as _dump
from sluicegate.adapters.db.schema import UTCDateTime, metadata
from sluicegate.domain.notifications import DeliveryState
from sluicegate.service.notifications.ports import (
    ClaimedDelivery,
    WebhookDeliveryRecord,
    WebhookSubscriptionRecord,
)

__all__ = [
    "SqlWebhooks",
    "webhook_deliveries",
    "webhook_subscriptions",
]


webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),
    Column("format", String(16), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)


webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "subscription_id",
        String(32),
        ForeignKey("webhook_subscriptions.id"),
        nullable=False,
        index=True,
    ),
    Column("event_id", String(32), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("envelope", Text, nullable=False),
    # pending -> sending (claimed, leased until locked_until) -> delivered | pending (retry) | dead
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    # NULL: due at once (never tried); the dispatcher compares the rest with its clock.
    Column("next_attempt_at", UTCDateTime(), nullable=True),
    Column("locked_until", UTCDateTime(), nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
)


def _subscription(row: Row[Any]) -> WebhookSubscriptionRecord:
    return WebhookSubscriptionRecord(
        id=row.id,
        name=row.name,
        url=row.url,
        events=tuple(json.loads(row.events)),
        format=row.format,
        active=bool(row.active),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _delivery(row: Row[Any]) -> WebhookDeliveryRecord:
    return WebhookDeliveryRecord(
        id=row.id,
        subscription_id=row.subscription_id,
        event_id=row.event_id,
        event_type=row.event_type,
        envelope=json.loads(row.envelope),
        state=DeliveryState(row.state),
        attempts=int(row.attempts),
        next_attempt_at=row.next_attempt_at,
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        delivered_at=row.delivered_at,
    )


_PUBLIC_COLUMNS = [c for c in webhook_subscriptions.c if c.name != "secret"]


_ACTIVE_SUBSCRIPTIONS = (  # read by every audited notification: built once
    select(*_PUBLIC_COLUMNS)
    .where(webhook_subscriptions.c.active.is_(True))
    .order_by(webhook_subscriptions.c.id)
)


class SqlWebhooks:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_subscription(self, sub: WebhookSubscriptionRecord, secret: str) -> None:
        self._conn.execute(
            insert(webhook_subscriptions).values(
                id=sub.id,
                name=sub.name,
                url=sub.url,
                events=_dump(list(sub.events)),
                format=sub.format,
                secret=secret,
                active=sub.active,
                created_by=sub.created_by,
                created_at=sub.created_at,
                updated_at=sub.updated_at,
            )
        )

    def get_subscription(self, sub_id: str) -> WebhookSubscriptionRecord | None:
        row = self._conn.execute(
            select(*_PUBLIC_COLUMNS).where(webhook_subscriptions.c.id == sub_id)
        ).first()
        return _subscription(row) if row else None

    def list_subscriptions(self) -> list[WebhookSubscriptionRecord]:
        rows = self._conn.execute(
            select(*_PUBLIC_COLUMNS).order_by(
                webhook_subscriptions.c.created_at, webhook_subscriptions.c.id
            )
        )
        return [_subscription(r) for r in rows]

    def update_subscription(self, sub: WebhookSubscriptionRecord) -> None:
        self._conn.execute(
            update(webhook_subscriptions)
            .where(webhook_subscriptions.c.id == sub.id)
            .values(
                name=sub.name,
                url=sub.url,
                events=_dump(list(sub.events)),
                format=sub.format,
                active=sub.active,
                updated_at=sub.updated_at,
            )
        )

    def delete_subscription(self, sub_id: str) -> int:
        gone = self._conn.execute(
            delete(webhook_deliveries).where(webhook_deliveries.c.subscription_id == sub_id)
        ).rowcount
        self._conn.execute(
            delete(webhook_subscriptions).where(webhook_subscriptions.c.id == sub_id)
        )
        return int(gone)

    def active_subscriptions(self) -> list[WebhookSubscriptionRecord]:
        return [_subscription(r) for r in self._conn.execute(_ACTIVE_SUBSCRIPTIONS)]

    def add_delivery(self, delivery: WebhookDeliveryRecord) -> None:
        self._conn.execute(
            insert(webhook_deliveries).values(
                id=delivery.id,
                subscription_id=delivery.subscription_id,
                event_id=delivery.event_id,
                event_type=delivery.event_type,
                envelope=_dump(delivery.envelope),
                state=delivery.state,
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at,
                locked_until=None,
                last_status=delivery.last_status,
                last_error=delivery.last_error,
                created_at=delivery.created_at,
                updated_at=delivery.updated_at,
                delivered_at=delivery.delivered_at,
            )
        )

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[ClaimedDelivery]:
        d = webhook_deliveries
        due = or_(
            and_(
                d.c.state == "pending",
                or_(d.c.next_attempt_at.is_(None), d.c.next_attempt_at <= now),
            ),
            # A claim whose dispatcher died before finishing: its lease has run out.
            and_(d.c.state == "sending", d.c.locked_until <= now),
        )
        # PostgreSQL: concurrent dispatchers skip each other's locked rows. SQLite ignores FOR
        # UPDATE; writers there hold the database write lock (BEGIN IMMEDIATE) for the claim.
        candidates = self._conn.execute(
            select(d.c.id, d.c.state, d.c.locked_until)
            .where(due)
            .order_by(d.c.created_at, d.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        claimed_ids = []
        for cand in candidates:
            # Compare-and-set, so that a row claimed by someone else in between is never taken.
            result = self._conn.execute(
                update(d)
                .where(d.c.id == cand.id, d.c.state == cand.state)
                .where(
                    d.c.locked_until.is_(None)
                    if cand.locked_until is None
                    else d.c.locked_until == cand.locked_until
                )
                .values(state="sending", locked_until=lease_until, updated_at=now)
            )
            if result.rowcount == 1:
                claimed_ids.append(cand.id)
        if not claimed_ids:
            return []
        s = webhook_subscriptions
        rows = self._conn.execute(
            select(d, s.c.url, s.c.format, s.c.secret)
            .join(s, s.c.id == d.c.subscription_id)
            .where(d.c.id.in_(claimed_ids))
            .order_by(d.c.created_at, d.c.id)
        ).all()
        return [ClaimedDelivery(_delivery(r), r.url, r.format, r.secret) for r in rows]

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
    ) -> None:
        self._conn.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id == delivery_id)
            .values(
                state=state,
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                locked_until=None,
                last_status=last_status,
                last_error=last_error,
                updated_at=now,
                delivered_at=now if state == "delivered" else None,
            )
        )

    def get_delivery(self, delivery_id: str) -> WebhookDeliveryRecord | None:
        row = self._conn.execute(
            select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
        ).first()
        return _delivery(row) if row else None

    def deliveries(
        self, state: str | None = None, subscription_id: str | None = None, limit: int = 100
    ) -> list[WebhookDeliveryRecord]:
        d = webhook_deliveries
        query = select(d).order_by(d.c.created_at, d.c.id).limit(limit)
        if state is not None:
            query = query.where(d.c.state == state)
        if subscription_id is not None:
            query = query.where(d.c.subscription_id == subscription_id)
        return [_delivery(r) for r in self._conn.execute(query)]

    def requeue(self, delivery_id: str, now: datetime) -> bool:
        d = webhook_deliveries
        result = self._conn.execute(
            update(d)
            .where(d.c.id == delivery_id, d.c.state == "dead")
            .values(
                state="pending", attempts=0, next_attempt_at=None, locked_until=None, updated_at=now
            )
        )
        return bool(result.rowcount == 1)
