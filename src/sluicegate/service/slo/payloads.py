"""Audit payloads of SLO revisions: their own builders, never the API's views.

The payload holds the revision's normalised spec (what changed), not the input's text: the
text is stored with the revision and shown by ``GET /api/v1/slos/{service}/{name}``.
"""

from __future__ import annotations

from typing import Any

from sluicegate.service.slo.ports import StoredSlo

__all__ = ["slo_payload"]


def slo_payload(stored: StoredSlo) -> dict[str, Any]:
    return {
        "service": stored.service,
        "name": stored.name,
        "revision": stored.revision,
        "format": stored.format,
        "filename": stored.filename,
        "objective": stored.objective,
        "window_days": stored.window_days,
        "spec": stored.spec,
    }
