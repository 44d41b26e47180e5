"""Audit payloads are their own builders, pinned here, so an API change cannot change the ledger.

Each payload is compared field by field with what the ledger has recorded since the feature
shipped; if a test here fails, a change altered evidence that auditors already hold.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sluicegate.domain.access.identity import ReviewerDomain, Role
from sluicegate.domain.access.jit import JitState
from sluicegate.domain.flags import ChangeRequestState
from sluicegate.service.access.payloads import (
    jit_event,
    jit_payload,
    team_payload,
    token_payload,
    user_payload,
)
from sluicegate.service.access.ports import JitRecord, TeamRecord, TokenRecord, UserRecord
from sluicegate.service.flags.payloads import (
    change_request_payload,
    flag_set_payload,
    flag_token_payload,
)
from sluicegate.service.flags.ports import FlagChangeRequestRecord, FlagSetRecord, FlagTokenRecord
from sluicegate.service.gates.payloads import override_payload
from sluicegate.service.gates.ports import GateOverrideRecord
from sluicegate.service.notifications.payloads import subscription_payload
from sluicegate.service.notifications.ports import WebhookSubscriptionRecord
from sluicegate.service.slo.payloads import slo_payload
from sluicegate.service.slo.ports import StoredSlo

T0 = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
ISO = "2026-12-01T09:30:00+00:00"


def test_access_payloads() -> None:
    assert team_payload(TeamRecord("t1", "payments", "Payments", T0)) == {
        "id": "t1",
        "key": "payments",
        "name": "Payments",
        "created_at": ISO,
    }
    user = UserRecord(
        "u1",
        "bob",
        "Bob",
        Role.REVIEWER,
        frozenset({ReviewerDomain.SECURITY, ReviewerDomain.COMPLIANCE}),
        frozenset({"search", "payments"}),
        T0,
    )
    assert user_payload(user) == {
        "id": "u1",
        "username": "bob",
        "display_name": "Bob",
        "role": "reviewer",
        "domains": ["compliance", "security"],
        "teams": ["payments", "search"],
        "disabled": False,
        "created_at": ISO,
    }
    token = TokenRecord("k1", "u1", "ci", "sg_abcd", Role.CONTRIBUTOR, T0, None, T0)
    assert token_payload(token) == {
        "id": "k1",
        "user_id": "u1",
        "name": "ci",
        "prefix": "sg_abcd",
        "role": "contributor",
        "created_at": ISO,
        "expires_at": None,
        "revoked_at": ISO,
        "parent_id": None,
    }


def test_jit_payload_and_event() -> None:
    grant = JitRecord(
        "g1", "u2", "erin", "checkout", "canary", Role.CONTRIBUTOR, 5400, "deploy fix",
        JitState.ACTIVE, T0, decided_by="bob", decided_at=T0, expires_at=T0,
    )  # fmt: skip
    assert jit_payload(grant) == {
        "id": "g1",
        "requester": "erin",
        "experiment": "checkout",
        "stage": "canary",
        "role": "contributor",
        "duration": "1h30m",
        "duration_seconds": 5400,
        "reason": "deploy fix",
        "state": "active",
        "created_at": ISO,
        "decided_by": "bob",
        "decision_comment": None,
        "decided_at": ISO,
        "expires_at": ISO,
        "ended_at": None,
        "end_reason": None,
    }
    assert jit_event(grant) == {
        "id": "g1",
        "requester": "erin",
        "experiment": "checkout",
        "stage": "canary",
        "role": "contributor",
        "duration": "1h30m",
        "reason": "deploy fix",
        "state": "active",
        "decided_by": "bob",
        "expires_at": ISO,
    }


def test_flag_payloads() -> None:
    fs = FlagSetRecord(
        "f1", "shop", "production", "payments", None, {}, 3, "rev3", {"flags": {"a": {}}}, T0, T0
    )
    assert flag_set_payload(fs) == {
        "name": "shop",
        "environment": "production",
        "owner_team": "payments",
        "experiment": None,
        "policy": {},
        "requires_approval": True,
        "revision_number": 3,
        "revision": "rev3",
        "flag_count": 1,
        "created_at": ISO,
        "updated_at": ISO,
    }
    cr = FlagChangeRequestRecord(
        "c1", "f1", ChangeRequestState.PENDING, 3, {}, {}, "u1", "alice", "why", None, None, None,
        None, None, T0, T0,
    )  # fmt: skip
    assert set(change_request_payload(cr)) == {
        "id", "state", "base_revision_number", "author", "reason", "rollback_of", "reviewer",
        "review_comment", "apply_at", "applied_revision_number", "created_at", "updated_at",
        "summary", "diff",
    }  # fmt: skip
    assert change_request_payload(cr)["state"] == "pending"
    token = FlagTokenRecord("t1", "f1", "web", "sgf_ab", "alice", T0, None, None)
    assert flag_token_payload(token, fs) == {
        "id": "t1",
        "name": "web",
        "prefix": "sgf_ab",
        "flag_set": "shop",
        "environment": "production",
        "created_at": ISO,
        "expires_at": None,
        "revoked_at": None,
    }


def test_override_and_subscription_payloads() -> None:
    rec = GateOverrideRecord("o1", "e1", "canary", "tests", "hotfix", T0, "user:carol", T0)
    assert override_payload(rec, "checkout") == {
        "id": "o1",
        "experiment": "checkout",
        "stage": "canary",
        "gate": "tests",
        "justification": "hotfix",
        "expires_at": ISO,
        "created_by": "user:carol",
        "created_at": ISO,
        "revoked_by": None,
        "revoked_at": None,
        "revoke_reason": None,
    }
    sub = WebhookSubscriptionRecord(
        "s1", "ops", "https://hooks.slack.example:8443/T0/B0/secret", ("jit.*",), "slack", True,
        "user:admin", T0, T0,
    )  # fmt: skip
    payload = subscription_payload(sub)
    assert payload["url"] == "https://hooks.slack.example:8443/…"  # the credential never lands
    assert set(payload) == {
        "id", "name", "url", "events", "format", "active", "created_by", "created_at", "updated_at"
    }  # fmt: skip


def test_slo_payload() -> None:
    spec = {"service": "search", "name": "availability", "objective": 0.999}
    stored = StoredSlo(
        "search",
        "availability",
        2,
        "sloth",
        "version: ...",
        "slo.yaml",
        spec,
        0.999,
        30,
        T0,
        "user:a",
    )
    assert slo_payload(stored) == {
        "service": "search",
        "name": "availability",
        "revision": 2,
        "format": "sloth",
        "filename": "slo.yaml",
        "objective": 0.999,
        "window_days": 30,
        "spec": spec,
    }
