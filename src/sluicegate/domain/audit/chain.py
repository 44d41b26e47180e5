"""The tamper-evident audit ledger: hash chain, RFC 6962 Merkle checkpoints and verification.

Each event's hash is SHA-256 over its canonical JSON document, which includes the previous event's
hash (``prev_hash``); the first event links to :data:`GENESIS_HASH`. Checkpoints record the RFC 6962
Merkle tree hash over the event hashes so far, signed with Ed25519 by the caller's signer.

``before`` and ``after`` are stored as canonical JSON text, so the hashed document is assembled by
concatenation (:func:`event_document`) without re-serialising: that keeps verification fast.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from json.encoder import encode_basestring as _quote
from typing import Any, NamedTuple

from sluicegate.domain.audit.coverage import CoveragePolicy, Gap, check_coverage
from sluicegate.domain.canonical import canonical_json

__all__ = [
    "GENESIS_HASH",
    "AuditEvent",
    "Checkpoint",
    "MerkleFrontier",
    "VerifyReport",
    "apply_coverage",
    "bad_signature",
    "checkpoint_payload",
    "event_document",
    "leaf_hash",
    "link",
    "merkle_root",
    "verify_log",
]

GENESIS_HASH = "0" * 64

#: The columns of an event row, in the order :func:`verify_log` expects them.
EventRow = tuple[Any, ...]


def _q(value: str | None) -> str:
    return "null" if value is None else str(_quote(value))


def event_document(
    seq: int,
    ts: str,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    before: str,
    after: str,
    reason: str | None,
    request_id: str | None,
    prev_hash: str,
) -> str:
    """The canonical JSON document that an event's hash covers (keys in sorted order)."""
    q = _quote  # inlined quoting: this runs once per event on verification's hot path
    reason_text = "null" if reason is None else q(reason)
    request_text = "null" if request_id is None else q(request_id)
    return (
        f'{{"action":{q(action)},"actor":{q(actor)},"after":{after},"before":{before},'
        f'"entity_id":{q(entity_id)},"entity_type":{q(entity_type)},'
        f'"prev_hash":"{prev_hash}","reason":{reason_text},"request_id":{request_text},'
        f'"seq":{seq},"ts":"{ts}"}}'
    )


class AuditEvent(NamedTuple):
    """One ledger event; a named tuple because the append and verify paths create millions."""

    seq: int
    ts: str
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: str
    after: str
    reason: str | None
    request_id: str | None
    prev_hash: str
    hash: str

    def row(self) -> EventRow:
        return tuple(self)

    def to_export(self) -> dict[str, Any]:
        """The JSON object written by ``sluice audit export`` (before/after as objects)."""
        import json

        return {
            "seq": self.seq,
            "ts": self.ts,
            "actor": self.actor,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "before": json.loads(self.before),
            "after": json.loads(self.after),
            "reason": self.reason,
            "request_id": self.request_id,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def link(
    prev_hash: str,
    seq: int,
    ts: str,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    before: object,
    after: object,
    reason: str | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Create the next event of the chain; ``before``/``after`` are JSON-compatible values."""
    fields = (
        seq,
        ts,
        actor,
        action,
        entity_type,
        entity_id,
        canonical_json(before),
        canonical_json(after),
        reason,
        request_id,
        prev_hash,
    )
    return AuditEvent(*fields, hashlib.sha256(event_document(*fields).encode()).hexdigest())


# --- RFC 6962 Merkle tree hash ---------------------------------------------------------------


def leaf_hash(event_hash: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(event_hash)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass(slots=True)
class MerkleFrontier:
    """The compact range of an append-only Merkle tree: one perfect subtree per set bit of size."""

    size: int = 0
    stack: list[tuple[int, bytes]] = field(default_factory=list)

    def append(self, leaf: bytes) -> None:
        stack = self.stack
        height = 0
        node = leaf
        while stack and stack[-1][0] == height:
            node = _node(stack.pop()[1], node)
            height += 1
        stack.append((height, node))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return hashlib.sha256(b"").digest()
        node = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            node = _node(left, node)
        return node

    def to_list(self) -> list[list[Any]]:
        return [[h, d.hex()] for h, d in self.stack]

    @classmethod
    def from_list(cls, size: int, items: Sequence[Sequence[Any]]) -> MerkleFrontier:
        return cls(size, [(int(h), bytes.fromhex(str(d))) for h, d in items])


def merkle_root(event_hashes: Iterable[str]) -> str:
    frontier = MerkleFrontier()
    for h in event_hashes:
        frontier.append(leaf_hash(h))
    return frontier.root().hex()


# --- checkpoints --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    tree_size: int
    root: str
    last_hash: str
    ts: str
    key_id: str
    signature: str

    def payload(self) -> bytes:
        return checkpoint_payload(self.tree_size, self.root, self.last_hash, self.ts, self.key_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tree_size": self.tree_size,
            "root": self.root,
            "last_hash": self.last_hash,
            "ts": self.ts,
            "key_id": self.key_id,
            "signature": self.signature,
        }


def checkpoint_payload(tree_size: int, root: str, last_hash: str, ts: str, key_id: str) -> bytes:
    """The exact bytes an Ed25519 checkpoint signature covers."""
    return canonical_json(
        {"key_id": key_id, "last_hash": last_hash, "root": root, "tree_size": tree_size, "ts": ts}
    ).encode()


# --- verification --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifyReport:
    ok: bool
    count: int
    checkpoints_verified: int
    last_checkpoint: Checkpoint | None
    first_bad_seq: int | None = None
    problem: str | None = None
    #: the RFC 6962 root over the whole log (hex), when the chain verified
    root: str | None = None
    #: the published head this log was proven to extend (``--against``), as checked
    against: Mapping[str, Any] | None = None
    #: the timestamps of each gap between checkpoints (for the coverage rules; not reported)
    gaps: Mapping[int, Gap] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "count": self.count,
            "checkpoints_verified": self.checkpoints_verified,
            "last_checkpoint": self.last_checkpoint.to_dict() if self.last_checkpoint else None,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
            "root": self.root,
            "against": dict(self.against) if self.against is not None else None,
        }

    def failed(self, seq: int | None, problem: str) -> VerifyReport:
        return replace(self, ok=False, first_bad_seq=seq, problem=problem)


def bad_signature(cp: Checkpoint) -> str:
    return (
        f"checkpoint at size {cp.tree_size}: the signature does not verify with a trusted key "
        f"(key {cp.key_id})"
    )


def apply_coverage(
    report: VerifyReport, checkpoints: Sequence[Checkpoint], policy: CoveragePolicy | None
) -> VerifyReport:
    """Fail a verified report whose log lacks the checkpoints its length and age require."""
    if not report.ok or policy is None:
        return report
    problem = check_coverage(report.count, [c.tree_size for c in checkpoints], report.gaps, policy)
    return report if problem is None else report.failed(*problem)


SignatureCheck = Callable[[Checkpoint], bool]


def verify_log(  # noqa: PLR0911, PLR0912 - each early return names a different kind of tampering
    rows: Iterable[EventRow],
    checkpoints: Sequence[Checkpoint],
    check_signature: SignatureCheck,
) -> VerifyReport:
    """Check the whole chain and every checkpoint; stop at the first bad sequence number."""
    pending = sorted(checkpoints, key=lambda c: c.tree_size)
    index = 0
    verified = 0
    last_ok: Checkpoint | None = None

    def fail(seq: int, problem: str, count: int) -> VerifyReport:
        return VerifyReport(False, count, verified, last_ok, seq, problem)

    for cp in pending:
        if not check_signature(cp):
            return fail(cp.tree_size, bad_signature(cp), 0)
    frontier = MerkleFrontier()
    append = frontier.append
    sha256 = hashlib.sha256
    prev = GENESIS_HASH
    prevprev = GENESIS_HASH
    expected = 1
    gaps: dict[int, Gap] = {}
    gap_start, gap_first, gap_max = 0, "", ""
    for row in rows:
        seq = row[0]
        if seq != expected:
            if seq > expected:
                return fail(expected, f"event {expected} is missing", expected - 1)
            return fail(seq, f"event {seq} is out of order or duplicated", expected - 1)
        if row[10] != prev:
            if row[10] == prevprev and seq > 1:
                return fail(seq - 1, f"event {seq - 1} was inserted into the chain", seq - 1)
            return fail(seq, f"event {seq}: prev_hash does not link to event {seq - 1}", seq - 1)
        digest = sha256(event_document(*row[:11]).encode()).digest()
        if digest.hex() != row[11]:
            return fail(seq, f"event {seq}: content does not match its hash (edited)", seq - 1)
        append(sha256(b"\x00" + digest).digest())
        prevprev, prev = prev, row[11]
        expected += 1
        ts = row[1]
        if not gap_first:
            gap_first = gap_max = ts
        elif ts > gap_max:
            gap_max = ts
        covered = False
        while index < len(pending) and pending[index].tree_size == seq:
            cp = pending[index]
            if cp.root != frontier.root().hex() or cp.last_hash != prev:
                return fail(seq, f"checkpoint at size {seq}: Merkle root does not match", seq)
            verified += 1
            last_ok = cp
            index += 1
            covered = True
        if covered:
            gaps[gap_start] = Gap(gap_first, gap_max)
            gap_start, gap_first = seq, ""
    if gap_first:
        gaps[gap_start] = Gap(gap_first, gap_max)
    count = expected - 1
    if index < len(pending):
        cp = pending[index]
        return fail(
            count + 1,
            f"checkpoint at size {cp.tree_size} covers events that are missing "
            f"(the log ends at {count})",
            count,
        )
    return VerifyReport(True, count, verified, last_ok, root=frontier.root().hex(), gaps=gaps)
