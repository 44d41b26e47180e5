"""Flag sets as governed documents: names, policies, the revision diff and change-request states.

Pure logic only; the flag engine (``sluicegate.flags``) validates the documents themselves.

Governance rules (docs/flags.md, "Governance"):

* a flag set's policy is ``{"require_approval": bool}``; when absent, approval is required in the
  ``production`` environment and nowhere else;
* a change to a flag set that requires approval becomes a *change request* (``pending``); a
  reviewer (role reviewer or admin) other than its author approves or rejects it; an approved
  request is applied by hand or, when it has an ``apply_at``, by the scheduler once due;
* a request whose base revision is no longer current when it is applied is ``superseded``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sluicegate.domain.errors import FieldError, InvalidInput, InvalidTransition

__all__ = [
    "CR_FINAL_STATES",
    "CR_TRANSITIONS",
    "DEFAULT_APPROVAL_ENVIRONMENTS",
    "EMPTY_DOCUMENT",
    "NAME_PATTERN",
    "ChangeRequestState",
    "check_change_request",
    "diff_documents",
    "diff_summary",
    "parse_policy",
    "requires_approval",
    "validate_name",
]

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
_NAME = re.compile(NAME_PATTERN)

#: Environments where a flag set without an explicit policy requires four-eyes approval.
DEFAULT_APPROVAL_ENVIRONMENTS = frozenset({"production"})

EMPTY_DOCUMENT: Mapping[str, Any] = {"flags": {}}

_POLICY_KEYS = {"require_approval": bool}


class ChangeRequestState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPLIED = "applied"
    SUPERSEDED = "superseded"


CR_FINAL_STATES = frozenset(
    {ChangeRequestState.REJECTED, ChangeRequestState.APPLIED, ChangeRequestState.SUPERSEDED}
)

#: A request is decided once (approved or rejected); an approved one is applied, or superseded
#: when the flag set moved on before it was due.
CR_TRANSITIONS: Mapping[ChangeRequestState, tuple[ChangeRequestState, ...]] = {
    ChangeRequestState.PENDING: (ChangeRequestState.APPROVED, ChangeRequestState.REJECTED),
    ChangeRequestState.APPROVED: (ChangeRequestState.APPLIED, ChangeRequestState.SUPERSEDED),
    ChangeRequestState.REJECTED: (),
    ChangeRequestState.APPLIED: (),
    ChangeRequestState.SUPERSEDED: (),
}


def check_change_request(current: ChangeRequestState, target: ChangeRequestState) -> None:
    """Raise :class:`InvalidTransition` naming the allowed targets unless current -> target."""
    allowed = CR_TRANSITIONS[current]
    if target not in allowed:
        raise InvalidTransition(
            f"a {current.value} change request cannot become {target.value}",
            allowed=[s.value for s in allowed],
        )


def validate_name(value: str, field: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise InvalidInput(
            f"invalid {field} {value!r}",
            errors=[FieldError(field, "2-63 characters: a-z, 0-9 and '-', not starting with '-'")],
        )
    return value


def parse_policy(value: object) -> dict[str, Any]:
    """Validate a flag-set policy; unknown keys and wrong types are refused with the field."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(
            "policy must be an object", errors=[FieldError("policy", "not an object")]
        )
    out: dict[str, Any] = {}
    for key, item in value.items():
        kind = _POLICY_KEYS.get(str(key))
        if kind is None:
            raise InvalidInput(
                f"unknown policy key {key!r}",
                errors=[FieldError(f"policy.{key}", f"known keys: {', '.join(_POLICY_KEYS)}")],
            )
        if not isinstance(item, kind):
            raise InvalidInput(
                f"policy.{key} must be a {kind.__name__}",
                errors=[FieldError(f"policy.{key}", f"expected {kind.__name__}")],
            )
        out[str(key)] = item
    return out


def requires_approval(environment: str, policy: Mapping[str, Any]) -> bool:
    explicit = policy.get("require_approval")
    if isinstance(explicit, bool):
        return explicit
    return environment in DEFAULT_APPROVAL_ENVIRONMENTS


def _section(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    added = {k: after[k] for k in after if k not in before}
    removed = {k: before[k] for k in before if k not in after}
    changed = {
        k: {"before": before[k], "after": after[k]}
        for k in after
        if k in before and before[k] != after[k]
    }
    return {"added": added, "removed": removed, "changed": changed}


def _mapping(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, Mapping) else {}


def diff_documents(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON diff of two flagd documents: flags (and shared evaluators) added/removed/changed.

    ``metadata`` appears only when the flag set's metadata changed.
    """
    out: dict[str, Any] = {"flags": _section(_mapping(before, "flags"), _mapping(after, "flags"))}
    evaluators = _section(_mapping(before, "$evaluators"), _mapping(after, "$evaluators"))
    if any(evaluators.values()):
        out["$evaluators"] = evaluators
    if _mapping(before, "metadata") != _mapping(after, "metadata"):
        out["metadata"] = {
            "before": dict(_mapping(before, "metadata")),
            "after": dict(_mapping(after, "metadata")),
        }
    return out


def diff_summary(diff: Mapping[str, Any]) -> str:
    """``+added -removed ~changed`` over the flags, for tables and audit listings."""
    flags = diff.get("flags", {})
    added, removed, changed = (len(flags.get(k, {})) for k in ("added", "removed", "changed"))
    extra = [name for name in ("$evaluators", "metadata") if name in diff]
    tail = f" (+{', '.join(extra)})" if extra else ""
    return f"+{added} -{removed} ~{changed}{tail}"
