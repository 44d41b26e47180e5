"""``sluice deploy|change|incident|delivery import|dora|kpi`` against the real API (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.support.app import Harness
from tests.support.cli_app import AppCli
from tests.support.delivery import history

from sluicegate.service.delivery.payloads import (
    change_payload,
    deployment_payload,
    incident_payload,
)


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


def test_changes_go_in_and_come_out_by_the_cli(
    sqlite_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = AppCli(sqlite_harness, monkeypatch)
    pr = (
        "change", "record", "shop/checkout#7", "--kind", "pull_request", "--repo",
        "shop/checkout", "--authored-at", "2026-11-20T09:00:00Z", "--commit",
        f"{'b1' * 20}@2026-11-20T08:00:00Z", "--review",
        "rita:approved@2026-11-20T10:00:00Z", "--label", "bug", "--source", "github", "--json",
    )  # fmt: skip
    first = cli(*pr, who="alice")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["reviews"][0]["reviewer"] == "rita"
    merged = cli(*pr, "--merged-at", "2026-11-20T11:00:00Z", "--sha", "c3" * 20,
                 "--merge-method", "squash", who="alice")  # fmt: skip
    assert merged.exit_code == 0, merged.output
    assert json.loads(merged.output)["revision"] == 2
    shown = cli("change", "show", "shop/checkout#7", "--source", "github", "--json", who="erin")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["merge_method"] == "squash"
    commit = cli("change", "record", "a1" * 20, "--repo", "shop/checkout", "--authored-at",
                 "2026-11-20T07:00:00Z", who="alice")  # fmt: skip
    assert commit.exit_code == 0, commit.output
    listed = cli("change", "list", "--repo", "shop/checkout", "--json", who="erin")
    assert json.loads(listed.output)["count"] == 2
    bad = cli("change", "record", "x", "--repo", "r", "--review", "rita@now", who="alice")
    assert bad.exit_code == 2, bad.output
    assert "REVIEWER:STATE" in bad.output


def _jsonl(path: Any, docs: list[dict[str, Any]]) -> Any:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


def test_an_import_stores_each_record_once_and_names_refused_lines(
    sqlite_harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cli = AppCli(sqlite_harness, monkeypatch)
    deployments, changes, incidents = history()
    docs = [{"type": "change", **_clean(change_payload(c))} for c in changes]
    docs += [{"type": "deployment", **_clean(deployment_payload(d))} for d in deployments]
    docs += [{"type": "incident", **_clean(incident_payload(i))} for i in incidents]
    good = _jsonl(tmp_path / "history.jsonl", docs)
    first = cli("delivery", "import", str(good), "--json", who="alice")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert summary == {"stored": len(docs), "already_stored": 0, "refused": []}
    again = json.loads(cli("delivery", "import", str(good), "--json", who="alice").output)
    assert again == {"stored": 0, "already_stored": len(docs), "refused": []}

    counts = sqlite_harness.counts()
    broken = _jsonl(
        tmp_path / "broken.jsonl",
        [{"type": "deployment", **_clean(deployment_payload(deployments[0])), "status": "boom"}],
    )
    with broken.open("a") as handle:
        handle.write("not json\n")
        handle.write(json.dumps({"type": "rumour"}) + "\n")
    refused = cli("delivery", "import", str(broken), "--keep-going", "--json", who="alice")
    assert refused.exit_code == 2, refused.output
    lines = {r["line"]: r for r in json.loads(refused.output)["refused"]}
    assert sorted(lines) == [1, 2, 3]
    assert any("status" in d for d in lines[1]["details"])
    assert "not JSON" in lines[2]["error"]
    assert "type" in lines[3]["error"]
    assert sqlite_harness.counts() == counts
    stop = cli("delivery", "import", str(broken), "--json", who="alice")
    assert [r["line"] for r in json.loads(stop.output)["refused"]] == [1]

    csv_file = tmp_path / "deploys.csv"
    csv_file.write_text(
        "type,id,source,service,environment,status,started_at,finished_at,revisions,planned\n"
        "deployment,d-csv,ci,shop,production,success,2026-01-06T10:00:00Z,"
        f"2026-01-06T10:05:00Z,r@{'ab' * 20};lib@{'cd' * 20},false\n"
    )
    imported = cli("delivery", "import", str(csv_file), "--json", who="alice")
    assert imported.exit_code == 0, imported.output
    shown = cli("deploy", "show", "d-csv", "--source", "ci", "--json", who="erin")
    body = json.loads(shown.output)
    assert [r["repo"] for r in body["revisions"]] == ["r", "lib"]
    assert body["planned"] is False

    dora = cli("dora", "show", "--from", "2026-01-05T00:00:00Z", "--to", "2026-01-06T00:00:00Z",
               "--json", who="erin")  # fmt: skip
    assert dora.exit_code == 0, dora.output
    figures = json.loads(dora.output)
    assert figures["change_fail_rate"]["value"] == 0.4
    assert figures["lead_time"]["n"] == 3
    text = cli("dora", "show", "--from", "2026-01-05T00:00:00Z", "--to", "2026-01-06T00:00:00Z",
               "--bucket", "day", who="erin")  # fmt: skip
    assert text.exit_code == 0, text.output
    assert "Change failure rate" in text.output
    assert "40.0% (2/5)" in text.output
    why = cli("dora", "explain", "cfr", "--from", "2026-01-05T00:00:00Z", "--to",
              "2026-01-06T00:00:00Z", who="erin")  # fmt: skip
    assert why.exit_code == 0, why.output
    assert "ci/d3" in why.output
    unknown = cli("dora", "explain", "mttr", who="erin")
    assert unknown.exit_code == 2, unknown.output
    kpi = cli("kpi", "show", "--json", who="erin")
    assert kpi.exit_code == 0, kpi.output
    assert "innovation_bandwidth" in json.loads(kpi.output)
    assert "Innovation bandwidth" in cli("kpi", "show", who="erin").output


def _clean(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}
