"""SLO records and their repository Protocol: append-only revisions per (service, name)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

__all__ = ["SloRepository", "StoredSlo"]


@dataclass(frozen=True, slots=True)
class StoredSlo:
    """One stored revision of an SLO: revision 1 is the first apply."""

    service: str
    name: str
    revision: int
    format: str  # "openslo" or "sloth"
    source: str  # the input's text, as applied
    filename: str | None
    spec: dict[str, Any]  # the normalised spec (domain/slo/stored.py slo_to_dict)
    objective: float
    window_days: int
    recorded_at: datetime
    recorded_by: str


class SloRepository(Protocol):
    def history(self, service: str, name: str) -> list[StoredSlo]:
        """Every revision of the SLO, oldest first."""
        ...

    def latest(self, service: str, name: str) -> StoredSlo | None: ...
    def append(self, stored: StoredSlo) -> None: ...
    def list_latest(self, *, service: str | None = None) -> Sequence[StoredSlo]:
        """The latest revision of every SLO (of ``service``), by service and name."""
        ...
