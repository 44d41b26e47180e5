"""The helpers benchmarks/server.py measures with: wrk's output read right, failures counted,
the server's RSS read from /proc, and the Unleash peer given the same flags and context."""

from __future__ import annotations

import os
import sys

import pytest
from benchmarks import _unleash
from benchmarks.server import CONTEXT, _parse, rss_bytes

WRK_OUT = """\
Running 3s test @ http://127.0.0.1:1/x
  2 threads and 50 connections
  Latency Distribution
     50%    1.11s
     75%    1.30s
     90%    1.50s
     99%  850.00ms
  107 requests in 3.05s, 1.10MB read
  Socket errors: connect 0, read 1, write 0, timeout 17
  Non-2xx or 3xx responses: 4
Requests/sec:     35.00
Transfer/sec:    361.00KB
UNEXPECTED 6
"""


def test_parse_reads_rate_percentiles_and_counts_failures() -> None:
    got = _parse(WRK_OUT, "x", strict=False)

    assert got["rps"] == 35.0
    assert got["p50"] == 1110.0
    assert got["p99"] == 850.0
    assert got["requests"] == 107
    assert (got["socket_errors"], got["non_2xx"], got["unexpected"]) == (18, 4, 6)
    # a non-2xx answer is also unexpected: counted once
    assert got["failures"] == 18 + 6


def test_parse_strict_refuses_non_2xx_answers() -> None:
    with pytest.raises(RuntimeError, match="non-2xx"):
        _parse(WRK_OUT, "x", strict=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_rss_counts_the_process_tree() -> None:
    assert rss_bytes(os.getpid()) > 10 * 2**20


def test_unleash_flags_and_context_mirror_the_ofrep_ones() -> None:
    strategies = [_unleash._strategy(i) for i in range(3)]

    assert [s["parameters"]["rollout"] for s in strategies] == ["100", "100", "50"]
    assert strategies[1]["constraints"] == [
        {"contextName": "plan", "operator": "IN", "values": ["pro"]}
    ]
    assert _unleash.frontend_query(CONTEXT) == (
        "userId=user-7&appName=bench&properties%5Bplan%5D=pro&properties%5Bn%5D=7"
    )
