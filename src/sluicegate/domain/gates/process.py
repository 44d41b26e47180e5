"""Process definitions: stages as a DAG, and the gates guarding entry to each stage.

A :class:`Process` is the resolved form (templates already instantiated); :meth:`Process.to_dict`
is its canonical document, which :mod:`~sluicegate.domain.gates.loader` reads back and
:class:`~sluicegate.domain.gates.versions.ProcessVersion` hashes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sluicegate.domain.errors import NotFound
from sluicegate.domain.gates.errors import Location

__all__ = ["API_VERSION", "LIFECYCLE_CHECK", "Enforcement", "GateDef", "Process", "StageDef"]

API_VERSION = "sluicegate.dev/v1"
#: The gate id and type of the engine's built-in check of the experiment's lifecycle state
#: (reserved: a process cannot name a gate so).
LIFECYCLE_CHECK = "lifecycle"


class Enforcement(StrEnum):
    """advisory: reported, never blocks; soft-mandatory: blocks unless overridden; hard: blocks."""

    ADVISORY = "advisory"
    SOFT_MANDATORY = "soft-mandatory"
    HARD_MANDATORY = "hard-mandatory"


@dataclass(frozen=True, slots=True)
class GateDef:
    id: str
    type: str
    enforcement: Enforcement
    config: Mapping[str, Any]
    description: str = ""
    location: Location | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "enforcement": self.enforcement.value,
            "config": copy.deepcopy(dict(self.config)),
        }
        if self.description:
            doc["description"] = self.description
        return doc


@dataclass(frozen=True, slots=True)
class StageDef:
    name: str
    environment: str
    needs: tuple[str, ...]
    gates: tuple[GateDef, ...]
    description: str = ""

    def gate(self, gate_id: str) -> GateDef:
        for gate in self.gates:
            if gate.id == gate_id:
                return gate
        raise NotFound(f"stage {self.name} has no gate {gate_id!r}")

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": self.name,
            "environment": self.environment,
            "needs": list(self.needs),
            "gates": [g.to_dict() for g in self.gates],
        }
        if self.description:
            doc["description"] = self.description
        return doc


@dataclass(frozen=True, slots=True)
class Process:
    """A validated process; ``extends`` records the template and parameter values it used."""

    name: str
    entry: str
    stages: tuple[StageDef, ...]
    description: str = ""
    extends: Mapping[str, Any] | None = field(default=None, compare=False)

    def stage(self, name: str) -> StageDef:
        for stage in self.stages:
            if stage.name == name:
                return stage
        known = ", ".join(s.name for s in self.stages)
        raise NotFound(f"process {self.name} has no stage {name!r}", hint=f"Stages: {known}.")

    def next_stages(self, name: str) -> tuple[str, ...]:
        """The stages that may follow ``name``."""
        return tuple(s.name for s in self.stages if name in s.needs)

    def to_dict(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": self.name}
        if self.description:
            metadata["description"] = self.description
        return {
            "apiVersion": API_VERSION,
            "kind": "Process",
            "metadata": metadata,
            "entry": self.entry,
            "stages": [s.to_dict() for s in self.stages],
        }
