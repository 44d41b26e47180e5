"""Tokens issued through a token are its children (issue 11, section 2).

A child never outlives its parent, never carries a higher role, and is revoked with it; tokens
have an admin-set maximum lifetime, each user a cap on active tokens, and who may issue tokens
for themselves is a setting (contributor and above by default).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.support.service import ServiceWorld

from sluicegate.domain.access.identity import Role, TokenPolicy
from sluicegate.domain.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from sluicegate.service.access import identity
from sluicegate.service.context import RequestContext


def _as(service: ServiceWorld, secret: str) -> RequestContext:
    return RequestContext(identity.authenticate(service.deps, secret))


def test_a_child_token_is_revoked_with_its_parent_and_its_grandchildren_too(
    service: ServiceWorld,
) -> None:
    alice = service.ctx("alice")
    child = identity.issue_token(service.deps, alice, name="child")
    grandchild = identity.issue_token(service.deps, _as(service, child.secret), name="grand")
    assert child.record.parent_id == alice.principal.token_id
    assert grandchild.record.parent_id == child.record.id
    identity.revoke_token(service.deps, alice, alice.principal.token_id or "", "leaked")
    for secret in (child.secret, grandchild.secret):
        with pytest.raises(Unauthenticated, match="revoked"):
            identity.authenticate(service.deps, secret)
    listed = {t.name: t for t in identity.list_tokens(service.deps, service.ctx("admin"), "alice")}
    assert listed["child"].revoked_at == service.clock.now()
    assert listed["grand"].revoked_at == service.clock.now()


def test_a_child_cannot_outlive_its_parent(service: ServiceWorld) -> None:
    alice = service.ctx("alice")
    parent = identity.issue_token(service.deps, alice, name="week", expires_in_days=7)
    as_parent = _as(service, parent.secret)
    with pytest.raises(Conflict) as refused:
        identity.issue_token(service.deps, as_parent, name="month", expires_in_days=30)
    assert refused.value.errors[0].field == "expires_in_days"
    # Without a lifetime the child ends with its parent.
    child = identity.issue_token(service.deps, as_parent, name="child")
    assert child.record.expires_at == parent.record.expires_at
    service.clock.advance(days=7)
    with pytest.raises(Unauthenticated):
        identity.authenticate(service.deps, child.secret)


def test_a_child_cannot_carry_a_higher_role_than_its_parent(service: ServiceWorld) -> None:
    bob = service.ctx("bob")
    viewer = identity.issue_token(service.deps, bob, name="read-only", role=Role.VIEWER)
    policy = identity.token_policy(service.deps)
    identity.set_token_policy(
        service.deps, service.ctx("admin"), {**policy.to_dict(), "self_service_role": "viewer"}
    )
    with pytest.raises(Forbidden):
        identity.issue_token(
            service.deps, _as(service, viewer.secret), name="up", role=Role.REVIEWER
        )


def test_tokens_have_an_admin_set_maximum_lifetime(service: ServiceWorld) -> None:
    admin = service.ctx("admin")
    identity.set_token_policy(
        service.deps,
        admin,
        {**identity.token_policy(service.deps).to_dict(), "max_lifetime_days": 30},
    )
    alice = service.ctx("alice")
    default = identity.issue_token(service.deps, alice, name="default")
    assert default.record.expires_at == service.clock.now() + timedelta(days=30)
    with pytest.raises(Conflict) as refused:
        identity.issue_token(service.deps, alice, name="long", expires_in_days=31)
    assert refused.value.errors[0].field == "expires_in_days"
    with pytest.raises(Forbidden):
        identity.set_token_policy(service.deps, alice, {"max_lifetime_days": 365})
    with pytest.raises(InvalidInput):
        identity.set_token_policy(service.deps, admin, {"max_lifetime_days": 366})


def test_a_user_holds_at_most_the_capped_number_of_active_tokens(service: ServiceWorld) -> None:
    admin = service.ctx("admin")
    identity.set_token_policy(
        service.deps,
        admin,
        {**identity.token_policy(service.deps).to_dict(), "max_active_per_user": 3},
    )
    alice = service.ctx("alice")
    made = [identity.issue_token(service.deps, alice, name=f"t{i}") for i in range(2)]  # + seeded
    with pytest.raises(Conflict, match="3 active tokens"):
        identity.issue_token(service.deps, alice, name="one-too-many")
    with pytest.raises(Conflict):  # an admin issuing for alice meets the same cap
        identity.issue_token(service.deps, admin, name="for-alice", username="alice")
    identity.revoke_token(service.deps, alice, made[0].record.id, None)
    identity.issue_token(service.deps, alice, name="room-again")


def test_viewers_may_not_issue_tokens_for_themselves_unless_the_setting_allows(
    service: ServiceWorld,
) -> None:
    erin = service.ctx("erin")
    assert TokenPolicy().self_service_role is Role.CONTRIBUTOR
    with pytest.raises(Forbidden, match="contributor"):
        identity.issue_token(service.deps, erin, name="mine")
    # ... they still list and revoke their own
    assert [t.name for t in identity.list_tokens(service.deps, erin)] == ["test"]
    identity.set_token_policy(
        service.deps,
        service.ctx("admin"),
        {**identity.token_policy(service.deps).to_dict(), "self_service_role": "viewer"},
    )
    assert identity.issue_token(service.deps, erin, name="mine").record.role is Role.VIEWER
