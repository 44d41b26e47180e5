"""Notifications: webhook subscriptions, the transactional outbox and its dispatcher.

:func:`enqueue` is called by other use cases *inside their unit of work*: it writes one delivery row
per matching active subscription and does no network I/O, so a rolled-back change notifies nobody
and a slow receiver never blocks a request. :func:`run_once` (the dispatcher; a background loop in
the API and ``sluice webhook dispatch``) claims due rows, sends them through a
:class:`WebhookSender`, and records the outcome: delivered, retried later with exponential backoff,
or dead-lettered after the last attempt (visible and retryable over the API).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import uuid4

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.errors import Conflict, FieldError, InvalidInput, NotFound
from sluicegate.domain.events import AuditAction, EventType
from sluicegate.domain.notifications import (
    DeliveryState,
    Envelope,
    WebhookFormat,
    backoff,
    matches,
    render,
    signed_headers,
    validate_event_patterns,
    validate_event_type,
    validate_url,
)
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.notifications.payloads import redacted_url, subscription_payload
from sluicegate.service.notifications.ports import WebhookDeliveryRecord, WebhookSubscriptionRecord
from sluicegate.service.ports import UnitOfWork

__all__ = [
    "CreatedSubscription",
    "DispatchReport",
    "DispatchSettings",
    "SendResult",
    "WebhookSender",
    "create_subscription",
    "dead_letters",
    "delete_subscription",
    "delivery_dict",
    "enqueue",
    "get_subscription",
    "list_deliveries",
    "list_subscriptions",
    "retry_delivery",
    "run_once",
    "subscription_dict",
    "update_subscription",
]

log = logging.getLogger("sluicegate.notifications")

SECRET_PREFIX = "whsec_"  # noqa: S105 - the public prefix of generated secrets, not a secret
DELIVERY_STATES = tuple(s.value for s in DeliveryState)


# --- the outbox -------------------------------------------------------------------------------


def enqueue(
    uow: UnitOfWork,
    event: EventType,
    payload: dict[str, Any],
    *,
    deps: Deps | None = None,
) -> None:
    """Queue ``event`` for every active subscription that wants it, in ``uow``'s transaction.

    Never does network I/O. ``payload`` must be JSON-serialisable (checked here, so that a bad
    payload fails the caller's use case rather than the dispatcher). Pass ``deps`` to take ids and
    the time from the injected factories; without it a UUID and the system clock are used.
    """
    event_type = str(event)  # a StrEnum: its value
    validate_event_type(event_type)  # also guards callers outside the type checker
    data = json.loads(json.dumps(payload, allow_nan=False))
    now = deps.clock.now() if deps is not None else datetime.now(UTC)

    def new_id() -> str:
        return deps.ids.new_id() if deps is not None else uuid4().hex

    envelope = Envelope(new_id(), event_type, now, data).to_dict()
    for sub in uow.webhooks.active_subscriptions():
        if not matches(sub.events, event_type):
            continue
        uow.webhooks.add_delivery(
            WebhookDeliveryRecord(
                id=new_id(),
                subscription_id=sub.id,
                event_id=envelope["id"],
                event_type=event_type,
                envelope=envelope,
                state=DeliveryState.PENDING,
                attempts=0,
                next_attempt_at=None,
                last_status=None,
                last_error=None,
                created_at=now,
                updated_at=now,
            )
        )


# --- subscriptions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatedSubscription:
    subscription: WebhookSubscriptionRecord
    secret: str


def subscription_dict(sub: WebhookSubscriptionRecord, *, redact: bool = False) -> dict[str, Any]:
    return {
        "id": sub.id,
        "name": sub.name,
        "url": redacted_url(sub.url) if redact else sub.url,
        "events": list(sub.events),
        "format": sub.format,
        "active": sub.active,
        "created_by": sub.created_by,
        "created_at": sub.created_at.isoformat(),
        "updated_at": sub.updated_at.isoformat(),
    }


def delivery_dict(d: WebhookDeliveryRecord) -> dict[str, Any]:
    return {
        "id": d.id,
        "subscription_id": d.subscription_id,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "state": d.state,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "created_at": d.created_at.isoformat(),
        "updated_at": d.updated_at.isoformat(),
        "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
        "data": d.envelope.get("data", {}),
    }


def _format(value: str, field_name: str = "format") -> WebhookFormat:
    try:
        return WebhookFormat(value)
    except ValueError:
        allowed = ", ".join(f.value for f in WebhookFormat)
        raise InvalidInput(
            "unknown webhook format",
            errors=[FieldError(field_name, f"{value!r} is not one of {allowed}")],
        ) from None


def _name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > 200:
        raise InvalidInput(
            "the subscription needs a name",
            errors=[FieldError("name", "must be 1 to 200 characters")],
        )
    return name


def create_subscription(
    deps: Deps,
    ctx: RequestContext,
    *,
    name: str,
    url: str,
    events: Sequence[str],
    fmt: str = "generic",
    active: bool = True,
) -> CreatedSubscription:
    """Create a subscription with a generated signing secret, returned here and never again."""
    authorize(ctx.principal, Action.WEBHOOK_MANAGE)
    clean_name = _name(name)
    validate_url(url)
    patterns = validate_event_patterns(events)
    webhook_format = _format(fmt)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    now = deps.clock.now()
    sub = WebhookSubscriptionRecord(
        id=deps.ids.new_id(),
        name=clean_name,
        url=url,
        events=patterns,
        format=webhook_format.value,
        active=active,
        created_by=ctx.actor,
        created_at=now,
        updated_at=now,
    )
    with deps.uow() as uow:
        uow.webhooks.add_subscription(sub, secret)
        record(
            deps,
            uow,
            ctx,
            AuditAction.WEBHOOK_CREATE,
            "webhook",
            sub.id,
            after=subscription_payload(sub),
        )
    return CreatedSubscription(sub, secret)


def list_subscriptions(deps: Deps, ctx: RequestContext) -> list[WebhookSubscriptionRecord]:
    authorize(ctx.principal, Action.WEBHOOK_READ)
    with deps.uow(readonly=True) as uow:
        return uow.webhooks.list_subscriptions()


def get_subscription(deps: Deps, ctx: RequestContext, sub_id: str) -> WebhookSubscriptionRecord:
    authorize(ctx.principal, Action.WEBHOOK_READ)
    with deps.uow(readonly=True) as uow:
        return _get(uow, sub_id)


def _get(uow: UnitOfWork, sub_id: str) -> WebhookSubscriptionRecord:
    sub = uow.webhooks.get_subscription(sub_id)
    if sub is None:
        raise NotFound(
            f"no webhook subscription {sub_id!r}",
            hint="`sluice webhook list` shows the subscriptions.",
        )
    return sub


def update_subscription(
    deps: Deps,
    ctx: RequestContext,
    sub_id: str,
    *,
    name: str | None = None,
    url: str | None = None,
    events: Sequence[str] | None = None,
    fmt: str | None = None,
    active: bool | None = None,
) -> WebhookSubscriptionRecord:
    authorize(ctx.principal, Action.WEBHOOK_MANAGE)
    with deps.uow() as uow:
        before = _get(uow, sub_id)
        after = replace(
            before,
            name=_name(name) if name is not None else before.name,
            url=validate_url(url) if url is not None else before.url,
            events=validate_event_patterns(events) if events is not None else before.events,
            format=_format(fmt).value if fmt is not None else before.format,
            active=active if active is not None else before.active,
            updated_at=deps.clock.now(),
        )
        uow.webhooks.update_subscription(after)
        record(
            deps,
            uow,
            ctx,
            AuditAction.WEBHOOK_UPDATE,
            "webhook",
            sub_id,
            before=subscription_payload(before),
            after=subscription_payload(after),
        )
    return after


def delete_subscription(deps: Deps, ctx: RequestContext, sub_id: str) -> None:
    """Delete the subscription with its queued, delivered and dead-lettered deliveries."""
    authorize(ctx.principal, Action.WEBHOOK_MANAGE)
    with deps.uow() as uow:
        before = _get(uow, sub_id)
        dropped = uow.webhooks.delete_subscription(sub_id)
        record(
            deps,
            uow,
            ctx,
            AuditAction.WEBHOOK_DELETE,
            "webhook",
            sub_id,
            before={**subscription_payload(before), "deliveries_dropped": dropped},
        )


# --- deliveries and dead letters --------------------------------------------------------------


def list_deliveries(
    deps: Deps,
    ctx: RequestContext,
    *,
    state: str | None = None,
    subscription_id: str | None = None,
    limit: int = 100,
) -> list[WebhookDeliveryRecord]:
    authorize(ctx.principal, Action.WEBHOOK_READ)
    if state is not None and state not in DELIVERY_STATES:
        raise InvalidInput(
            "unknown delivery state",
            errors=[FieldError("state", f"{state!r} is not one of {', '.join(DELIVERY_STATES)}")],
        )
    with deps.uow(readonly=True) as uow:
        return uow.webhooks.deliveries(state, subscription_id, limit)


def dead_letters(
    deps: Deps, ctx: RequestContext, *, subscription_id: str | None = None, limit: int = 100
) -> list[WebhookDeliveryRecord]:
    return list_deliveries(deps, ctx, state="dead", subscription_id=subscription_id, limit=limit)


def retry_delivery(deps: Deps, ctx: RequestContext, delivery_id: str) -> WebhookDeliveryRecord:
    """Move a dead letter back to the queue with a fresh attempt budget."""
    authorize(ctx.principal, Action.WEBHOOK_MANAGE)
    with deps.uow() as uow:
        before = uow.webhooks.get_delivery(delivery_id)
        if before is None:
            raise NotFound(
                f"no webhook delivery {delivery_id!r}",
                hint="`sluice webhook dead-letters` lists the dead letters.",
            )
        if not uow.webhooks.requeue(delivery_id, deps.clock.now()):
            raise Conflict(
                f"delivery {delivery_id} is {before.state}, not dead",
                hint="Only dead letters can be retried; the others are still being delivered.",
            )
        after = uow.webhooks.get_delivery(delivery_id)
        assert after is not None
        record(
            deps,
            uow,
            ctx,
            AuditAction.WEBHOOK_DELIVERY_RETRY,
            "webhook-delivery",
            delivery_id,
            before={"state": before.state, "attempts": before.attempts},
            after={"state": after.state, "attempts": after.attempts},
        )
    return after


# --- the dispatcher ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one HTTP attempt gave: a status code, or the transport error that prevented one."""

    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookSender(Protocol):
    def send(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> SendResult: ...


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    max_attempts: int = 5
    backoff_base_seconds: float = 10.0
    backoff_max_seconds: float = 3600.0
    timeout_seconds: float = 10.0
    batch: int = 50
    lease_seconds: float = 120.0


@dataclass(slots=True)
class DispatchReport:
    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return len(self.delivered) + len(self.retrying) + len(self.dead)


def _envelope(doc: dict[str, Any]) -> Envelope:
    return Envelope(
        event_id=doc["id"],
        event_type=doc["type"],
        occurred_at=datetime.fromisoformat(doc["occurred_at"]),
        data=doc.get("data", {}),
    )


def run_once(deps: Deps, sender: WebhookSender, settings: DispatchSettings) -> DispatchReport:
    """Claim the due deliveries, send each once and record the outcomes."""
    report = DispatchReport()
    now = deps.clock.now()
    # The lease outlasts the slowest possible pass (every send timing out), so that another
    # replica never takes over a row this pass has yet to send.
    lease = max(settings.lease_seconds, settings.batch * settings.timeout_seconds + 30)
    with deps.uow() as uow:
        claimed = uow.webhooks.claim_due(now, now + timedelta(seconds=lease), settings.batch)
    for item in claimed:
        delivery = item.delivery
        body = render(_envelope(delivery.envelope), WebhookFormat(item.format))
        sent_at = deps.clock.now()
        headers = signed_headers(
            item.secret, int(sent_at.timestamp()), body, delivery.event_type, delivery.id
        )
        result = sender.send(item.url, body, headers, settings.timeout_seconds)
        attempts = delivery.attempts + 1
        done = deps.clock.now()
        if result.ok:
            state, next_at = DeliveryState.DELIVERED, None
            report.delivered.append(delivery.id)
        elif attempts >= settings.max_attempts:
            state, next_at = DeliveryState.DEAD, None
            report.dead.append(delivery.id)
            log.warning(
                "webhook delivery %s (event %s, subscription %s) dead-lettered after %d "
                "attempts: %s",
                delivery.id,
                delivery.event_type,
                delivery.subscription_id,
                attempts,
                result.error or f"HTTP {result.status}",
            )
        else:
            wait = backoff(attempts, settings.backoff_base_seconds, settings.backoff_max_seconds)
            state, next_at = DeliveryState.PENDING, done + wait
            report.retrying.append(delivery.id)
        with deps.uow() as uow:
            uow.webhooks.finish(
                delivery.id,
                state=state,
                attempts=attempts,
                next_attempt_at=next_at,
                last_status=result.status,
                last_error=None if result.ok else (result.error or f"HTTP {result.status}"),
                now=done,
            )
    return report
