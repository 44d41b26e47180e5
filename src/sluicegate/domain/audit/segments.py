"""Verifying the audit ledger in segments that can run in parallel processes.

The log is cut at multiples of ``2**k`` (``segment_size``), so every complete segment is a perfect
subtree of the RFC 6962 Merkle tree. A worker verifies its segment's chain and hashes on its own,
and records its *local* Merkle frontier at each checkpoint size inside it. The parent stitches the
segments together: it checks each boundary link, rebuilds the global frontier from the segment
roots, and evaluates every checkpoint as ``fold(global frontier at segment start + local
frontier)``. :func:`combine_segments` reports exactly what ``verify_log`` reports for the same
rows (a property test checks this).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sluicegate.domain.audit.chain import (
    GENESIS_HASH,
    Checkpoint,
    EventRow,
    SignatureCheck,
    VerifyReport,
    bad_signature,
    event_document,
)
from sluicegate.domain.audit.coverage import Gap

__all__ = ["Segment", "combine_segments", "plan_segments", "verify_segment"]


@dataclass(frozen=True, slots=True)
class Segment:
    lo: int
    hi: int
    count: int
    first_prev: str | None
    penultimate: str | None
    last: str | None
    # (reported seq, problem, is a sequence problem, seq of the row where it was found)
    failure: tuple[int, str, bool, int] | None
    frontiers: dict[int, tuple[list[tuple[int, bytes]], str]] = field(default_factory=dict)
    root: bytes | None = None
    # the local Merkle frontier at the segment's end, and the gaps between checkpoints in it
    stack: list[tuple[int, bytes]] = field(default_factory=list)
    gaps: dict[int, Gap] = field(default_factory=dict)


def plan_segments(max_seq: int, workers: int, minimum: int = 1 << 16) -> list[tuple[int, int]]:
    """Cut ``1..max_seq`` at multiples of a power of two >= max(minimum, max_seq / workers)."""
    size = minimum
    while size * max(1, workers) < max_seq:
        size *= 2
    return [(lo, min(lo + size - 1, max_seq)) for lo in range(1, max_seq + 1, size)]


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _push(stack: list[tuple[int, bytes]], height: int, node: bytes) -> None:
    while stack and stack[-1][0] == height:
        node = _node(stack.pop()[1], node)
        height += 1
    stack.append((height, node))


def _fold(stack: Sequence[tuple[int, bytes]]) -> bytes:
    if not stack:
        return hashlib.sha256(b"").digest()
    node = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        node = _node(left, node)
    return node


def verify_segment(  # noqa: PLR0911 - each early return names a different kind of tampering
    rows: Iterable[EventRow], lo: int, hi: int, checkpoint_sizes: frozenset[int]
) -> Segment:
    """Verify rows ``lo..hi`` (ordered by seq) without knowing the event before ``lo``."""
    stack: list[tuple[int, bytes]] = []
    frontiers: dict[int, tuple[list[tuple[int, bytes]], str]] = {}
    sha256 = hashlib.sha256
    expected = lo
    prev: str | None = None
    prevprev: str | None = None
    first_prev: str | None = None
    gaps: dict[int, Gap] = {}
    gap_start = max((s for s in checkpoint_sizes if s < lo), default=0)
    gap_first, gap_max = "", ""

    def done(failure: tuple[int, str, bool, int] | None) -> Segment:
        count = expected - lo
        root = stack[0][1] if failure is None and len(stack) == 1 and count == hi - lo + 1 else None
        if gap_first:
            gaps[gap_start] = Gap(gap_first, gap_max)
        return Segment(
            lo, hi, count, first_prev, prevprev, prev, failure, frontiers, root, stack, gaps
        )

    for row in rows:
        seq = row[0]
        if seq != expected:
            if seq > expected:
                problem = f"event {expected} is missing"
                return done((expected, problem, True, expected))
            return done((seq, f"event {seq} is out of order or duplicated", True, seq))
        if prev is None:
            # The link into this segment is checked by combine_segments; from here on the
            # claimed previous hash stands in for it (it matters for the "inserted" diagnosis).
            first_prev = prev = row[10]
        elif row[10] != prev:
            if row[10] == prevprev:
                return done((seq - 1, f"event {seq - 1} was inserted into the chain", False, seq))
            problem = f"event {seq}: prev_hash does not link to event {seq - 1}"
            return done((seq, problem, False, seq))
        digest = sha256(event_document(*row[:11]).encode()).digest()
        if digest.hex() != row[11]:
            return done((seq, f"event {seq}: content does not match its hash (edited)", False, seq))
        _push(stack, 0, sha256(b"\x00" + digest).digest())
        prevprev, prev = prev, row[11]
        ts = row[1]
        if not gap_first:
            gap_first = gap_max = ts
        elif ts > gap_max:
            gap_max = ts
        if seq in checkpoint_sizes:
            frontiers[seq] = (list(stack), row[11])
            gaps[gap_start] = Gap(gap_first, gap_max)
            gap_start, gap_first = seq, ""
        expected += 1
        if seq == hi:
            break
    if expected <= hi:
        return done((expected, f"event {expected} is missing", True, expected))
    return done(None)


def combine_segments(  # noqa: PLR0911, PLR0912 - mirrors verify_log's order of checks
    segments: Sequence[Segment],
    checkpoints: Sequence[Checkpoint],
    check_signature: SignatureCheck,
) -> VerifyReport:
    pending = sorted(checkpoints, key=lambda c: c.tree_size)
    verified = 0
    last_ok: Checkpoint | None = None

    def fail(seq: int, problem: str, count: int) -> VerifyReport:
        return VerifyReport(False, count, verified, last_ok, seq, problem)

    for cp in pending:
        if not check_signature(cp):
            return fail(cp.tree_size, bad_signature(cp), 0)
    by_size = {cp.tree_size: cp for cp in pending}
    global_stack: list[tuple[int, bytes]] = []
    prev_last, prev_penultimate = GENESIS_HASH, GENESIS_HASH
    total = 0
    gaps: dict[int, Gap] = {}
    tail: list[tuple[int, bytes]] = []
    for seg in segments:
        failure = seg.failure
        if failure is not None and failure[0] == seg.lo and failure[2]:
            return fail(failure[0], failure[1], total)
        if seg.first_prev is not None and seg.first_prev != prev_last:
            if seg.first_prev == prev_penultimate and seg.lo > 1:
                return fail(seg.lo - 1, f"event {seg.lo - 1} was inserted into the chain", total)
            return fail(
                seg.lo, f"event {seg.lo}: prev_hash does not link to event {seg.lo - 1}", total
            )
        limit = failure[3] if failure is not None else seg.hi + 1
        for size in sorted(s for s in seg.frontiers if s < limit):
            cp = by_size[size]
            local, last_hash = seg.frontiers[size]
            root = _fold([*global_stack, *local]).hex()
            if cp.root != root or cp.last_hash != last_hash:
                return fail(size, f"checkpoint at size {size}: Merkle root does not match", size)
            verified += 1
            last_ok = cp
        if failure is not None:
            return fail(failure[0], failure[1], failure[0] - 1)
        total += seg.count
        for start, gap in seg.gaps.items():
            known = gaps.get(start)
            gaps[start] = (
                gap if known is None else Gap(known.first_ts, max(known.max_ts, gap.max_ts))
            )
        if seg.root is not None:
            height = (seg.hi - seg.lo + 1).bit_length() - 1
            _push(global_stack, height, seg.root)
        elif seg is not segments[-1]:
            raise ValueError("only the last segment may be incomplete")
        else:
            tail = seg.stack
        prev_last = seg.last or prev_last
        prev_penultimate = seg.penultimate or prev_penultimate
    beyond = [cp for cp in pending if cp.tree_size > total]
    if beyond:
        cp = beyond[0]
        return fail(
            total + 1,
            f"checkpoint at size {cp.tree_size} covers events that are missing "
            f"(the log ends at {total})",
            total,
        )
    root = _fold([*global_stack, *tail]).hex()
    return VerifyReport(True, total, verified, last_ok, root=root, gaps=gaps)
