"""A bounded schemathesis run (all checks, stateful phase included) against a live server.

The longer run is ``python -m tests.support.schemathesis_run --max-time 600``. This one runs
inside ``make test`` for 150 s (about 6,000 cases). It must find no server error, no response
that breaks its schema, no undocumented status code or content type.

Two kinds of finding are still open (issue 11 section 3, see docs/security.md) and are reported
here, not failed on:

* ST202, a schema-valid request refused with a 4xx that names the field: the schema does not yet
  say everything the server checks (a team that must exist, YAML bodies that must parse to a
  mapping, merge patches that must change a known field, limits that are settings).
* ST201 and ST108 on bodies the schema documents only loosely (YAML text, the SSE stream).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.schemathesis_run import run_schemathesis

pytestmark = pytest.mark.slow

#: Finding codes that are open work (reported, not failed on).
OPEN = ("ST202", "ST201", "ST108")

#: Operations whose schema now says everything the server checks (names, NUL, criteria,
#: rules): a schema-valid request refused there is a regression, not open work.
COMPLETE = (
    "POST /api/v1/teams",
    "PUT /api/v1/settings/priority-weights",
    "PUT /api/v1/process-selector",
)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(tmp_path: Path) -> None:
    result = run_schemathesis(150, tmp_path, seed=1)
    assert result.report, result.output[-5000:]
    assert result.cases > 500, result.output[-5000:]
    failures = result.failures
    hard = {k: v for k, v in failures.items() if not k.startswith(OPEN)}
    open_work = {k: len(v) for k, v in failures.items() if k.startswith(OPEN)}
    print(f"schemathesis: {result.cases} cases, links {result.links}, open: {open_work}")
    assert hard == {}, result.output[-20000:]
    refused = {op for k, ops in failures.items() if k.startswith("ST202") for op in ops}
    assert not refused & set(COMPLETE), result.output[-20000:]
    assert "Authentication failed" not in result.output, result.output[-5000:]
