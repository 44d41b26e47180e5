"""The policy input document (docs/policy-input.md, ``schema_version`` 1) built from a context.

``resources/policy-input.schema.json`` is its JSON Schema; :func:`validate_policy_input` checks a
hand-written input (``sluice policy eval``) against it and names every field that is wrong, and
the tests check that every document :func:`build_policy_input` makes matches it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from datetime import UTC
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sluicegate.domain.gates.context import GateContext
from sluicegate.domain.gates.schema import validate
from sluicegate.errors import FieldError

__all__ = ["SCHEMA_VERSION", "build_policy_input", "policy_input_schema", "validate_policy_input"]

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


@cache
def policy_input_schema() -> Mapping[str, Any]:
    """The published JSON Schema of the input document (package data, parsed once)."""
    text = resources.files("sluicegate").joinpath("resources/policy-input.schema.json").read_text()
    schema: Mapping[str, Any] = json.loads(text)
    return schema


def _without_required(schema: Any) -> Any:
    if isinstance(schema, Mapping):
        return {k: _without_required(v) for k, v in schema.items() if k != "required"}
    if isinstance(schema, list):
        return [_without_required(v) for v in schema]
    return schema


@cache
def _partial_schema() -> Mapping[str, Any]:
    partial: Mapping[str, Any] = _without_required(policy_input_schema())
    return partial


_MISSING = re.compile(r"^missing required property '(.+)'$")


def _field(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validate_policy_input(doc: Any, *, partial: bool = False) -> list[FieldError]:
    """Every way ``doc`` differs from the input document's schema, by field (empty: it matches).

    A missing property is named by its own path (``approvals[0].at``). ``partial`` accepts a
    document that leaves fields out, but still checks the names and types of those it has.
    """
    schema = _partial_schema() if partial else policy_input_schema()
    errors: list[FieldError] = []
    for violation in validate(doc, schema):
        path, reason = tuple(violation.path), violation.reason
        missing = _MISSING.match(reason)
        if missing is not None:
            path, reason = (*path, missing.group(1)), "required field is missing"
        errors.append(FieldError(_field(path) or "(document)", reason))
    return errors
