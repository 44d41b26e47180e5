"""Changes: commits and pull requests as the outside world reports them (issue 13 §1).

Pure records and rules, no I/O. Like deployments and incidents (ADR 0019) a change is identified
by ``(source, id)`` and stored as append-only revisions; :func:`change_step` rules on a new report
of a known change. By convention the id of a commit is its sha and the id of a pull request is
``<repo>#<number>``, but any id unique within its source works.

What the metrics read from a change (docs/delivery-metrics.md):

* ``landed_at``: when it reached the deployable branch — a pull request's ``merged_at``, a
  commit's ``merged_at`` when the push that brought it is known, else its ``authored_at``;
* ``first_commit_at``: the earliest authored time among the pull request's original commits
  (for squash and rebase merges these are the times that count, not the rewritten commit's),
  or the commit's own ``authored_at``;
* the phases of change lead time: coding (first commit -> opened), pickup (opened -> first
  review), review (first review -> merged) and deploy (merged -> deployed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sluicegate.domain.delivery.records import Step
from sluicegate.domain.errors import FieldError

__all__ = [
    "Change",
    "ChangeKind",
    "Commit",
    "MergeMethod",
    "Review",
    "ReviewState",
    "canonical",
    "change_step",
    "check_change",
]


class ChangeKind(StrEnum):
    COMMIT = "commit"
    PULL_REQUEST = "pull_request"


class MergeMethod(StrEnum):
    MERGE = "merge"
    SQUASH = "squash"
    REBASE = "rebase"
    FAST_FORWARD = "fast_forward"


class ReviewState(StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    COMMENTED = "commented"


@dataclass(frozen=True, slots=True)
class Commit:
    """One of a pull request's original commits (before any squash or rebase)."""

    sha: str
    authored_at: datetime


@dataclass(frozen=True, slots=True)
class Review:
    reviewer: str
    state: ReviewState
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class Change:
    """A commit or a pull request in one repository.

    ``sha`` is the commit's sha, or for a merged pull request the commit that landed on the
    branch (merge, squash or last rebased commit). ``authored_at`` is a commit's author time or
    the time a pull request was opened. ``reverts`` names the sha or change id it reverts.
    """

    source: str
    id: str
    kind: ChangeKind
    repo: str
    authored_at: datetime
    sha: str | None = None
    merged_at: datetime | None = None
    merge_method: MergeMethod | None = None
    commits: tuple[Commit, ...] = ()
    reviews: tuple[Review, ...] = ()
    labels: tuple[str, ...] = ()
    reverts: str | None = None
    title: str | None = None

    @property
    def landed_at(self) -> datetime:
        return self.merged_at if self.merged_at is not None else self.authored_at

    @property
    def first_commit_at(self) -> datetime:
        times = [c.authored_at for c in self.commits]
        if self.kind is ChangeKind.COMMIT:
            times.append(self.authored_at)
        return min(times) if times else self.authored_at

    @property
    def first_review_at(self) -> datetime | None:
        return min((r.submitted_at for r in self.reviews), default=None)

    @property
    def shas(self) -> frozenset[str]:
        """Every sha this change stands for: its own and its original commits'."""
        found = {c.sha for c in self.commits}
        if self.sha is not None:
            found.add(self.sha)
        return frozenset(found)


def _aware(value: datetime | None, name: str, errors: list[FieldError]) -> bool:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        errors.append(FieldError(name, "must carry a time zone (e.g. Z or +00:00)"))
        return False
    return value is not None


def _kind_errors(c: Change) -> list[FieldError]:
    """What a commit may not carry, and what a merged pull request must."""
    errors: list[FieldError] = []
    if c.kind is ChangeKind.COMMIT:
        if c.sha is None:
            errors.append(FieldError("sha", "a commit has a sha"))
        if c.commits:
            errors.append(FieldError("commits", "only a pull request lists original commits"))
        if c.reviews:
            errors.append(FieldError("reviews", "only a pull request has reviews"))
        if c.merge_method is not None:
            errors.append(FieldError("merge_method", "only a pull request has a merge method"))
    else:
        if c.merged_at is None and (c.sha is not None or c.merge_method is not None):
            errors.append(FieldError("merged_at", "required when sha or merge_method is set"))
        if c.merged_at is not None and c.sha is None:
            errors.append(FieldError("sha", "a merged pull request names the commit it landed"))
    return errors


def check_change(c: Change) -> list[FieldError]:
    """The field errors of a change (empty when it is valid)."""
    errors: list[FieldError] = []
    authored = _aware(c.authored_at, "authored_at", errors)
    merged = _aware(c.merged_at, "merged_at", errors)
    if authored and merged and c.merged_at is not None and c.merged_at < c.authored_at:
        errors.append(FieldError("merged_at", "must not be before authored_at"))
    errors += _kind_errors(c)
    seen: set[str] = set()
    for i, commit in enumerate(c.commits):
        _aware(commit.authored_at, f"commits.{i}.authored_at", errors)
        if commit.sha in seen:
            errors.append(FieldError(f"commits.{i}.sha", f"{commit.sha!r} is listed twice"))
        seen.add(commit.sha)
    for i, review in enumerate(c.reviews):
        aware = _aware(review.submitted_at, f"reviews.{i}.submitted_at", errors)
        if aware and authored and review.submitted_at < c.authored_at:
            errors.append(FieldError(f"reviews.{i}.submitted_at", "must not be before authored_at"))
    if len(set(c.labels)) != len(c.labels):
        errors.append(FieldError("labels", "a label is listed twice"))
    if c.reverts is not None and c.reverts in (c.id, c.sha):
        errors.append(FieldError("reverts", "a change cannot revert itself"))
    return errors


def change_step(history: Sequence[Change], new: Change) -> tuple[Step, Change]:
    """How ``new`` relates to the stored revisions of the same change, and what to store.

    Reports of one change arrive in any order and each carries part of it (GitHub sends a pull
    request's reviews in their own events). So a report is merged into the latest revision:
    commits, reviews and labels are unions (kept sorted, so the order of arrival does not
    matter), a pull request may be merged once (``merged_at``, ``sha``, ``merge_method``), and
    the first title reported stays. The result is SAME when the merge adds nothing (a
    redelivery or an older state), PROGRESS with the merged change to store as a new revision,
    or CONFLICT when the report contradicts what is stored: another repo, kind, author time,
    revert target, merge time, sha or merge method.
    """
    new = canonical(new)
    latest = history[-1]
    fixed = (new.kind, new.repo, new.authored_at, new.reverts)
    if fixed != (latest.kind, latest.repo, latest.authored_at, latest.reverts):
        return Step.CONFLICT, latest
    for name in ("merged_at", "sha", "merge_method"):
        old_v, new_v = getattr(latest, name), getattr(new, name)
        if old_v is not None and new_v is not None and old_v != new_v:
            return Step.CONFLICT, latest
    merged = canonical(
        replace(
            latest,
            merged_at=latest.merged_at or new.merged_at,
            sha=latest.sha or new.sha,
            merge_method=latest.merge_method or new.merge_method,
            commits=latest.commits + new.commits,
            reviews=latest.reviews + new.reviews,
            labels=latest.labels + new.labels,
            title=latest.title if latest.title is not None else new.title,
        )
    )
    if merged == latest:
        return Step.SAME, latest
    if check_change(merged):
        return Step.CONFLICT, latest
    return Step.PROGRESS, merged


def canonical(c: Change) -> Change:
    """``c`` with its lists deduplicated and sorted, so equal content compares equal."""
    return replace(
        c,
        commits=tuple(sorted(set(c.commits), key=lambda x: (x.authored_at, x.sha))),
        reviews=tuple(
            sorted(set(c.reviews), key=lambda r: (r.submitted_at, r.reviewer, r.state.value))
        ),
        labels=tuple(sorted(set(c.labels))),
    )
