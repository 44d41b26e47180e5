"""Notifications, the pure part: event types, subscription rules, payload formats and signatures.

A webhook subscription names the event types it wants (exact names, ``*`` for all, or a family
such as ``jit.*``) and a format: ``generic`` (signed JSON), ``slack`` (``{"text", "blocks"}``) or
``teams`` (a MessageCard). Every request is signed the same way whatever the format::

    X-Sluicegate-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

so that a receiver can check the body and refuse replays (the timestamp is part of what is signed).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from sluicegate.domain.errors import FieldError, InvalidInput
from sluicegate.domain.events import EventType

__all__ = [
    "EVENT_TYPES",
    "SIGNATURE_HEADER",
    "DeliveryState",
    "Envelope",
    "WebhookFormat",
    "backoff",
    "matches",
    "render",
    "sign",
    "signed_headers",
    "validate_event_patterns",
    "validate_event_type",
    "validate_url",
    "verify",
]

#: The events Sluicegate emits (the catalogue is :class:`~sluicegate.domain.events.EventType`).
#: Subscriptions may name these, ``*`` or a family (``jit.*``).
EVENT_TYPES: tuple[str, ...] = tuple(e.value for e in EventType)

SIGNATURE_HEADER = "X-Sluicegate-Signature"
TIMESTAMP_HEADER = "X-Sluicegate-Timestamp"
EVENT_HEADER = "X-Sluicegate-Event"
DELIVERY_HEADER = "X-Sluicegate-Delivery"

_EVENT_NAME = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$")
_FAMILIES = frozenset(name.split(".", 1)[0] for name in EVENT_TYPES)


class DeliveryState(StrEnum):
    """One outbox delivery: pending -> sending -> delivered, back to pending (retry), or dead."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    DEAD = "dead"


class WebhookFormat(StrEnum):
    GENERIC = "generic"
    SLACK = "slack"
    TEAMS = "teams"


def validate_event_type(event_type: str) -> None:
    """Raise ``ValueError`` for a malformed event name (a programming error, not user input)."""
    if not _EVENT_NAME.fullmatch(event_type):
        raise ValueError(f"malformed event type {event_type!r}: use 'family.name'")


def validate_event_patterns(patterns: Sequence[str], field: str = "events") -> tuple[str, ...]:
    """The subscription's patterns, de-duplicated and sorted; refuse unknown names precisely."""
    if not patterns:
        raise InvalidInput(
            "a subscription needs at least one event type",
            errors=[FieldError(field, "empty; name event types or use '*'")],
        )
    errors = []
    for i, pattern in enumerate(patterns):
        family = pattern[:-2] if pattern.endswith(".*") else None
        if pattern == "*" or pattern in EVENT_TYPES or family in _FAMILIES:
            continue
        errors.append(
            FieldError(
                f"{field}[{i}]",
                f"unknown event type {pattern!r}; known: {', '.join(EVENT_TYPES)}, "
                "a family such as 'jit.*', or '*'",
            )
        )
    if errors:
        raise InvalidInput("the subscription names unknown event types", errors=errors)
    return tuple(sorted(set(patterns)))


def matches(patterns: Iterable[str], event_type: str) -> bool:
    for pattern in patterns:
        if pattern in ("*", event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def validate_url(url: str, field: str = "url") -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            "the webhook URL must be an absolute http or https URL",
            errors=[FieldError(field, f"{url!r} is not an http(s) URL with a host")],
        )
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise InvalidInput(
            "the webhook URL's port is not valid",
            errors=[FieldError(field, "the port must be a number from 0 to 65535")],
        ) from None
    if parts.username or parts.password:
        raise InvalidInput(
            "the webhook URL must not carry credentials",
            errors=[FieldError(field, "remove user:password@; authenticate with the signature")],
        )
    return url


def backoff(attempts: int, base_seconds: float, max_seconds: float) -> timedelta:
    """The wait before the next try after ``attempts`` failed tries: base * 2**(attempts-1)."""
    return timedelta(seconds=min(max_seconds, base_seconds * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True, slots=True)
class Envelope:
    """One event as queued: what happened, when, and its data."""

    event_id: str
    event_type: str
    occurred_at: datetime
    data: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "type": self.event_type,
            "occurred_at": self.occurred_at.isoformat(),
            "data": dict(self.data),
        }


def _summary(envelope: Envelope) -> str:
    data = envelope.data
    subject = next(
        (str(data[k]) for k in ("experiment", "experiment_key", "key", "subject") if k in data),
        None,
    )
    detail = next((str(data[k]) for k in ("decision", "state", "status", "role") if k in data), "")
    text = f"Sluicegate: {envelope.event_type}"
    if subject:
        text += f" for {subject}"
    if detail:
        text += f" ({detail})"
    return text


def _facts(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    facts = []
    for key in sorted(data):
        value = data[key]
        shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        facts.append((key, shown[:300]))
    return facts[:20]


def _slack(envelope: Envelope) -> dict[str, Any]:
    summary = _summary(envelope)
    lines = "\n".join(f"*{k}*: {v}" for k, v in _facts(envelope.data))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": summary[:150]}},
    ]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": lines[:3000]}})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"event `{envelope.event_type}` · id `{envelope.event_id}` · "
                    f"{envelope.occurred_at.isoformat()}",
                }
            ],
        }
    )
    return {"text": summary, "blocks": blocks}


def _teams(envelope: Envelope) -> dict[str, Any]:
    summary = _summary(envelope)
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": summary,
        "themeColor": "0078D7",
        "title": summary,
        "sections": [
            {
                "activityTitle": envelope.event_type,
                "activitySubtitle": envelope.occurred_at.isoformat(),
                "facts": [{"name": k, "value": v} for k, v in _facts(envelope.data)],
                "markdown": True,
            }
        ],
    }


def render(envelope: Envelope, fmt: WebhookFormat) -> bytes:
    """The request body for one subscription format (UTF-8 JSON)."""
    if fmt is WebhookFormat.SLACK:
        doc = _slack(envelope)
    elif fmt is WebhookFormat.TEAMS:
        doc = _teams(envelope)
    else:
        doc = envelope.to_dict()
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>`` over ``f"{timestamp}." + body``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (constant-time comparison); also used by the tests."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


def signed_headers(
    secret: str, timestamp: int, body: bytes, event_type: str, delivery_id: str
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        TIMESTAMP_HEADER: str(timestamp),
        EVENT_HEADER: event_type,
        DELIVERY_HEADER: delivery_id,
    }
