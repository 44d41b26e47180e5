"""What the audit ledger records of webhook subscriptions (not the API's view).

The URL is always redacted to scheme and host: chat webhook URLs carry a credential in their path,
and the ledger is exported to auditors.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sluicegate.service.notifications.ports import WebhookSubscriptionRecord

__all__ = ["redacted_url", "subscription_payload"]


def redacted_url(url: str) -> str:
    """Scheme and host only: chat webhook URLs carry a credential in their path."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}/…"


def subscription_payload(sub: WebhookSubscriptionRecord) -> dict[str, Any]:
    return {
        "id": sub.id,
        "name": sub.name,
        "url": redacted_url(sub.url),
        "events": list(sub.events),
        "format": sub.format,
        "active": sub.active,
        "created_by": sub.created_by,
        "created_at": sub.created_at.isoformat(),
        "updated_at": sub.updated_at.isoformat(),
    }
