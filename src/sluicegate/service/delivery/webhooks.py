"""Delivery webhooks: a provider's delivery proved, read and recorded (issue 13 §1, §5).

The order matters: the source is found and the delivery's signature checked before the body is
parsed at all, so an unsigned body is never read. A delivery with no source of that name and a
delivery with a bad signature get the same 401 (a caller learns nothing about which sources
exist), and nothing is stored. A signed body that is not the provider's JSON, or a known event
missing a field, is a 4xx naming the field (:class:`PayloadError`); a signed event Sluicegate
does not count (a ping, a closed unmerged pull request) is answered with the reason it was
ignored. Everything one delivery reports is recorded in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sluicegate.domain.access.identity import Principal, Role
from sluicegate.domain.delivery.changes import Change
from sluicegate.domain.delivery.records import Deployment, Incident
from sluicegate.domain.delivery.sources import PayloadError, parse
from sluicegate.domain.delivery.sources.signatures import WebhookSource, signature_valid
from sluicegate.domain.errors import MalformedDocument, Unauthenticated
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.delivery.commands import Tally, record_many
from sluicegate.service.delivery.ports import WebhookSources

__all__ = ["authenticate_source", "ingest_webhook", "source_context"]


def authenticate_source(
    sources: WebhookSources, name: str, headers: Mapping[str, str], body: bytes
) -> WebhookSource:
    """The source ``name`` if the delivery proves its secret; else :class:`Unauthenticated`."""
    source = sources.find(name)
    if source is None or not signature_valid(source, headers, body):
        raise Unauthenticated(
            f"the delivery is not signed by a configured webhook source named {name!r}",
            hint="Configure the source in SLUICE_DELIVERY_SOURCES and give the provider the "
            "same secret (docs/delivery.md, 'Webhooks').",
        )
    return source


def source_context(source: WebhookSource, request_id: str | None = None) -> RequestContext:
    """Who a source's events are recorded by: ``source:<name>``, allowed to write delivery."""
    name = source.rules.name
    principal = Principal(
        user_id=f"source:{name}", username=f"source:{name}", role=Role.CONTRIBUTOR
    )
    return RequestContext(principal, request_id=request_id, actor_override=f"source:{name}")


def _payload(body: bytes) -> Mapping[str, Any]:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedDocument(
            f"the webhook body is not JSON: {exc.__class__.__name__}",
            hint="Send the provider's webhook body as application/json, unchanged.",
        ) from None
    if not isinstance(doc, dict):
        raise PayloadError.at("$", "must be a JSON object")
    return doc


def ingest_webhook(
    deps: Deps,
    source: WebhookSource,
    headers: Mapping[str, str],
    body: bytes,
    *,
    request_id: str | None = None,
) -> dict[str, Any]:
    """Read and record one proved delivery of ``source`` (see :func:`authenticate_source`)."""
    payload = _payload(body)
    event = source.event_name(headers)
    parsed = parse(event, payload, source.rules)
    events: list[Deployment | Incident | Change] = [
        *parsed.deployments,
        *parsed.changes,
        *parsed.incidents,
    ]
    tally: Tally = {
        kind: {"recorded": 0, "unchanged": 0} for kind in ("deployments", "incidents", "changes")
    }
    if events:
        tally = record_many(deps, source_context(source, request_id), events, keep_started=True)
    name = event or str(payload.get("eventType") or payload.get("object_kind") or "")
    return {
        "source": source.rules.name,
        "kind": source.rules.kind.value,
        "event": name[:200],
        "ignored": parsed.ignored,
        **tally,
    }
