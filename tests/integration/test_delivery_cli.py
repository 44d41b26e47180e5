"""``sluice deploy ...`` and ``sluice incident ...`` against the real API (issue 13 §1)."""

from __future__ import annotations

import json

import pytest
from tests.support.app import Harness
from tests.support.cli_app import AppCli


def test_ci_records_a_deployment_and_an_incident_twice_without_effect(
    sqlite_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = AppCli(sqlite_harness, monkeypatch)
    record = (
        "deploy", "record", "d-9", "--service", "checkout", "--env", "production",
        "--revision", "shop/checkout@9F1C2E7", "--revision", "shop/lib@41aa09b",
        "--started-at", "2026-11-21T10:00:00Z", "--finished-at", "2026-11-21T10:06:00Z",
        "--source", "jenkins", "--unplanned", "--json",
    )  # fmt: skip
    first = cli(*record, who="alice")
    assert first.exit_code == 0, first.output
    stored = json.loads(first.output)
    assert stored["revisions"] == [
        {"repo": "shop/checkout", "sha": "9f1c2e7"},
        {"repo": "shop/lib", "sha": "41aa09b"},
    ]
    assert stored["planned"] is False
    counts = sqlite_harness.counts()
    again = cli(*record, who="alice")
    assert again.exit_code == 0, again.output
    assert json.loads(again.output) == stored
    assert sqlite_harness.counts() == counts
    shown = cli("deploy", "show", "d-9", "--source", "jenkins", "--json", who="erin")
    assert json.loads(shown.output) == stored
    bad = cli("deploy", "record", "d-10", "--service", "checkout", "--env", "production",
              "--revision", "nosha", who="alice")  # fmt: skip
    assert bad.exit_code == 2, bad.output
    assert "--revision" in bad.output

    opened = cli("incident", "open", "INC-1", "--service", "checkout", "--severity", "sev2",
                 "--created-at", "2026-11-21T11:00:00Z", "--caused-by", "d-9", "--json",
                 who="alice")  # fmt: skip
    assert opened.exit_code == 0, opened.output
    resolved = cli("incident", "resolve", "INC-1", "--at", "2026-11-21T12:00:00Z", "--json",
                   who="alice")  # fmt: skip
    assert resolved.exit_code == 0, resolved.output
    assert json.loads(resolved.output)["revision"] == 2
    early = cli("incident", "resolve", "INC-1", "--at", "2026-11-21T13:00:00Z", who="alice")
    assert early.exit_code != 0, early.output
    assert "INC-1" in early.output
    listed = cli("incident", "list", "--service", "checkout", "--json", who="erin")
    assert [i["id"] for i in json.loads(listed.output)["incidents"]] == ["INC-1"]
    backwards = cli("incident", "ack", "INC-1", "--at", "2026-11-21T10:00:00Z", who="alice")
    assert backwards.exit_code == 2, backwards.output
    assert "acknowledged_at" in backwards.output
