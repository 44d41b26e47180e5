"""Access: users, teams, API tokens (identity) and just-in-time elevated access (jit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluicegate.service.lazy import exports

if TYPE_CHECKING:
    from sluicegate.service.access.ports import (
        JitRecord as JitRecord,
    )
    from sluicegate.service.access.ports import (
        JitRepository as JitRepository,
    )
    from sluicegate.service.access.ports import (
        TeamRecord as TeamRecord,
    )
    from sluicegate.service.access.ports import (
        TeamRepository as TeamRepository,
    )
    from sluicegate.service.access.ports import (
        TokenRecord as TokenRecord,
    )
    from sluicegate.service.access.ports import (
        TokenRepository as TokenRepository,
    )
    from sluicegate.service.access.ports import (
        UserRecord as UserRecord,
    )
    from sluicegate.service.access.ports import (
        UserRepository as UserRepository,
    )

__all__ = [
    "JitRecord",
    "JitRepository",
    "TeamRecord",
    "TeamRepository",
    "TokenRecord",
    "TokenRepository",
    "UserRecord",
    "UserRepository",
]

_TABLE = {
    "JitRecord": "ports",
    "JitRepository": "ports",
    "TeamRecord": "ports",
    "TeamRepository": "ports",
    "TokenRecord": "ports",
    "TokenRepository": "ports",
    "UserRecord": "ports",
    "UserRepository": "ports",
}
__getattr__, __dir__ = exports(__name__, _TABLE)
