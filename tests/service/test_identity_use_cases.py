"""Identity use cases called directly: the seeded directory, authentication, users and tokens."""

from __future__ import annotations

import pytest
from tests.support.app import USERS
from tests.support.service import ServiceWorld

from sluicegate.domain.access.identity import ReviewerDomain, Role
from sluicegate.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from sluicegate.service.access import identity
from sluicegate.service.audit.ports import AuditFilter


def test_the_seeded_directory_holds_the_admin_the_teams_and_the_users(
    service: ServiceWorld,
) -> None:
    admin = service.ctx("admin")
    users = {u.username: u for u in identity.list_users(service.deps, admin)}
    assert set(users) == {"admin", *(name for name, *_ in USERS)}
    assert users["admin"].role is Role.ADMIN
    assert users["admin"].domains == frozenset(ReviewerDomain)
    for name, role, domains, teams in USERS:
        assert (users[name].role, users[name].domains) == (role, frozenset(domains))
        assert users[name].teams == frozenset(teams)
    assert [t.key for t in identity.list_teams(service.deps, admin)] == ["payments", "search"]
    # Every seeded token authenticates as its user with the user's role.
    for who, secret in service.tokens.items():
        principal = identity.authenticate(service.deps, secret)
        assert (principal.username, principal.role) == (who, users[who].role)


def test_authenticate_refuses_missing_unknown_expired_and_revoked_tokens(
    service: ServiceWorld,
) -> None:
    with pytest.raises(Unauthenticated):
        identity.authenticate(service.deps, None)
    with pytest.raises(Unauthenticated):
        identity.authenticate(service.deps, "sg_not-a-token")
    erin = service.ctx("erin")
    short = identity.issue_token(
        service.deps, service.ctx("alice"), name="short", expires_in_days=1
    )
    assert short.secret.startswith(identity.TOKEN_PREFIX)
    assert identity.authenticate(service.deps, short.secret).token_id == short.record.id
    service.clock.advance(days=1)
    with pytest.raises(Unauthenticated, match="expired"):
        identity.authenticate(service.deps, short.secret)

    revoked = identity.revoke_token(service.deps, erin, erin.principal.token_id or "", "lost")
    assert revoked.revoked_at == service.clock.now()
    with pytest.raises(Unauthenticated, match="revoked"):
        identity.authenticate(service.deps, service.tokens["erin"])
    with pytest.raises(Conflict):
        identity.revoke_token(service.deps, service.ctx("admin"), revoked.id, None)


def test_a_token_never_carries_more_than_its_users_role(service: ServiceWorld) -> None:
    bob = service.ctx("bob")
    viewer = identity.issue_token(service.deps, bob, name="read-only", role=Role.VIEWER)
    assert identity.authenticate(service.deps, viewer.secret).role is Role.VIEWER
    with pytest.raises(Forbidden):
        identity.issue_token(service.deps, bob, name="up", role=Role.ADMIN)
    with pytest.raises(Forbidden):  # only admins issue tokens for someone else
        identity.issue_token(service.deps, bob, name="for-erin", username="erin")
    with pytest.raises(InvalidInput):
        identity.issue_token(service.deps, bob, name="forever", expires_in_days=10_000)
    for_erin = identity.issue_token(service.deps, service.ctx("admin"), name="x", username="erin")
    assert for_erin.record.role is Role.VIEWER  # erin's own role is the ceiling
    with pytest.raises(NotFound):
        identity.issue_token(service.deps, service.ctx("admin"), name="x", username="nobody")
    names = [t.name for t in identity.list_tokens(service.deps, bob)]
    assert names == ["test", "read-only"]


def test_only_admins_manage_the_directory_and_every_change_is_audited(
    service: ServiceWorld,
) -> None:
    with pytest.raises(Forbidden):
        identity.create_team(service.deps, service.ctx("carol"), "infra", "Infra")
    with pytest.raises(Forbidden):
        identity.create_user(
            service.deps, service.ctx("carol"), "frank", "Frank", Role.VIEWER, frozenset(), []
        )
    admin = service.ctx("admin", request_id="req-1")
    team = identity.create_team(service.deps, admin, "infra", "Infra")
    with pytest.raises(Conflict):
        identity.create_team(service.deps, admin, "infra", "Infra again")
    with pytest.raises(InvalidInput):  # only reviewers hold domains
        identity.create_user(
            service.deps,
            admin,
            "frank",
            "Frank",
            Role.CONTRIBUTOR,
            frozenset({ReviewerDomain.SECURITY}),
            [],
        )
    with pytest.raises(InvalidInput):
        identity.create_user(
            service.deps, admin, "frank", "Frank", Role.CONTRIBUTOR, frozenset(), ["nope"]
        )
    frank = identity.create_user(
        service.deps, admin, "frank", "Frank", Role.CONTRIBUTOR, frozenset(), ["infra"]
    )
    assert frank.teams == frozenset({"infra"})
    with pytest.raises(Conflict):
        identity.create_user(service.deps, admin, "frank", "Frank", Role.VIEWER, frozenset(), [])
    with service.deps.uow(readonly=True) as uow:
        events = uow.audit.page(AuditFilter(actor="user:admin", since=None, limit=1000))
    mine = [(e.action, e.entity_id, e.request_id) for e in events if e.request_id == "req-1"]
    assert mine == [("team.create", team.key, "req-1"), ("user.create", frank.id, "req-1")]
