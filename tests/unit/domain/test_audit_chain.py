from __future__ import annotations

import hashlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from sluicegate.domain.audit.chain import (
    GENESIS_HASH,
    AuditEvent,
    Checkpoint,
    link,
    merkle_root,
    verify_log,
)
from sluicegate.domain.canonical import canonical_json, normalize


def rfc6962(leaves: list[bytes]) -> bytes:
    """The Merkle Tree Hash exactly as RFC 6962 section 2.1 defines it (recursive)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + rfc6962(leaves[:k]) + rfc6962(leaves[k:])).digest()


@given(st.integers(min_value=0, max_value=70))
def test_merkle_root_matches_rfc6962(n: int) -> None:
    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(n)]
    assert merkle_root(hashes) == rfc6962([bytes.fromhex(h) for h in hashes]).hex()


def test_canonical_json_sorts_keys_and_normalises_numbers() -> None:
    assert canonical_json({"b": 1.0, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'
    assert canonical_json({"x": 0.5}) == '{"x":0.5}'


_with_floats = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(-(10**6), 10**6).map(float)
    | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300)
@given(_with_floats)
def test_canonical_json_copies_only_float_paths_yet_matches_full_normalisation(
    value: object,
) -> None:
    # The fast path (only containers holding floats are rebuilt) must give the text of the
    # plain definition: the C encoder over normalize(value); and never change its argument.
    before = repr(value)
    expected = json.dumps(
        normalize(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert canonical_json(value) == expected
    assert repr(value) == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=50)
@given(st.lists(st.tuples(json_values, json_values), min_size=1, max_size=6))
def test_event_hash_is_sha256_of_canonical_document(payloads: list[tuple[object, object]]) -> None:
    prev = GENESIS_HASH
    rows = []
    for seq, (before, after) in enumerate(payloads, 1):
        e = link(
            prev, seq, "2026-01-01T00:00:00.000000Z", "user:a", "x.y", "t", "id", before, after
        )
        doc = {
            "action": "x.y",
            "actor": "user:a",
            "after": after,
            "before": before,
            "entity_id": "id",
            "entity_type": "t",
            "prev_hash": prev,
            "reason": None,
            "request_id": None,
            "seq": seq,
            "ts": "2026-01-01T00:00:00.000000Z",
        }
        assert e.hash == hashlib.sha256(canonical_json(doc).encode()).hexdigest()
        assert json.loads(e.after) == after
        rows.append(e.row())
        prev = e.hash
    assert verify_log(rows, [], lambda _c: True).ok


def chain(n: int) -> list[AuditEvent]:
    prev, out = GENESIS_HASH, []
    for seq in range(1, n + 1):
        e = link(
            prev,
            seq,
            f"2026-01-01T00:00:{seq:02d}.000000Z",
            "user:a",
            "a",
            "t",
            str(seq),
            None,
            {"n": seq},
        )
        out.append(e)
        prev = e.hash
    return out


def checkpoint_at(events: list[AuditEvent], size: int) -> Checkpoint:
    root = merkle_root(e.hash for e in events[:size])
    return Checkpoint(size, root, events[size - 1].hash, "ts", "k", "sig")


def test_every_kind_of_tampering_names_the_first_bad_sequence() -> None:
    events = chain(10)
    rows = [e.row() for e in events]
    ok = lambda _c: True  # noqa: E731

    edited = list(rows)
    edited[4] = events[4]._replace(after='{"n":999}').row()
    r = verify_log(edited, [], ok)
    assert (r.ok, r.first_bad_seq) == (False, 5)

    deleted = rows[:3] + rows[4:]
    assert verify_log(deleted, [], ok).first_bad_seq == 4

    reordered = list(rows)
    reordered[5], reordered[6] = (
        events[6]._replace(seq=6).row(),
        events[5]._replace(seq=7).row(),
    )
    assert verify_log(reordered, [], ok).first_bad_seq == 6

    forged = link(events[2].hash, 4, "ts", "user:evil", "a", "t", "x", None, None)
    inserted = rows[:3] + [forged.row()] + [e._replace(seq=e.seq + 1).row() for e in events[3:]]
    r = verify_log(inserted, [], ok)
    assert r.first_bad_seq == 4
    assert "inserted" in (r.problem or "")


def test_checkpoints_catch_a_rewritten_chain_and_bad_signatures() -> None:
    events = chain(8)
    cp = checkpoint_at(events, 8)
    assert verify_log([e.row() for e in events], [cp], lambda _c: True).checkpoints_verified == 1
    # An attacker rewrites event 3 and re-links every later event consistently:
    prev, rewritten = events[1].hash, [e.row() for e in events[:2]]
    for e in events[2:]:
        after = {"n": -1} if e.seq == 3 else json.loads(e.after)
        new = link(prev, e.seq, e.ts, e.actor, e.action, e.entity_type, e.entity_id, None, after)
        rewritten.append(new.row())
        prev = new.hash
    report = verify_log(rewritten, [cp], lambda _c: True)
    assert not report.ok
    assert report.first_bad_seq == 8
    bad_sig = verify_log([e.row() for e in events], [cp], lambda _c: False)
    assert not bad_sig.ok
    assert "signature" in (bad_sig.problem or "")


def test_truncation_below_a_checkpoint_is_detected() -> None:
    events = chain(6)
    cp = checkpoint_at(events, 6)
    r = verify_log([e.row() for e in events[:4]], [cp], lambda _c: True)
    assert not r.ok
    assert r.first_bad_seq == 5
