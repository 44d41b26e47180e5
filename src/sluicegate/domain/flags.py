"""Flag sets as governed documents: names, policies, the revision diff and change-request states.

Pure logic only; the flag engine (``sluicegate.flags``) validates the documents themselves.

Governance rules (docs/flags.md, "Governance"):

* a flag set's policy is ``{"require_approval": bool, "findings": "refuse" | "warn"}``; when
  absent, approval is required in the ``production`` environment and nowhere else;
* problems the flag engine finds in a document (``sluicegate.flags.Finding``: an unknown
  operator, an unknown variant, invalid fractional weights...) load and evaluate as flagd does;
  a write reports every one with its JSON pointer, and refuses the *new* ones (those the current
  revision does not already have) when the policy says ``findings: refuse`` - by default in
  ``production``, while other environments warn. A document that cannot be loaded at all is
  always refused;
* a change to a flag set that requires approval becomes a *change request* (``pending``); a
  reviewer (role reviewer or admin) other than its author approves or rejects it; an approved
  request is applied by hand or, when it has an ``apply_at``, by the scheduler once due;
* a request whose base revision is no longer current when it is applied is ``superseded``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from sluicegate.domain.errors import FieldError, InvalidInput, InvalidTransition
from sluicegate.flags import Finding

__all__ = [
    "CR_FINAL_STATES",
    "CR_TRANSITIONS",
    "DEFAULT_APPROVAL_ENVIRONMENTS",
    "EMPTY_DOCUMENT",
    "NAME_PATTERN",
    "ChangeRequestState",
    "FindingsMode",
    "check_change_request",
    "diff_documents",
    "diff_summary",
    "findings_mode",
    "new_findings",
    "parse_policy",
    "refused_findings",
    "requires_approval",
    "validate_name",
]

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
_NAME = re.compile(NAME_PATTERN)

#: Environments where a flag set without an explicit policy requires four-eyes approval.
DEFAULT_APPROVAL_ENVIRONMENTS = frozenset({"production"})

EMPTY_DOCUMENT: Mapping[str, Any] = {"flags": {}}


class FindingsMode(StrEnum):
    """What a write does with new problems in its document (``policy.findings``)."""

    REFUSE = "refuse"
    WARN = "warn"


_POLICY_KEYS: dict[str, type] = {"require_approval": bool, "findings": FindingsMode}


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
    if not isinstance(value, str) or not _NAME.match(value):
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
        if kind is FindingsMode:
            choices = [mode.value for mode in FindingsMode]
            if item not in choices:
                raise InvalidInput(
                    f"policy.{key} must be one of {', '.join(choices)}",
                    errors=[FieldError(f"policy.{key}", f"expected one of {', '.join(choices)}")],
                )
        elif not isinstance(item, kind):
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


def findings_mode(environment: str, policy: Mapping[str, Any]) -> FindingsMode:
    """``policy.findings``; absent: refuse in the approval environments (production), else warn."""
    explicit = policy.get("findings")
    if explicit in tuple(FindingsMode):
        return FindingsMode(explicit)
    return (
        FindingsMode.REFUSE if environment in DEFAULT_APPROVAL_ENVIRONMENTS else FindingsMode.WARN
    )


def new_findings(findings: Iterable[Finding], existing: Iterable[Finding]) -> tuple[Finding, ...]:
    """The findings the current document does not already have (same pointer and reason)."""
    known = {(f.pointer, f.reason) for f in existing}
    return tuple(f for f in findings if (f.pointer, f.reason) not in known)


def refused_findings(
    environment: str,
    policy: Mapping[str, Any],
    findings: Iterable[Finding],
    existing: Iterable[Finding],
) -> tuple[Finding, ...]:
    """The new findings a write must refuse: none when the flag set warns."""
    if findings_mode(environment, policy) is FindingsMode.WARN:
        return ()
    return new_findings(findings, existing)


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
