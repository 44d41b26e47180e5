"""Flags: governed flag sets, revisions, four-eyes change requests and scoped tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluicegate.service.lazy import exports

if TYPE_CHECKING:
    from sluicegate.service.flags.changes import (
        apply_change_request as apply_change_request,
    )
    from sluicegate.service.flags.changes import (
        apply_due as apply_due,
    )
    from sluicegate.service.flags.changes import (
        approve as approve,
    )
    from sluicegate.service.flags.changes import (
        get_change_request as get_change_request,
    )
    from sluicegate.service.flags.changes import (
        list_change_requests as list_change_requests,
    )
    from sluicegate.service.flags.changes import (
        reject as reject,
    )
    from sluicegate.service.flags.changes import (
        write_change_request as write_change_request,
    )
    from sluicegate.service.flags.commands import (
        create as create,
    )
    from sluicegate.service.flags.commands import (
        put_document as put_document,
    )
    from sluicegate.service.flags.commands import (
        rollback as rollback,
    )
    from sluicegate.service.flags.commands import (
        update_settings as update_settings,
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
    from sluicegate.service.flags.queries import (
        diff_preview as diff_preview,
    )
    from sluicegate.service.flags.queries import (
        get as get,
    )
    from sluicegate.service.flags.queries import (
        get_revision as get_revision,
    )
    from sluicegate.service.flags.queries import (
        history as history,
    )
    from sluicegate.service.flags.queries import (
        list_sets as list_sets,
    )
    from sluicegate.service.flags.revisions import (
        Change as Change,
    )
    from sluicegate.service.flags.revisions import (
        check_document as check_document,
    )
    from sluicegate.service.flags.revisions import (
        load_set as load_set,
    )
    from sluicegate.service.flags.revisions import (
        open_change_request as open_change_request,
    )
    from sluicegate.service.flags.revisions import (
        refuse_new_findings as refuse_new_findings,
    )
    from sluicegate.service.flags.revisions import (
        stored_findings as stored_findings,
    )
    from sluicegate.service.flags.revisions import (
        submit_change as submit_change,
    )
    from sluicegate.service.flags.revisions import (
        validate_document as validate_document,
    )
    from sluicegate.service.flags.revisions import (
        write_revision as write_revision,
    )
    from sluicegate.service.flags.tokens import (
        FLAG_TOKEN_PREFIX as FLAG_TOKEN_PREFIX,
    )
    from sluicegate.service.flags.tokens import (
        Access as Access,
    )
    from sluicegate.service.flags.tokens import (
        cached_access as cached_access,
    )
    from sluicegate.service.flags.tokens import (
        current_head as current_head,
    )
    from sluicegate.service.flags.tokens import (
        issue_token as issue_token,
    )
    from sluicegate.service.flags.tokens import (
        list_tokens as list_tokens,
    )
    from sluicegate.service.flags.tokens import (
        load_current as load_current,
    )
    from sluicegate.service.flags.tokens import (
        resolve_access as resolve_access,
    )
    from sluicegate.service.flags.tokens import (
        revoke_token as revoke_token,
    )
    from sluicegate.service.flags.views import (
        change_request_dict as change_request_dict,
    )
    from sluicegate.service.flags.views import (
        entity_name as entity_name,
    )
    from sluicegate.service.flags.views import (
        findings_list as findings_list,
    )
    from sluicegate.service.flags.views import (
        flag_set_dict as flag_set_dict,
    )
    from sluicegate.service.flags.views import (
        revision_dict as revision_dict,
    )
    from sluicegate.service.flags.views import (
        token_dict as token_dict,
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
    "cached_access",
    "change_request_dict",
    "check_document",
    "create",
    "current_head",
    "diff_preview",
    "entity_name",
    "findings_list",
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
    "load_set",
    "open_change_request",
    "put_document",
    "refuse_new_findings",
    "reject",
    "resolve_access",
    "revision_dict",
    "revoke_token",
    "rollback",
    "stored_findings",
    "submit_change",
    "token_dict",
    "update_settings",
    "validate_document",
    "write_change_request",
    "write_revision",
]

_TABLE = {
    "Access": "tokens",
    "Change": "revisions",
    "FLAG_TOKEN_PREFIX": "tokens",
    "FlagChangeRequestRecord": "ports",
    "FlagHead": "ports",
    "FlagRepository": "ports",
    "FlagRevisionRecord": "ports",
    "FlagSetRecord": "ports",
    "FlagTokenRecord": "ports",
    "apply_change_request": "changes",
    "apply_due": "changes",
    "approve": "changes",
    "change_request_dict": "views",
    "check_document": "revisions",
    "findings_list": "views",
    "create": "commands",
    "current_head": "tokens",
    "diff_preview": "queries",
    "entity_name": "views",
    "flag_set_dict": "views",
    "get": "queries",
    "get_change_request": "changes",
    "get_revision": "queries",
    "history": "queries",
    "issue_token": "tokens",
    "list_change_requests": "changes",
    "list_sets": "queries",
    "list_tokens": "tokens",
    "load_current": "tokens",
    "load_set": "revisions",
    "open_change_request": "revisions",
    "put_document": "commands",
    "refuse_new_findings": "revisions",
    "reject": "changes",
    "resolve_access": "tokens",
    "cached_access": "tokens",
    "revision_dict": "views",
    "revoke_token": "tokens",
    "rollback": "commands",
    "stored_findings": "revisions",
    "submit_change": "revisions",
    "token_dict": "views",
    "update_settings": "commands",
    "validate_document": "revisions",
    "write_change_request": "changes",
    "write_revision": "revisions",
}
__getattr__, __dir__ = exports(__name__, _TABLE)
