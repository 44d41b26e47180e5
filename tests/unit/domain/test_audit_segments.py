"""Segmented (parallel) verification reports exactly what sequential verification reports."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sluicegate.domain.audit.chain import (
    GENESIS_HASH,
    AuditEvent,
    Checkpoint,
    EventRow,
    VerifyReport,
    apply_coverage,
    link,
    merkle_root,
    verify_log,
)
from sluicegate.domain.audit.coverage import CoveragePolicy
from sluicegate.domain.audit.segments import combine_segments, plan_segments, verify_segment


def chain(n: int, spacing: int = 0) -> list[AuditEvent]:
    prev, out = GENESIS_HASH, []
    for seq in range(1, n + 1):
        second = seq * spacing
        ts = f"2026-01-01T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.000000Z"
        e = link(prev, seq, ts, "user:a", "a", "t", str(seq), None, {"n": seq})
        out.append(e)
        prev = e.hash
    return out


def segmented(
    rows: list[EventRow], checkpoints: list[Checkpoint], max_seq: int, size: int
) -> VerifyReport:
    sizes = frozenset(c.tree_size for c in checkpoints)
    segments = []
    for lo, hi in plan_segments(max_seq, workers=1_000_000, minimum=size):
        part = [r for r in rows if lo <= r[0] <= hi]
        segments.append(verify_segment(part, lo, hi, sizes))
    return combine_segments(segments, checkpoints, lambda _c: True)


def test_plan_segments_cuts_at_powers_of_two() -> None:
    assert plan_segments(1_000_000, workers=2) == [(1, 524_288), (524_289, 1_000_000)]
    assert plan_segments(10, workers=4, minimum=4) == [(1, 4), (5, 8), (9, 10)]
    assert plan_segments(100, workers=1) == [(1, 100)]


tamper = st.sampled_from(["none", "edit", "delete", "swap", "insert", "relink"])


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=40),
    size_exp=st.integers(min_value=0, max_value=4),
    every=st.integers(min_value=1, max_value=9),
    kind=tamper,
    where=st.integers(min_value=0, max_value=39),
    spacing=st.integers(min_value=0, max_value=30),
    required=st.integers(min_value=0, max_value=12),
)
def test_segmented_equals_sequential(
    n: int, size_exp: int, every: int, kind: str, where: int, spacing: int, required: int
) -> None:
    events = chain(n, spacing)
    checkpoints = [
        Checkpoint(s, merkle_root(e.hash for e in events[:s]), events[s - 1].hash, "ts", "k", "sig")
        for s in range(every, n + 1, every)
    ]
    rows = [e.row() for e in events]
    i = where % n
    if kind == "edit":
        rows[i] = events[i]._replace(after='{"n":-1}').row()
    elif kind == "delete" and n > 1:
        del rows[i]
    elif kind == "swap" and i + 1 < n:
        rows[i], rows[i + 1] = (
            events[i + 1]._replace(seq=i + 1).row(),
            events[i]._replace(seq=i + 2).row(),
        )
    elif kind == "insert":
        prev = events[i - 1].hash if i else GENESIS_HASH
        forged = link(prev, i + 1, "ts", "user:evil", "a", "t", "x", None, None)
        rows = rows[:i] + [forged.row()] + [e._replace(seq=e.seq + 1).row() for e in events[i:]]
    elif kind == "relink":
        rows[i] = events[i]._replace(prev_hash="f" * 64).row()
    max_seq = max(r[0] for r in rows)
    expected = verify_log(rows, checkpoints, lambda _c: True)
    got = segmented(rows, checkpoints, max_seq, 1 << size_exp)
    assert (got.ok, got.first_bad_seq, got.problem) == (
        expected.ok,
        expected.first_bad_seq,
        expected.problem,
    )
    if expected.ok:
        assert (got.count, got.checkpoints_verified) == (
            expected.count,
            expected.checkpoints_verified,
        )
        assert got.last_checkpoint == expected.last_checkpoint
        assert got.root == expected.root == merkle_root(r[11] for r in rows)
        assert got.gaps == expected.gaps
        # the coverage rules see the same gaps, so they rule the same way
        policy = CoveragePolicy(every_events=required, every_seconds=40, grace_seconds=20)
        assert apply_coverage(got, checkpoints, policy) == apply_coverage(
            expected, checkpoints, policy
        )
