"""RFC 6962 / RFC 9162 consistency proofs between two tree heads of the audit log.

A consistency proof shows that the tree of size ``second`` extends the tree of size ``first``:
the first ``first`` leaves are unchanged. A verifier needs only the two roots and the proof
(O(log n) hashes). :func:`consistency_ranges` lists the subtrees whose hashes make up the proof
(``PROOF(m, D[n])`` of RFC 6962 section 2.1.2), so that a caller with the leaves in a database can
hash each range in one streaming pass; :func:`verify_consistency` is the verification algorithm
of RFC 9162 section 2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "consistency_proof",
    "consistency_ranges",
    "subtree_root",
    "verify_consistency",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[0:n]) over leaf hashes (already ``SHA-256(0x00 || entry)``)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = _split(n)
    return _node(subtree_root(leaves[:k]), subtree_root(leaves[k:]))


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The half-open leaf ranges ``[lo, hi)`` whose tree hashes form PROOF(first, D[second])."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    out: list[tuple[int, int]] = []

    def sub(m: int, lo: int, hi: int, complete: bool) -> None:
        n = hi - lo
        if m == n:
            if not complete:
                out.append((lo, hi))
            return
        k = _split(n)
        if m <= k:
            sub(m, lo, lo + k, complete)
            out.append((lo + k, hi))
        else:
            sub(m - k, lo + k, hi, False)
            out.append((lo, lo + k))

    sub(first, 0, second, True)
    return out


def consistency_proof(
    first: int, second: int, range_root: Callable[[int, int], bytes]
) -> list[bytes]:
    """PROOF(first, D[second]), with ``range_root(lo, hi)`` giving MTH(D[lo:hi])."""
    return [range_root(lo, hi) for lo, hi in consistency_ranges(first, second)]


def verify_consistency(  # noqa: PLR0912 - each branch is one step of RFC 9162 2.1.4.2
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: does the tree ``second_root`` extend ``first_root``?"""
    if first < 0 or second < first:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if not proof or any(len(p) != 32 for p in proof):
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the old root is a node of the new tree
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = _node(c, fr)
            sr = _node(c, sr)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            sr = _node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
