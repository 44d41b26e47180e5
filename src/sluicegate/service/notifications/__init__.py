"""Notifications: webhook subscriptions, the transactional outbox and its dispatcher."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluicegate.service.lazy import exports

if TYPE_CHECKING:
    from sluicegate.service.notifications.commands import (
        DELIVERY_STATES as DELIVERY_STATES,
    )
    from sluicegate.service.notifications.commands import (
        SECRET_PREFIX as SECRET_PREFIX,
    )
    from sluicegate.service.notifications.commands import (
        CreatedSubscription as CreatedSubscription,
    )
    from sluicegate.service.notifications.commands import (
        DispatchReport as DispatchReport,
    )
    from sluicegate.service.notifications.commands import (
        DispatchSettings as DispatchSettings,
    )
    from sluicegate.service.notifications.commands import (
        SendResult as SendResult,
    )
    from sluicegate.service.notifications.commands import (
        WebhookSender as WebhookSender,
    )
    from sluicegate.service.notifications.commands import (
        create_subscription as create_subscription,
    )
    from sluicegate.service.notifications.commands import (
        dead_letters as dead_letters,
    )
    from sluicegate.service.notifications.commands import (
        delete_subscription as delete_subscription,
    )
    from sluicegate.service.notifications.commands import (
        delivery_dict as delivery_dict,
    )
    from sluicegate.service.notifications.commands import (
        enqueue as enqueue,
    )
    from sluicegate.service.notifications.commands import (
        get_subscription as get_subscription,
    )
    from sluicegate.service.notifications.commands import (
        list_deliveries as list_deliveries,
    )
    from sluicegate.service.notifications.commands import (
        list_subscriptions as list_subscriptions,
    )
    from sluicegate.service.notifications.commands import (
        retry_delivery as retry_delivery,
    )
    from sluicegate.service.notifications.commands import (
        run_once as run_once,
    )
    from sluicegate.service.notifications.commands import (
        subscription_dict as subscription_dict,
    )
    from sluicegate.service.notifications.commands import (
        update_subscription as update_subscription,
    )
    from sluicegate.service.notifications.ports import (
        ClaimedDelivery as ClaimedDelivery,
    )
    from sluicegate.service.notifications.ports import (
        WebhookDeliveryRecord as WebhookDeliveryRecord,
    )
    from sluicegate.service.notifications.ports import (
        WebhookRepository as WebhookRepository,
    )
    from sluicegate.service.notifications.ports import (
        WebhookSubscriptionRecord as WebhookSubscriptionRecord,
    )

__all__ = [
    "DELIVERY_STATES",
    "SECRET_PREFIX",
    "ClaimedDelivery",
    "CreatedSubscription",
    "DispatchReport",
    "DispatchSettings",
    "SendResult",
    "WebhookDeliveryRecord",
    "WebhookRepository",
    "WebhookSender",
    "WebhookSubscriptionRecord",
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

_TABLE = {
    "ClaimedDelivery": "ports",
    "CreatedSubscription": "commands",
    "DELIVERY_STATES": "commands",
    "DispatchReport": "commands",
    "DispatchSettings": "commands",
    "SECRET_PREFIX": "commands",
    "SendResult": "commands",
    "WebhookDeliveryRecord": "ports",
    "WebhookRepository": "ports",
    "WebhookSender": "commands",
    "WebhookSubscriptionRecord": "ports",
    "create_subscription": "commands",
    "dead_letters": "commands",
    "delete_subscription": "commands",
    "delivery_dict": "commands",
    "enqueue": "commands",
    "get_subscription": "commands",
    "list_deliveries": "commands",
    "list_subscriptions": "commands",
    "retry_delivery": "commands",
    "run_once": "commands",
    "subscription_dict": "commands",
    "update_subscription": "commands",
}
__getattr__, __dir__ = exports(__name__, _TABLE)
