"""Chaos Toolkit journals (``chaos run`` writes ``journal.json``) and the blast-radius convention.

The declared blast radius is read, in this order, from

1. an experiment extension ``{"name": "sluicegate", "blast_radius": {"scope": "checkout",
   "max_pct_users": 5}}``;
2. the experiment configuration key ``sluicegate_blast_radius`` holding the same object;
3. experiment tags ``sluicegate:blast-radius-scope=<scope>`` and
   ``sluicegate:blast-radius-pct=<number>``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluicegate.domain.gates.evidence.document import parse_json
from sluicegate.domain.gates.evidence.errors import DEFAULT_MAX_BYTES, EvidenceError

__all__ = ["CHAOS_STATUSES", "BlastRadius", "ChaosFacts", "parse_chaos_journal"]

_KIND = "chaos-toolkit"
CHAOS_STATUSES = ("completed", "failed", "aborted", "interrupted")
_TAG_SCOPE = "sluicegate:blast-radius-scope="
_TAG_PCT = "sluicegate:blast-radius-pct="


@dataclass(frozen=True, slots=True)
class BlastRadius:
    scope: str | None
    max_pct_users: float | None
    source: str  # "extension", "configuration" or "tags"

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "max_pct_users": self.max_pct_users, "source": self.source}


@dataclass(frozen=True, slots=True)
class ChaosFacts:
    title: str
    status: str
    deviated: bool
    steady_state_before: bool | None
    steady_state_after: bool | None
    duration_s: float | None
    blast_radius: BlastRadius | None

    kind = _KIND
    namespace = "chaos"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "status": self.status,
            "deviated": self.deviated,
            "steady_state_before": self.steady_state_before,
            "steady_state_after": self.steady_state_after,
            "duration_s": self.duration_s,
            "blast_radius": None if self.blast_radius is None else self.blast_radius.to_dict(),
        }


def _pct(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError as exc:
            raise EvidenceError(_KIND, f"{where} {value!r} is not a number") from exc
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EvidenceError(_KIND, f"{where} must be a number")
    if not 0 <= value <= 100:
        raise EvidenceError(_KIND, f"{where} {value} is not a percentage within [0, 100]")
    return float(value)


def _radius(obj: Any, source: str) -> BlastRadius:
    where = f"blast_radius ({source})"
    if not isinstance(obj, Mapping):
        raise EvidenceError(_KIND, f"{where} must be an object")
    scope = obj.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise EvidenceError(_KIND, f"{where}.scope must be a string")
    return BlastRadius(scope, _pct(obj.get("max_pct_users"), f"{where}.max_pct_users"), source)


def _blast_radius(experiment: Mapping[str, Any]) -> BlastRadius | None:
    extensions = experiment.get("extensions")
    if isinstance(extensions, list):
        for ext in extensions:
            if (
                isinstance(ext, Mapping)
                and ext.get("name") == "sluicegate"
                and "blast_radius" in ext
            ):
                return _radius(ext["blast_radius"], "extension")
    configuration = experiment.get("configuration")
    if isinstance(configuration, Mapping) and "sluicegate_blast_radius" in configuration:
        return _radius(configuration["sluicegate_blast_radius"], "configuration")
    tags = experiment.get("tags")
    if isinstance(tags, list):
        scope = next((t[len(_TAG_SCOPE) :] for t in tags if str(t).startswith(_TAG_SCOPE)), None)
        pct = next((t[len(_TAG_PCT) :] for t in tags if str(t).startswith(_TAG_PCT)), None)
        if scope is not None or pct is not None:
            return BlastRadius(scope, _pct(pct, "tag blast-radius-pct"), "tags")
    return None


def _steady(states: Any, phase: str) -> bool | None:
    if not isinstance(states, Mapping):
        return None
    state = states.get(phase)
    if state is None:
        return None
    if not isinstance(state, Mapping) or not isinstance(state.get("steady_state_met"), bool):
        raise EvidenceError(_KIND, f"steady_states.{phase}.steady_state_met must be a boolean")
    return bool(state["steady_state_met"])


def parse_chaos_journal(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ChaosFacts:
    journal = parse_json(_KIND, data, max_bytes=max_bytes)
    if not isinstance(journal, dict):
        raise EvidenceError(_KIND, "journal must be a JSON object")
    experiment = journal.get("experiment")
    if not isinstance(experiment, dict):
        hint = " (this looks like an experiment file, not a journal)"
        missing_hint = hint if "method" in journal and "status" not in journal else ""
        raise EvidenceError(_KIND, f"journal has no 'experiment' object{missing_hint}")
    status = journal.get("status")
    if status not in CHAOS_STATUSES:
        raise EvidenceError(_KIND, f"status {status!r} is not one of {', '.join(CHAOS_STATUSES)}")
    deviated = journal.get("deviated", False)
    if not isinstance(deviated, bool):
        raise EvidenceError(_KIND, "deviated must be a boolean")
    duration = journal.get("duration")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int | float)
    ):
        raise EvidenceError(_KIND, "duration must be a number of seconds")
    states = journal.get("steady_states")
    return ChaosFacts(
        title=str(experiment.get("title", "")),
        status=str(status),
        deviated=deviated,
        steady_state_before=_steady(states, "before"),
        steady_state_after=_steady(states, "after"),
        duration_s=None if duration is None else float(duration),
        blast_radius=_blast_radius(experiment),
    )
