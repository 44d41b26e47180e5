"""Flags: governed flag sets, revisions, four-eyes change requests and scoped tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluicegate.service.lazy import exports

if TYPE_CHECKING:
    from sluicegate.service.flags.commands import (
        FLAG_TOKEN_PREFIX as FLAG_TOKEN_PREFIX,
    )
    from sluicegate.service.flags.commands import (
        Access as Access,
    )
    from sluicegate.service.flags.commands import (
        Change as Change,
    )
    from sluicegate.service.flags.commands import (
        apply_change_request as apply_change_request,
    )
    from sluicegate.service.flags.commands import (
        apply_due as apply_due,
    )
    from sluicegate.service.flags.commands import (
        approve as approve,
    )
    from sluicegate.service.flags.commands import (
        change_request_dict as change_request_dict,
    )
    from sluicegate.service.flags.commands import (
        create as create,
    )
    from sluicegate.service.flags.commands import (
        current_head as current_head,
    )
    from sluicegate.service.flags.commands import (
        diff_preview as diff_preview,
    )
    from sluicegate.service.flags.commands import (
        flag_set_dict as flag_set_dict,
    )
    from sluicegate.service.flags.commands import (
        get as get,
    )
    from sluicegate.service.flags.commands import (
        get_change_request as get_change_request,
    )
    from sluicegate.service.flags.commands import (
        get_revision as get_revision,
    )
    from sluicegate.service.flags.commands import (
        history as history,
    )
    from sluicegate.service.flags.commands import (
        issue_token as issue_token,
    )
    from sluicegate.service.flags.commands import (
        list_change_requests as list_change_requests,
    )
    from sluicegate.service.flags.commands import (
        list_sets as list_sets,
    )
    from sluicegate.service.flags.commands import (
        list_tokens as list_tokens,
    )
    from sluicegate.service.flags.commands import (
        load_current as load_current,
    )
    from sluicegate.service.flags.commands import (
        put_document as put_document,
    )
    from sluicegate.service.flags.commands import (
        reject as reject,
    )
    from sluicegate.service.flags.commands import (
        resolve_access as resolve_access,
    )
    from sluicegate.service.flags.commands import (
        revision_dict as revision_dict,
    )
    from sluicegate.service.flags.commands import (
        revoke_token as revoke_token,
    )
    from sluicegate.service.flags.commands import (
        rollback as rollback,
    )
    from sluicegate.service.flags.commands import (
        token_dict as token_dict,
    )
    from sluicegate.service.flags.commands import (
        update_settings as update_settings,
    )
    from sluicegate.service.flags.commands import (
        validate_document as validate_document,
    )
    from sluicegate.service.flags.ports import (
        FlagChangeRequestRecord as FlagChangeRequestRecord,
    )
    from sluicegate.service.flags.ports import (
        FlagHead as FlagHead,
    )
    from sluicegate.service.flags.ports import (
        FlagRepository as FlagRepository,
    )
    from sluicegate.service.flags.ports import (
        FlagRevisionRecord as FlagRevisionRecord,
    )
    from sluicegate.service.flags.ports import (
        FlagSetRecord as FlagSetRecord,
    )
    from sluicegate.service.flags.ports import (
        FlagTokenRecord as FlagTokenRecord,
    )

__all__ = [
    "FLAG_TOKEN_PREFIX",
    "Access",
    "Change",
    "FlagChangeRequestRecord",
    "FlagHead",
    "FlagRepository",
    "FlagRevisionRecord",
    "FlagSetRecord",
    "FlagTokenRecord",
    "apply_change_request",
    "apply_due",
    "approve",
    "change_request_dict",
    "create",
    "current_head",
    "diff_preview",
    "flag_set_dict",
    "get",
    "get_change_request",
    "get_revision",
    "history",
    "issue_token",
    "list_change_requests",
    "list_sets",
    "list_tokens",
    "load_current",
    "put_document",
    "reject",
    "resolve_access",
    "revision_dict",
    "revoke_token",
    "rollback",
    "token_dict",
    "update_settings",
    "validate_document",
]

_TABLE = {
    "Access": "commands",
    "Change": "commands",
    "FLAG_TOKEN_PREFIX": "commands",
    "FlagChangeRequestRecord": "ports",
    "FlagHead": "ports",
    "FlagRepository": "ports",
    "FlagRevisionRecord": "ports",
    "FlagSetRecord": "ports",
    "FlagTokenRecord": "ports",
    "apply_change_request": "commands",
    "apply_due": "commands",
    "approve": "commands",
    "change_request_dict": "commands",
    "create": "commands",
    "current_head": "commands",
    "diff_preview": "commands",
    "flag_set_dict": "commands",
    "get": "commands",
    "get_change_request": "commands",
    "get_revision": "commands",
    "history": "commands",
    "issue_token": "commands",
    "list_change_requests": "commands",
    "list_sets": "commands",
    "list_tokens": "commands",
    "load_current": "commands",
    "put_document": "commands",
    "reject": "commands",
    "resolve_access": "commands",
    "revision_dict": "commands",
    "revoke_token": "commands",
    "rollback": "commands",
    "token_dict": "commands",
    "update_settings": "commands",
    "validate_document": "commands",
}
__getattr__, __dir__ = exports(__name__, _TABLE)
