"""Overrides: the recorded, justified, expiring permission to pass a soft-mandatory gate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sluicegate.domain.errors import FieldError
from sluicegate.domain.gates.errors import InvalidOverride

__all__ = ["Override", "validate_override"]


@dataclass(frozen=True, slots=True)
class Override:
    """Who lets which gate of which stage pass for which experiment, why, and until when."""

    gate: str
    stage: str
    experiment: str
    justification: str
    expires_at: datetime | None
    by: str
    created_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.expires_at is not None and now < self.expires_at

    def matches(self, gate: str, stage: str, experiment: str) -> bool:
        return (self.gate, self.stage, self.experiment) == (gate, stage, experiment)

    def to_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "stage": self.stage,
            "experiment": self.experiment,
            "justification": self.justification,
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
            "by": self.by,
            "created_at": None if self.created_at is None else self.created_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Override:
        def when(key: str) -> datetime | None:
            raw = doc.get(key)
            return None if raw is None else datetime.fromisoformat(raw)

        return cls(
            gate=doc["gate"],
            stage=doc["stage"],
            experiment=doc["experiment"],
            justification=doc["justification"],
            expires_at=when("expires_at"),
            by=doc["by"],
            created_at=when("created_at"),
        )


def validate_override(override: Override, now: datetime) -> Override:
    """Return ``override`` if it may be recorded at ``now``; raise :class:`InvalidOverride`."""
    errors: list[FieldError] = []
    if not override.justification.strip():
        errors.append(FieldError("justification", "an override needs a justification"))
    if override.expires_at is None:
        errors.append(FieldError("expires_at", "an override needs an expiry"))
    elif override.expires_at.tzinfo is None:
        errors.append(FieldError("expires_at", "the expiry must be timezone-aware"))
    elif override.expires_at <= now:
        errors.append(FieldError("expires_at", "the expiry must be in the future"))
    for name in ("gate", "stage", "experiment", "by"):
        if not str(getattr(override, name)).strip():
            errors.append(FieldError(name, "required"))
    if errors:
        reasons = "; ".join(f"{e.field}: {e.reason}" for e in errors)
        raise InvalidOverride(f"override rejected: {reasons}", errors=errors)
    return override
