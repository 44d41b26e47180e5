"""Webhook subscriptions, their deliveries and the dead-letter queue (admin only)."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from sluicegate.api.deps import Ctx, ServiceDeps
from sluicegate.api.schemas.notifications import (
    CreatedSubscription,
    Delivery,
    DeliveryList,
    Subscription,
    SubscriptionList,
)
from sluicegate.api.schemas.numbers import JsonBool
from sluicegate.api.schemas.problems import LIST, READ, WRITE, problem_responses
from sluicegate.bootstrap import Container
from sluicegate.domain.notifications import EVENT_TYPES, WebhookFormat
from sluicegate.domain.text import Name
from sluicegate.service import notifications as svc

__all__ = ["dispatch_loop", "router"]

router = APIRouter(tags=["webhooks"])
log = logging.getLogger("sluicegate.jobs")

#: What the domain accepts ('*', an event type, or a family such as 'jit.*'), for the schema; the
#: domain still checks, so that an unknown name gets an error listing the known ones.
_EVENT_RE = "^(\\*|{types}|({families})\\.\\*)$".format(
    types="|".join(t.replace(".", "\\.") for t in EVENT_TYPES),
    families="|".join(sorted({t.split(".", 1)[0] for t in EVENT_TYPES})),
)
EventPattern = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    Field(json_schema_extra={"pattern": _EVENT_RE}),
]


#: An absolute http(s) URL with a host (the service checks the rest and names what is wrong).
URL_PATTERN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?$"


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    url: Annotated[str, StringConstraints(pattern=URL_PATTERN, max_length=2000)]
    events: Annotated[list[EventPattern], Field(min_length=1, max_length=50)]
    format: WebhookFormat = WebhookFormat.GENERIC
    active: JsonBool = True


class SubscriptionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    url: Annotated[str, StringConstraints(pattern=URL_PATTERN, max_length=2000)] | None = None
    events: Annotated[list[EventPattern], Field(min_length=1, max_length=50)] | None = None
    format: WebhookFormat | None = None
    active: JsonBool | None = None


@router.get(
    "/webhooks",
    summary="Webhook subscriptions (secrets are never shown)",
    response_model=SubscriptionList,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def list_subscriptions(deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return {"items": [svc.subscription_dict(s) for s in svc.list_subscriptions(deps, ctx)]}


@router.post(
    "/webhooks",
    status_code=201,
    summary="Subscribe; the signing secret is shown only here",
    response_model=CreatedSubscription,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def create_subscription(body: SubscriptionIn, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    created = svc.create_subscription(
        deps,
        ctx,
        name=body.name,
        url=body.url,
        events=body.events,
        fmt=body.format,
        active=body.active,
    )
    return {**svc.subscription_dict(created.subscription), "secret": created.secret}


@router.get(
    "/webhooks/deliveries",
    summary="Recent deliveries, optionally by state",
    response_model=DeliveryList,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def list_deliveries(
    deps: ServiceDeps,
    ctx: Ctx,
    state: Annotated[Literal["pending", "sending", "delivered", "dead"] | None, Query()] = None,
    subscription: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    items = svc.list_deliveries(deps, ctx, state=state, subscription_id=subscription, limit=limit)
    return {"items": [svc.delivery_dict(d) for d in items]}


@router.get(
    "/webhooks/dead-letters",
    summary="Deliveries that failed every attempt",
    response_model=DeliveryList,
    response_model_exclude_unset=True,
    responses=problem_responses(*LIST),
)
def dead_letters(
    deps: ServiceDeps,
    ctx: Ctx,
    subscription: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    items = svc.dead_letters(deps, ctx, subscription_id=subscription, limit=limit)
    return {"items": [svc.delivery_dict(d) for d in items]}


@router.post(
    "/webhooks/dead-letters/{delivery_id}/retry",
    summary="Queue a dead letter again with a fresh attempt budget",
    response_model=Delivery,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def retry(delivery_id: str, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.delivery_dict(svc.retry_delivery(deps, ctx, delivery_id))


@router.get(
    "/webhooks/{sub_id}",
    response_model=Subscription,
    response_model_exclude_unset=True,
    responses=problem_responses(*READ),
)
def show(sub_id: str, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    return svc.subscription_dict(svc.get_subscription(deps, ctx, sub_id))


@router.patch(
    "/webhooks/{sub_id}",
    summary="Change fields or pause (active=false)",
    response_model=Subscription,
    response_model_exclude_unset=True,
    responses=problem_responses(*WRITE),
)
def update(sub_id: str, body: SubscriptionPatch, deps: ServiceDeps, ctx: Ctx) -> dict[str, Any]:
    sub = svc.update_subscription(
        deps,
        ctx,
        sub_id,
        name=body.name,
        url=body.url,
        events=body.events,
        fmt=body.format,
        active=body.active,
    )
    return svc.subscription_dict(sub)


@router.delete("/webhooks/{sub_id}", status_code=204, responses=problem_responses(*WRITE))
def delete(sub_id: str, deps: ServiceDeps, ctx: Ctx) -> Response:
    svc.delete_subscription(deps, ctx, sub_id)
    return Response(status_code=204)


async def dispatch_loop(container: Container, interval: float) -> None:
    """The webhook dispatcher job, started in the app lifespan (``SLUICE_WEBHOOK_INTERVAL``)."""
    while True:
        try:
            report = await run_in_threadpool(
                svc.run_once,
                container.deps,
                container.webhook_sender(),
                container.dispatch_settings(),
            )
            if report.attempted:
                log.info(
                    "webhooks: %d delivered, %d to retry, %d dead-lettered",
                    len(report.delivered),
                    len(report.retrying),
                    len(report.dead),
                )
        except Exception:
            log.exception("the webhook dispatcher failed; it runs again in %.1f s", interval)
        await asyncio.sleep(interval)
