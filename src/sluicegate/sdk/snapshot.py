"""An immutable, compiled revision of a flag set: what the provider's hot path reads."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openfeature.flag_evaluation import FlagResolutionDetails

    from sluicegate.flags import CompiledFlagSet, Resolution

__all__ = ["MEMO_LIMIT", "FlagSnapshot", "changed_flag_keys", "compile_snapshot"]

MEMO_LIMIT = 4096  # per value type; bounds memory if the engine ever returns fresh objects


def _static_caches() -> dict[type, dict[str, FlagResolutionDetails[Any]]]:
    return {bool: {}, str: {}, int: {}, float: {}, object: {}}


def _memos() -> dict[type, dict[int, tuple[Resolution, FlagResolutionDetails[Any]]]]:
    return {bool: {}, str: {}, int: {}, float: {}, object: {}}


@dataclass(frozen=True, slots=True, eq=False)
class FlagSnapshot:
    """A compiled flag set with the document it came from and its revision.

    ``static`` memoises the resolution details of context-independent (STATIC) results by flag
    key, and ``memo`` those of any successful result by the identity of the engine's (interned)
    ``Resolution``; both hold one dict per requested value type and die with the snapshot, so a new
    revision never sees stale entries.
    """

    flags: CompiledFlagSet
    definition: Mapping[str, Any]
    etag: str | None
    revision: str | None
    static: dict[type, dict[str, FlagResolutionDetails[Any]]] = field(
        default_factory=_static_caches
    )
    memo: dict[type, dict[int, tuple[Resolution, FlagResolutionDetails[Any]]]] = field(
        default_factory=_memos
    )


def compile_snapshot(
    definition: Mapping[str, Any],
    etag: str | None,
    revision: str | None,
    bucketing: str | None = None,
) -> FlagSnapshot:
    """Compile a flagd document; raises ``sluicegate.flags.FlagDefinitionError`` if invalid."""
    from sluicegate.flags import compile_flag_set

    return FlagSnapshot(
        compile_flag_set(definition, bucketing=bucketing), definition, etag, revision
    )


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _flags(definition: Mapping[str, Any]) -> Mapping[str, Any]:
    flags = definition.get("flags")
    return flags if isinstance(flags, Mapping) else {}


def changed_flag_keys(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """Keys of flags added, removed or redefined between two flagd documents, sorted.

    A change to shared ``$evaluators`` counts for every flag whose rules use ``$ref``; a change
    to the flag-set ``metadata`` (merged into every flag's metadata) counts for every flag.
    """
    new_flags = _flags(new)
    if old is None:
        return sorted(new_flags)
    old_flags = _flags(old)
    changed = set(old_flags.keys() ^ new_flags.keys())
    everything = _canonical(old.get("metadata")) != _canonical(new.get("metadata"))
    refs_changed = _canonical(old.get("$evaluators")) != _canonical(new.get("$evaluators"))
    for key in old_flags.keys() & new_flags.keys():
        new_text = _canonical(new_flags[key])
        if (
            everything
            or new_text != _canonical(old_flags[key])
            or (refs_changed and '"$ref"' in new_text)
        ):
            changed.add(key)
    return sorted(changed)
