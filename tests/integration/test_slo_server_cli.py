"""``sluice slo apply|list|show`` against the real API (issue 14 §1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from tests.support.app import Harness
from tests.support.cli_app import AppCli
from tests.support.slo import EXAMPLES

FILES = [str(EXAMPLES / "checkout-openslo.yaml"), str(EXAMPLES / "search-sloth.yaml")]


def test_apply_list_show(sqlite_harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    cli = AppCli(sqlite_harness, monkeypatch)
    counts = sqlite_harness.counts()
    dry = cli("slo", "apply", *FILES, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["dry_run"] is True
    assert sqlite_harness.counts() == counts
    first = cli("slo", "apply", *FILES, "--json")
    assert first.exit_code == 0, first.output
    applied = json.loads(first.output)["slos"]
    assert [(s["name"], s["revision"], s["changed"]) for s in applied] == [
        ("availability", 1, True),
        ("latency", 1, True),
        ("requests-availability", 1, True),
        ("requests-latency", 1, True),
    ]
    again = cli("slo", "apply", *FILES)
    assert again.exit_code == 0, again.output
    assert "unchanged" in again.output
    assert "stored" not in again.output.replace("unchanged", "")
    listed = cli("slo", "list", "--service", "checkout", "--json")
    assert listed.exit_code == 0, listed.output
    assert [s["name"] for s in json.loads(listed.output)["slos"]] == ["availability", "latency"]
    table = cli("slo", "list")
    assert "requests-latency" in table.output
    shown = cli("slo", "show", "checkout", "availability", "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["format"] == "openslo"
    assert "latest_revision" in cli("slo", "show", "checkout", "availability").output
    rules = cli("slo", "show", "checkout", "availability", "--rules")
    assert rules.exit_code == 0, rules.output
    assert yaml.safe_load(rules.output)["groups"][0]["name"] == (
        "sluicegate-slo/checkout/availability/sli"
    )
    missing = cli("slo", "show", "checkout", "availability", "--revision", "2")
    assert missing.exit_code != 0


def test_apply_refuses_an_invalid_file_before_sending(
    sqlite_harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cli = AppCli(sqlite_harness, monkeypatch)
    bad = tmp_path / "bad.yaml"
    bad.write_text('version: "prometheus/v1"\nslos: []\n', encoding="utf-8")
    counts = sqlite_harness.counts()
    result = cli("slo", "apply", str(bad), "--json")
    assert result.exit_code == 2, result.output
    assert sqlite_harness.counts() == counts


def test_a_viewer_cannot_apply(sqlite_harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    cli = AppCli(sqlite_harness, monkeypatch)
    result = cli("slo", "apply", FILES[1], who="erin")
    assert result.exit_code != 0
    assert "forbidden" in result.output or "not allowed" in result.output.lower()
