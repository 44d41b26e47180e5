"""Approval and review-board checks: n-of-m, separation of duties, expiry, rotation, quorum."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.unit.gates.support import BOARD, NOW, RISK_HIGH, RISK_LOW, approval, context

from sluicegate.domain.gates import CheckStatus, ReviewBoard, rotation, serving
from sluicegate.domain.gates.boards import ROTATION_EPOCH
from sluicegate.domain.gates.checks import ApprovalCheck, ReviewBoardCheck

OWNERS: dict[str, Any] = {"rules": [{"role": "service-owner", "min": 2}], "risk_signoffs": False}


def test_n_of_m_role_rule_pending_then_pass() -> None:
    check = ApprovalCheck()
    one = context(approvals=(approval("alice", "service-owner"),))
    result = check.evaluate(OWNERS, one)
    assert result.status is CheckStatus.PENDING
    assert result.reasons[0] == "needs role service-owner: 1 of 2 approval(s) (have alice)"
    two = context(approvals=(approval("alice", "service-owner"), approval("bob", "service-owner")))
    result = check.evaluate(OWNERS, two)
    assert result.status is CheckStatus.PASS
    assert result.data["approved_by"] == ["alice", "bob"]


def test_the_same_person_twice_counts_once() -> None:
    ctx = context(
        approvals=(
            approval("alice", "service-owner", hours_ago=3),
            approval("alice", "service-owner", hours_ago=1),
        )
    )
    assert ApprovalCheck().evaluate(OWNERS, ctx).status is CheckStatus.PENDING


@pytest.mark.parametrize(
    ("who", "why"), [("carol", "requested the promotion"), ("dave", "authored the change")]
)
def test_requester_and_authors_cannot_approve(who: str, why: str) -> None:
    ctx = context(approvals=(approval("alice", "service-owner"), approval(who, "service-owner")))
    result = ApprovalCheck().evaluate(OWNERS, ctx)
    assert result.status is CheckStatus.PENDING
    assert any(f"approval by {who} does not count: they {why}" in r for r in result.reasons)
    assert result.data["approved_by"] == ["alice"]


def test_ci_requester_does_not_exclude_a_user_of_the_same_name() -> None:
    from sluicegate.domain.gates import Requester

    ctx = context(
        requester=Requester("alice", "ci", run_id="42"),
        authors=(),
        approvals=(approval("alice", "service-owner"), approval("bob", "service-owner")),
    )
    assert ApprovalCheck().evaluate(OWNERS, ctx).status is CheckStatus.PASS


def test_approvals_expire() -> None:
    config = {**OWNERS, "expires_after": "1d"}
    fresh = approval("alice", "service-owner", hours_ago=2)
    stale = approval("bob", "service-owner", hours_ago=25)
    result = ApprovalCheck().evaluate(config, context(approvals=(fresh, stale)))
    assert result.status is CheckStatus.PENDING
    assert any(r.startswith("approve by bob expired at") for r in result.reasons)
    fresh_bob = approval("bob", "service-owner", hours_ago=23)
    result = ApprovalCheck().evaluate(config, context(approvals=(fresh, fresh_bob)))
    assert result.status is CheckStatus.PASS


def test_future_dated_approvals_do_not_count() -> None:
    ctx = context(approvals=(approval("alice", "service-owner", hours_ago=-1),))
    result = ApprovalCheck().evaluate({"rules": [{"role": "service-owner"}]}, ctx)
    assert result.status is CheckStatus.PENDING


def test_risk_level_adds_required_domains() -> None:
    check = ApprovalCheck()
    ctx = context(risk=RISK_HIGH, approvals=(approval("pat", domains=("product",)),))
    result = check.evaluate({}, ctx)
    assert result.status is CheckStatus.PENDING
    missing = [r for r in result.reasons if r.startswith("needs")]
    assert missing == [
        "needs domain operations: 0 of 1 approval(s) (required by the risk level)",
        "needs domain security: 0 of 1 approval(s) (required by the risk level)",
    ]
    ctx = context(
        risk=RISK_HIGH,
        approvals=(
            approval("pat", domains=("product",)),
            approval("ops", domains=("operations", "security")),
        ),
    )
    assert check.evaluate({}, ctx).status is CheckStatus.PASS
    assert check.evaluate({"risk_signoffs": False}, ctx).status is CheckStatus.NOT_APPLICABLE


def test_eligible_pool_limits_who_counts() -> None:
    config = {
        "rules": [{"domain": "security", "min": 1, "eligible": ["dana", "erin"]}],
        "risk_signoffs": False,
    }
    outsider = context(approvals=(approval("zed", domains=("security",)),))
    assert ApprovalCheck().evaluate(config, outsider).status is CheckStatus.PENDING
    insider = context(approvals=(approval("erin", domains=("security",)),))
    assert ApprovalCheck().evaluate(config, insider).status is CheckStatus.PASS


def test_rejection_blocks_unless_configured_otherwise() -> None:
    approvals = (
        approval("alice", "service-owner"),
        approval("bob", "service-owner"),
        approval("sec", decision="reject", comment="secrets in logs"),
    )
    result = ApprovalCheck().evaluate(OWNERS, context(approvals=approvals))
    assert result.status is CheckStatus.FAIL
    assert result.reasons[0] == "rejected by sec (reviewer): secrets in logs"
    relaxed = {**OWNERS, "rejection_blocks": False}
    result = ApprovalCheck().evaluate(relaxed, context(approvals=approvals))
    assert result.status is CheckStatus.PASS
    assert result.warnings == ("rejected by sec (reviewer): secrets in logs (does not block)",)


def test_a_later_approval_replaces_a_rejection() -> None:
    approvals = (
        approval("alice", "service-owner", decision="reject", hours_ago=5),
        approval("alice", "service-owner", hours_ago=1),
        approval("bob", "service-owner"),
    )
    assert ApprovalCheck().evaluate(OWNERS, context(approvals=approvals)).status is CheckStatus.PASS


def test_approval_config_validation() -> None:
    issues = ApprovalCheck().validate(
        {"rules": [{"role": "x", "domain": "security"}, {"role": "y", "min": 3, "eligible": ["a"]}]}
    )
    reasons = {(i.path, i.reason) for i in issues}
    assert (("rules", 0), "a rule needs exactly one of 'role' or 'domain'") in reasons
    assert (("rules", 1, "min"), "min is larger than the eligible pool") in reasons


# --- review board --------------------------------------------------------------------------


def test_rotation_is_deterministic_and_follows_iso_weeks() -> None:
    assert serving(BOARD, ROTATION_EPOCH) == ("ana", "ben", "cy")
    monday = datetime(2026, 11, 16, tzinfo=UTC)
    assert monday.isocalendar().weekday == 1
    this_week = rotation(BOARD, monday)
    assert this_week.starts_at == monday
    assert this_week.ends_at == monday + timedelta(days=7)
    sunday_night = monday + timedelta(days=6, hours=23, minutes=59)
    assert serving(BOARD, sunday_night) == this_week.members
    assert serving(BOARD, NOW) == this_week.members
    next_week = serving(BOARD, monday + timedelta(days=7))
    pool = list(BOARD.members)
    first = pool.index(this_week.members[0])
    assert next_week == tuple(pool[(first + 3 + i) % 5] for i in range(3))


def test_rotation_visits_every_member() -> None:
    seen: set[str] = set()
    for week in range(5):
        seen.update(serving(BOARD, ROTATION_EPOCH + timedelta(weeks=week)))
    assert seen == set(BOARD.members)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"members": ()}, "pool"),
        ({"members": ("a", "a")}, "pool"),
        ({"seats": 6}, "seats"),
        ({"quorum": 4}, "quorum"),
        ({"period_days": 0}, "period"),
    ],
)
def test_board_validation(kwargs: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"name": "b", "members": BOARD.members, "seats": 3, "quorum": 2}
    with pytest.raises(ValueError, match=message):
        ReviewBoard(**{**base, **kwargs})


def _serving_now() -> tuple[str, ...]:
    return serving(BOARD, NOW)


def test_board_not_applicable_for_low_risk() -> None:
    result = ReviewBoardCheck().evaluate({}, context(risk=RISK_LOW, review_board=BOARD))
    assert result.status is CheckStatus.NOT_APPLICABLE
    assert result.reasons == ("risk level low does not require the review board",)
    configured = {"required_for": ["low"]}
    ctx = context(risk=RISK_LOW, review_board=BOARD)
    assert ReviewBoardCheck().evaluate(configured, ctx).status is CheckStatus.PENDING


def test_board_quorum_from_serving_members_only() -> None:
    members = _serving_now()
    outsider = next(m for m in BOARD.members if m not in members)
    ctx = context(
        risk=RISK_HIGH,
        review_board=BOARD,
        approvals=(approval(members[0]), approval(outsider)),
    )
    result = ReviewBoardCheck().evaluate({}, ctx)
    assert result.status is CheckStatus.PENDING
    assert f"{outsider} does not serve on arb this period" in result.reasons
    assert result.data["serving"] == list(members)
    ctx = context(
        risk=RISK_HIGH, review_board=BOARD, approvals=(approval(members[0]), approval(members[1]))
    )
    assert ReviewBoardCheck().evaluate({}, ctx).status is CheckStatus.PASS
    assert ReviewBoardCheck().evaluate({"quorum": 3}, ctx).status is CheckStatus.PENDING


def test_board_rejection_and_missing_board() -> None:
    members = _serving_now()
    ctx = context(
        risk=RISK_HIGH,
        review_board=BOARD,
        approvals=(
            approval(members[0]),
            approval(members[1]),
            approval(members[2], decision="reject"),
        ),
    )
    assert ReviewBoardCheck().evaluate({}, ctx).status is CheckStatus.FAIL
    relaxed = ReviewBoardCheck().evaluate({"rejection_blocks": False}, ctx)
    assert relaxed.status is CheckStatus.PASS
    assert ReviewBoardCheck().evaluate({}, context(risk=RISK_HIGH)).status is CheckStatus.FAIL


def test_board_member_who_authored_the_change_cannot_approve() -> None:
    members = _serving_now()
    ctx = context(
        risk=RISK_HIGH,
        review_board=BOARD,
        authors=(members[0],),
        approvals=(approval(members[0]), approval(members[1])),
    )
    result = ReviewBoardCheck().evaluate({}, ctx)
    assert result.status is CheckStatus.PENDING
    assert result.data["approved_by"] == [members[1]]
