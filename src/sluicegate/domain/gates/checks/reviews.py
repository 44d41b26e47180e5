"""Shared by the human-approval checks: which reviews count, and why others do not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sluicegate.domain.gates.context import Approval, GateContext

__all__ = ["ReviewTally", "tally"]


@dataclass(frozen=True, slots=True)
class ReviewTally:
    """Each reviewer's latest valid review, split; ``notes`` say why reviews were not counted."""

    approvals: tuple[Approval, ...]
    rejections: tuple[Approval, ...]
    notes: tuple[str, ...]


def tally(ctx: GateContext, ttl: timedelta | None) -> ReviewTally:
    """Separation of duties: the requester and the change's authors cannot approve."""
    notes: list[str] = []
    latest: dict[str, Approval] = {}
    for review in sorted(ctx.approvals, key=lambda a: (a.at, a.by)):
        if review.at > ctx.now:
            notes.append(f"review by {review.by} is dated in the future and does not count")
            continue
        if ttl is not None and review.at + ttl <= ctx.now:
            notes.append(
                f"{review.decision} by {review.by} expired at {(review.at + ttl).isoformat()}"
            )
            latest.pop(review.by, None)
            continue
        latest[review.by] = review
    approvals: list[Approval] = []
    rejections: list[Approval] = []
    requester = ctx.requester.id if ctx.requester.kind == "user" else None
    for review in latest.values():
        if review.decision == "reject":
            rejections.append(review)
        elif review.by == requester:
            notes.append(
                f"approval by {review.by} does not count: they requested the promotion "
                "(separation of duties)"
            )
        elif review.by in ctx.authors:
            notes.append(
                f"approval by {review.by} does not count: they authored the change "
                "(separation of duties)"
            )
        else:
            approvals.append(review)
    return ReviewTally(tuple(approvals), tuple(rejections), tuple(notes))
