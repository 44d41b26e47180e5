"""``review-board``: the rotating board decides high-risk promotions with a quorum.

Config::

    required_for: [high, critical]   # risk levels that need the board (default)
    quorum: 2                        # optional; defaults to the board's quorum
    rejection_blocks: true

The board itself (pool, seats, period, quorum) comes from the context; who serves is
:func:`sluicegate.domain.gates.boards.serving` at the evaluation time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluicegate.domain.gates.boards import rotation
from sluicegate.domain.gates.checks.base import CheckResult, CheckStatus, ConfigIssue, ConfigReader
from sluicegate.domain.gates.checks.reviews import tally
from sluicegate.domain.gates.context import GateContext

__all__ = ["DEFAULT_LEVELS", "ReviewBoardCheck"]

_SETTINGS = ("required_for", "quorum", "rejection_blocks")
DEFAULT_LEVELS = ("high", "critical")


class ReviewBoardCheck:
    type = "review-board"
    human_approval = True

    def validate(self, config: Mapping[str, Any]) -> list[ConfigIssue]:
        reader = ConfigReader(config, _SETTINGS)
        reader.levels("required_for")
        reader.integer("quorum", 1)
        reader.boolean("rejection_blocks")
        return reader.issues

    def evaluate(self, config: Mapping[str, Any], ctx: GateContext) -> CheckResult:
        levels = config.get("required_for", list(DEFAULT_LEVELS))
        level = ctx.experiment.risk_level
        if level is None or level.value not in levels:
            shown = "unknown" if level is None else level.value
            return CheckResult.of(
                CheckStatus.NOT_APPLICABLE,
                [f"risk level {shown} does not require the review board"],
            )
        board = ctx.review_board
        if board is None:
            return CheckResult.of(CheckStatus.FAIL, ["no review board is configured"])
        period = rotation(board, ctx.now)
        quorum = int(config.get("quorum", board.quorum))
        data: dict[str, Any] = {
            "board": board.name,
            "serving": list(period.members),
            "period_start": period.starts_at.isoformat(),
            "period_end": period.ends_at.isoformat(),
            "quorum": quorum,
        }
        reviews = tally(ctx, None)
        notes = list(reviews.notes)
        serving = set(period.members)
        for review in (*reviews.approvals, *reviews.rejections):
            if review.by not in serving:
                notes.append(f"{review.by} does not serve on {board.name} this period")
        yes = sorted(a.by for a in reviews.approvals if a.by in serving)
        no = sorted(a.by for a in reviews.rejections if a.by in serving)
        data["approved_by"], data["rejected_by"] = yes, no
        who = f"serving: {', '.join(period.members)}"
        if no and config.get("rejection_blocks", True):
            reasons = [f"rejected by board member(s) {', '.join(no)} ({who})", *notes]
            return CheckResult.of(CheckStatus.FAIL, reasons, data=data)
        if len(yes) >= quorum:
            reasons = [f"quorum {quorum} reached by {', '.join(yes)} ({who})", *notes]
            return CheckResult.of(CheckStatus.PASS, reasons, data=data)
        reasons = [f"needs {quorum} board approval(s), has {len(yes)} ({who})", *notes]
        return CheckResult.of(CheckStatus.PENDING, reasons, data=data)
