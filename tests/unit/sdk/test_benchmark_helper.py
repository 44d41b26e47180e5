"""The benchmark helper that benchmarks/flags.py calls returns well-formed rows."""

from __future__ import annotations

import math

from benchmarks._flags_provider import HEADERS, measure


def test_measure_returns_one_row_per_flag_kind() -> None:
    result = measure(min_seconds=0.001, repeat=1)

    assert result["headers"] == HEADERS
    assert [row[0] for row in result["rows"]] == [
        "static boolean",
        "attribute targeting",
        "fractional",
    ]
    for _, inmemory_us, sluicegate_us, overhead_us in result["rows"]:
        assert inmemory_us > 0
        assert sluicegate_us > 0
        assert math.isclose(overhead_us, sluicegate_us - inmemory_us)
