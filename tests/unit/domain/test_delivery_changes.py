"""Changes (commits and pull requests): validation and the merge of partial reports."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sluicegate.domain.delivery.changes import (
    Change,
    ChangeKind,
    Commit,
    MergeMethod,
    Review,
    ReviewState,
    canonical,
    change_step,
    check_change,
)
from sluicegate.domain.delivery.records import Step

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _pr(**kw: object) -> Change:
    base = Change(
        source="github",
        id="shop/api#7",
        kind=ChangeKind.PULL_REQUEST,
        repo="shop/api",
        authored_at=T0,
        commits=(Commit("a1", T0 - timedelta(hours=5)), Commit("a2", T0 - timedelta(hours=1))),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def _fields(c: Change) -> set[str]:
    return {e.field for e in check_change(c)}


def test_phase_times_come_from_the_original_commits_and_the_first_review() -> None:
    pr = _pr(
        reviews=(
            Review("bo", ReviewState.COMMENTED, T0 + timedelta(hours=3)),
            Review("al", ReviewState.APPROVED, T0 + timedelta(hours=2)),
        ),
        merged_at=T0 + timedelta(hours=4),
        sha="m1",
        merge_method=MergeMethod.SQUASH,
    )
    assert check_change(pr) == []
    assert pr.first_commit_at == T0 - timedelta(hours=5)
    assert pr.first_review_at == T0 + timedelta(hours=2)
    assert pr.landed_at == T0 + timedelta(hours=4)
    assert pr.shas == {"a1", "a2", "m1"}


def test_a_commit_stands_for_its_own_time() -> None:
    c = Change("github", "abc", ChangeKind.COMMIT, "shop/api", T0, sha="abc")
    assert check_change(c) == []
    assert c.first_commit_at == T0 == c.landed_at


def test_invalid_changes_name_their_fields() -> None:
    naive = datetime(2026, 3, 2, 9, 0)
    assert _fields(_pr(authored_at=naive)) == {"authored_at"}
    assert _fields(_pr(merged_at=T0 - timedelta(seconds=1), sha="m")) == {"merged_at"}
    assert _fields(_pr(merged_at=T0)) == {"sha"}
    assert _fields(_pr(sha="m")) == {"merged_at"}
    assert _fields(_pr(commits=(Commit("a", T0), Commit("a", T0)))) == {"commits.1.sha"}
    early = Review("al", ReviewState.APPROVED, T0 - timedelta(minutes=1))
    assert _fields(_pr(reviews=(early,))) == {"reviews.0.submitted_at"}
    assert _fields(_pr(labels=("fix", "fix"))) == {"labels"}
    assert _fields(_pr(reverts="shop/api#7")) == {"reverts"}
    commit = Change("github", "abc", ChangeKind.COMMIT, "shop/api", T0)
    assert _fields(commit) == {"sha"}
    assert _fields(replace(commit, sha="abc", merge_method=MergeMethod.MERGE)) == {"merge_method"}


def test_partial_reports_merge_and_a_redelivery_is_the_same() -> None:
    opened = canonical(_pr(title="Faster search"))
    reviewed = _pr(reviews=(Review("al", ReviewState.APPROVED, T0 + timedelta(hours=1)),))
    step, stored = change_step([opened], reviewed)
    assert step is Step.PROGRESS
    assert stored.title == "Faster search"
    assert len(stored.reviews) == 1
    merged = _pr(merged_at=T0 + timedelta(hours=2), sha="m1", merge_method=MergeMethod.MERGE)
    step, final = change_step([opened, stored], merged)
    assert step is Step.PROGRESS
    assert final.reviews == stored.reviews
    assert final.sha == "m1"
    assert change_step([opened, stored, final], opened) == (Step.SAME, final)
    assert change_step([opened, stored, final], reviewed) == (Step.SAME, final)


def test_contradictions_are_conflicts() -> None:
    merged = canonical(_pr(merged_at=T0 + timedelta(hours=2), sha="m1"))
    assert change_step([merged], _pr(merged_at=T0 + timedelta(hours=3), sha="m1"))[0] is (
        Step.CONFLICT
    )
    assert change_step([merged], _pr(merged_at=T0 + timedelta(hours=2), sha="m2"))[0] is (
        Step.CONFLICT
    )
    assert change_step([merged], _pr(repo="shop/web"))[0] is Step.CONFLICT
    assert change_step([merged], _pr(authored_at=T0 + timedelta(minutes=1)))[0] is Step.CONFLICT
    other_time = _pr(commits=(Commit("a1", T0 - timedelta(hours=9)),))
    assert change_step([merged], other_time)[0] is Step.CONFLICT


_REPORTS = [
    _pr(title="one"),
    _pr(reviews=(Review("al", ReviewState.COMMENTED, T0 + timedelta(hours=1)),)),
    _pr(reviews=(Review("bo", ReviewState.APPROVED, T0 + timedelta(hours=2)),)),
    _pr(labels=("fix",)),
    _pr(commits=(Commit("a3", T0 + timedelta(minutes=30)),)),
    _pr(merged_at=T0 + timedelta(hours=3), sha="m1", merge_method=MergeMethod.REBASE),
]


@given(st.permutations(range(len(_REPORTS))), st.integers(0, 3))
def test_any_order_and_any_redelivery_ends_in_the_same_change(
    order: list[int], repeats: int
) -> None:
    rng = random.Random(repeats)
    reports = [_REPORTS[i] for i in order]
    reports += [rng.choice(reports) for _ in range(repeats)]
    history = [canonical(reports[0])]
    for report in reports[1:]:
        step, stored = change_step(history, report)
        assert step is not Step.CONFLICT
        if step is Step.PROGRESS:
            history.append(stored)
    final = history[-1]
    assert len(final.reviews) == 2
    assert final.labels == ("fix",)
    assert final.sha == "m1"
    assert {c.sha for c in final.commits} == {"a1", "a2", "a3"}
    # The first title reported stays; every other field is independent of the order.
    expected = canonical(
        _pr(
            commits=_REPORTS[0].commits + _REPORTS[4].commits,
            reviews=_REPORTS[1].reviews + _REPORTS[2].reviews,
            labels=("fix",),
            merged_at=T0 + timedelta(hours=3),
            sha="m1",
            merge_method=MergeMethod.REBASE,
        )
    )
    assert replace(final, title=None) == expected
