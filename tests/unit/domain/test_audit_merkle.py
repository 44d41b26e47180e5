"""RFC 6962 consistency proofs, checked against the Certificate Transparency reference vectors
(the eight leaves of the CT reference implementation's merkle tree tests, also published in
transparency-dev/merkle's testonly data) and exhaustively on small trees."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from sluicegate.domain.audit.chain import MerkleFrontier, merkle_root
from sluicegate.domain.audit.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    consistency_ranges,
    subtree_root,
    verify_consistency,
)

ENTRIES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
LEAVES = [hashlib.sha256(b"\x00" + e).digest() for e in ENTRIES]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
PROOFS = {
    (1, 1): [],
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
    (2, 8): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
}


def _range_root(leaves: list[bytes]):  # type: ignore[no-untyped-def]
    return lambda lo, hi: subtree_root(leaves[lo:hi])


def test_roots_match_the_reference_for_every_size() -> None:
    assert EMPTY_ROOT.hex() == ROOTS[0]
    for n in range(len(LEAVES) + 1):
        assert subtree_root(LEAVES[:n]).hex() == ROOTS[n]
        frontier = MerkleFrontier()
        for leaf in LEAVES[:n]:
            frontier.append(leaf)
        assert frontier.root().hex() == ROOTS[n]  # the ledger's own incremental tree agrees


@pytest.mark.parametrize(("first", "second"), sorted(PROOFS))
def test_consistency_proofs_match_the_reference(first: int, second: int) -> None:
    proof = consistency_proof(first, second, _range_root(LEAVES))
    assert [p.hex() for p in proof] == PROOFS[(first, second)]
    old, new = bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second])
    assert verify_consistency(first, second, old, new, proof)


def test_every_proof_verifies_and_every_mangled_one_fails() -> None:
    leaves = [hashlib.sha256(b"\x00" + bytes([i, i * 7 % 256])).digest() for i in range(64)]
    roots = [subtree_root(leaves[:n]) for n in range(65)]
    for second in range(65):
        for first in range(second + 1):
            proof = consistency_proof(first, second, _range_root(leaves))
            assert verify_consistency(first, second, roots[first], roots[second], proof)
            if not 0 < first < second:
                continue
            bad_root = hashlib.sha256(roots[first]).digest()
            assert not verify_consistency(first, second, bad_root, roots[second], proof)
            assert not verify_consistency(first, second, roots[first], bad_root, proof)
            for i in range(len(proof)):
                flipped = list(proof)
                flipped[i] = bytes([flipped[i][0] ^ 1]) + flipped[i][1:]
                assert not verify_consistency(first, second, roots[first], roots[second], flipped)
            assert not verify_consistency(first, second, roots[first], roots[second], proof[:-1])
            longer = [*proof, bytes(32)]
            assert not verify_consistency(first, second, roots[first], roots[second], longer)
            if second < 64:  # the proof is for this pair of sizes only
                assert not verify_consistency(
                    first, second + 1, roots[first], roots[second + 1], proof
                )


def test_degenerate_sizes() -> None:
    r4, r5 = subtree_root(LEAVES[:4]), subtree_root(LEAVES[:5])
    assert verify_consistency(4, 4, r4, r4, [])
    assert not verify_consistency(4, 4, r4, r5, [])
    assert not verify_consistency(4, 4, r4, r4, [bytes(32)])
    assert verify_consistency(0, 8, EMPTY_ROOT, bytes.fromhex(ROOTS[8]), [])
    assert not verify_consistency(5, 4, r5, r4, [])
    assert not verify_consistency(4, 5, r4, r5, [])
    assert not verify_consistency(4, 5, r4, r5, [bytes(31)])
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_ranges(5, 3)


def test_ranges_are_disjoint_so_one_pass_over_the_log_hashes_them_all() -> None:
    for second in range(1, 200):
        for first in range(1, second + 1):
            ranges = sorted(consistency_ranges(first, second))
            assert all(a[1] <= b[0] for a, b in itertools.pairwise(ranges))
            assert sum(hi - lo for lo, hi in ranges) <= second


def test_the_ledger_root_is_the_rfc6962_root_of_its_event_hashes() -> None:
    hashes = [hashlib.sha256(bytes([i])).hexdigest() for i in range(37)]
    leaves = [hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest() for h in hashes]
    assert merkle_root(hashes) == subtree_root(leaves).hex()
