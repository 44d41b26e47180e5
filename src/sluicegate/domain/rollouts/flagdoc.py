"""Flag-target rollouts as flag documents: the desired weight and rings as flagd targeting.

The rolled-out flag's ``targeting`` becomes::

    {"if": [{"in": [{"var": "<ring_attribute>"}, [<ring segments>]]}, "<on>",
            {"fractional": [["<on>", w], ["<off>", 100 - w]]}]}

(without rings just the ``fractional``; at 0 % with no rings the flag's targeting from before the
rollout). Only this one flag changes; the rest of the flag set is left as it is, so writing the
same desired state twice yields the same document and the same content revision (idempotent).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sluicegate.domain.errors import FieldError, InvalidInput
from sluicegate.domain.rollouts.plan import Desired, Target

__all__ = ["apply_desired", "restore_flag"]


def _flag(document: Mapping[str, Any], target: Target) -> dict[str, Any]:
    flags = document.get("flags")
    flag = flags.get(target.flag) if isinstance(flags, Mapping) else None
    if not isinstance(flag, Mapping):
        raise InvalidInput(
            f"flag {target.flag!r} is not in flag set {target.flag_set}/{target.environment}",
            errors=[FieldError("target.flag", "not found in the flag set's current document")],
        )
    variants = flag.get("variants")
    for name in (target.on_variant, target.off_variant):
        if not isinstance(variants, Mapping) or name not in variants:
            raise InvalidInput(
                f"flag {target.flag!r} has no variant {name!r}",
                errors=[FieldError("target", f"variant {name!r} missing from the flag")],
            )
    return dict(flag)


def apply_desired(
    document: Mapping[str, Any],
    target: Target,
    desired: Desired,
    baseline_flag: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A copy of ``document`` whose target flag serves ``desired``."""
    out = copy.deepcopy(dict(document))
    flag = _flag(out, target)
    on, off = target.on_variant, target.off_variant
    if desired.weight == 0 and not desired.segments:
        if baseline_flag is not None:
            out["flags"][target.flag] = copy.deepcopy(dict(baseline_flag))
            return out
        flag["targeting"] = {}
        flag["defaultVariant"] = off
        out["flags"][target.flag] = flag
        return out
    split: Any = {"fractional": [[on, desired.weight], [off, 100 - desired.weight]]}
    if desired.weight == 0:
        split = off
    if desired.segments:
        ring = {"in": [{"var": target.ring_attribute}, list(desired.segments)]}
        flag["targeting"] = {"if": [ring, on, split]}
    else:
        flag["targeting"] = split
    flag["state"] = "ENABLED"
    out["flags"][target.flag] = flag
    return out


def restore_flag(
    document: Mapping[str, Any], target: Target, baseline_flag: Mapping[str, Any]
) -> dict[str, Any]:
    """A copy of ``document`` with the target flag as it was before the rollout (the rollback)."""
    out = copy.deepcopy(dict(document))
    _flag(out, target)
    out["flags"][target.flag] = copy.deepcopy(dict(baseline_flag))
    return out
