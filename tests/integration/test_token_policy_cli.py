"""``sluice token policy show|set`` against the real API (issue 11 section 2)."""

from __future__ import annotations

import json

import pytest
from tests.support.app import Harness
from tests.support.cli_app import AppCli


def test_an_admin_sets_the_policy_and_everyone_reads_it(
    sqlite_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = AppCli(sqlite_harness, monkeypatch)
    shown = cli("token", "policy", "show", "--json", who="erin")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["max_lifetime_days"] == 90
    done = cli("token", "policy", "set", "--max-lifetime-days", "30", "--json", who="admin")
    assert done.exit_code == 0, done.output
    policy = json.loads(done.output)
    assert policy["max_lifetime_days"] == 30
    assert policy["max_active_per_user"] == 20  # untouched settings keep their value
    refused = cli("token", "policy", "set", "--max-lifetime-days", "10", who="alice")
    assert refused.exit_code == 3, refused.output
    bad = cli("token", "policy", "set", "--self-service-role", "emperor", who="admin")
    assert bad.exit_code == 2, bad.output
    assert "self_service_role" in bad.output
