"""The demo ships the example SLO files (docs/slo.md's worked examples), byte for byte."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_slos_are_the_examples() -> None:
    demo = ROOT / "src" / "sluicegate" / "resources" / "demo"
    pairs = {"slo-checkout.yaml": "checkout-openslo.yaml", "slo-search.yaml": "search-sloth.yaml"}
    for shipped, example in pairs.items():
        assert (demo / shipped).read_bytes() == (ROOT / "examples" / "slo" / example).read_bytes()
