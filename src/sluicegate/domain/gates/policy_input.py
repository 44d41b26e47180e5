"""The policy input document (docs/policy-input.md, ``schema_version`` 1) built from a context."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sluicegate.domain.gates.context import GateContext

__all__ = ["SCHEMA_VERSION", "build_policy_input"]

SCHEMA_VERSION = 1
_NOT_CHECKED: Mapping[str, Any] = {"status": "not-applicable", "reasons": [], "next_open": None}


def _utc(text: str) -> str:
    return text.replace("+00:00", "Z")


def build_policy_input(
    ctx: GateContext, schedule: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The document policies see as ``input``; ``schedule`` is a ScheduleResult.to_dict()."""
    exp = ctx.experiment
    try:
        zone = ZoneInfo(ctx.environment.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = ctx.now.astimezone(zone)
    risk = copy.deepcopy(dict(exp.risk))
    return {
        "schema_version": SCHEMA_VERSION,
        "experiment": {
            "id": exp.id,
            "key": exp.key,
            "title": exp.title,
            "owner": exp.team,
            "kind": exp.kind,
            "services": list(exp.services),
            "data_classification": exp.data_classification,
            "tags": list(exp.tags),
            "current_stage": exp.state,
            "authors": list(ctx.authors),
        },
        "target_stage": ctx.stage,
        "environment": ctx.environment.to_dict(),
        "risk": risk,
        "evidence": copy.deepcopy({k: dict(v) for k, v in ctx.evidence.items()}),
        "approvals": [
            {"by": a.by, "role": a.role, "at": _utc(a.at.astimezone(UTC).isoformat())}
            | ({"comment": a.comment} if a.comment else {})
            | {"domains": list(a.domains)}
            for a in ctx.approvals
            if a.decision == "approve"
        ],
        "rejections": [
            {"by": a.by, "role": a.role, "at": _utc(a.at.astimezone(UTC).isoformat())}
            for a in ctx.approvals
            if a.decision == "reject"
        ],
        "schedule": dict(schedule) if schedule is not None else dict(_NOT_CHECKED),
        "now": {
            "utc": _utc(ctx.now.astimezone(UTC).isoformat()),
            "local": local.isoformat(),
            "timezone": zone.key,
            "weekday": local.strftime("%A"),
            "hour": local.hour,
        },
        "requested_by": ctx.requester.id,
        "requester": ctx.requester.to_dict(),
    }
