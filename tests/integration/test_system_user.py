"""The built-in, disabled ``system`` user (migration 0008): for foreign keys, never a login."""

from __future__ import annotations

import pytest
from tests.support.app import Harness

from sluicegate.domain.access.identity import Role
from sluicegate.domain.errors import Conflict
from sluicegate.service.access import identity
from sluicegate.service.context import SYSTEM, RequestContext


def test_system_row_exists_disabled_and_is_not_listed(harness: Harness) -> None:
    deps = harness.container.deps
    with deps.uow(readonly=True) as uow:
        row = uow.users.get(SYSTEM.user_id)
        assert row is not None
        assert (row.username, row.disabled) == ("system", True)
        listed = [u.username for u in uow.users.list_all()]
        assert "system" not in listed
        assert uow.users.count() == len(listed)
    r = harness.call("admin", "GET", "/api/v1/users")
    assert r.status_code == 200
    assert "system" not in [u["username"] for u in r.json()["items"]]


def test_nobody_gets_a_token_for_it_or_takes_its_name(harness: Harness) -> None:
    deps = harness.container.deps
    admin = RequestContext(identity.authenticate(deps, harness.tokens["admin"]))
    before = harness.counts()
    with pytest.raises(Conflict, match="disabled"):
        identity.issue_token(deps, admin, name="x", username="system")
    with pytest.raises(Conflict):
        identity.create_user(deps, admin, "system", "Impostor", Role.ADMIN, frozenset(), [])
    assert harness.counts() == before
