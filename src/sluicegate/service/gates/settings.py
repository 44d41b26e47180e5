"""Gate settings kept in the store: the review board and the environments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.errors import FieldError, InvalidInput, NotFound
from sluicegate.domain.events import AuditAction
from sluicegate.domain.gates import (
    EnvironmentInfo,
    ReviewBoard,
)
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext

__all__ = [
    "GATE_SETTINGS",
    "set_gate_setting",
]


GATE_SETTINGS = ("review_board", "environments")


def _check_environments(value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(
            "environments must map names to settings",
            errors=[FieldError("environments", "an object")],
        )
    out: dict[str, Any] = {}
    for name, doc in value.items():
        if not isinstance(doc, Mapping):
            raise InvalidInput(
                f"environment {name!r} must be an object",
                errors=[FieldError(f"environments.{name}", "an object")],
            )
        try:
            info = EnvironmentInfo.from_dict({**doc, "name": str(name)})
            ZoneInfo(info.timezone)
        except (ValueError, TypeError, KeyError, ZoneInfoNotFoundError) as exc:
            raise InvalidInput(
                f"environment {name!r} is invalid: {exc}",
                errors=[FieldError(f"environments.{name}", str(exc))],
            ) from exc
        out[str(name)] = {k: v for k, v in info.to_dict().items() if k != "name"}
    return out


def set_gate_setting(
    deps: Deps, ctx: RequestContext, name: str, value: object
) -> dict[str, Any] | None:
    """Replace the review board (``null`` removes it) or the environment settings (admin)."""
    authorize(ctx.principal, Action.SETTINGS_WRITE)
    stored: dict[str, Any] | None
    if name == "review_board":
        if value is None:
            stored = None
        else:
            try:
                if not isinstance(value, Mapping):
                    raise TypeError("expected an object {name, members, seats, quorum}")
                stored = ReviewBoard.from_dict(value).to_dict()
            except (ValueError, TypeError, KeyError) as exc:
                raise InvalidInput(
                    f"invalid review board: {exc}", errors=[FieldError("review_board", str(exc))]
                ) from exc
    elif name == "environments":
        stored = _check_environments(value)
    else:
        raise NotFound(f"no gate setting {name!r}", hint=f"One of {', '.join(GATE_SETTINGS)}.")
    with deps.uow() as uow:
        before = uow.settings.get(name)
        uow.settings.put(name, stored, deps.clock.now())
        record(
            deps,
            uow,
            ctx,
            AuditAction.SETTINGS_UPDATE,
            "settings",
            name,
            before=before,
            after=stored,
        )
    return stored
