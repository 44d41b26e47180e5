"""Server-supplied strings print as they are: Rich markup never eats their brackets (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.cli.support import Cli

PATTERN = "'^[a-z0-9][a-z0-9-]{1,62}$'"
TRICKY = "[bold]not bold[/] [red]x[/red] [link=http://x]y[/link] :smile:"


def test_error_detail_field_reasons_and_hint_keep_brackets(cli: Cli) -> None:
    cli.api.fail(
        "POST",
        "/api/v1/teams",
        422,
        "invalid-input",
        f"key must match {PATTERN}",
        errors=[{"field": "key[0]", "reason": f"does not match {PATTERN}"}],
        hint=f"Use {TRICKY}",
    )
    r = cli("team", "create", "Bad Key", "Bad")
    assert r.exit_code == 2
    assert f"error: key must match {PATTERN} (invalid-input)" in r.stderr
    assert f"  - key[0]: does not match {PATTERN}" in r.stderr
    assert f"hint: Use {TRICKY}" in r.stderr


def test_table_cells_and_names_keep_brackets(cli: Cli) -> None:
    cli.api.on("GET", "/api/v1/teams", {"items": [{"key": "[ops]", "name": TRICKY}]})
    r = cli("team", "list")
    assert r.exit_code == 0, r.output
    assert "[ops]" in r.stdout
    assert TRICKY in r.stdout


def _experiment(title: str) -> dict[str, object]:
    return {
        "key": "exp-1",
        "title": title,
        "state": "proposed",
        "version": 1,
        "owner_team": "payments",
        "risk": {
            "level": "high",
            "decided_by": "matrix",
            "explanation": f"[restricted-pii] x [all] {PATTERN}",
            "required_signoffs": ["security"],
            "required_evidence": [],
        },
        "priority_score": 1.0,
        "allowed_transitions": ["approved"],
        "approvals": [],
    }


def test_experiment_summary_keeps_brackets(cli: Cli) -> None:
    cli.api.on("GET", "/api/v1/experiments/exp-1", _experiment(TRICKY))
    r = cli("experiment", "show", "exp-1")
    assert r.exit_code == 0, r.output
    assert f"exp-1 - {TRICKY}" in r.stdout
    assert f"risk: high by matrix: [restricted-pii] x [all] {PATTERN}" in r.stdout


def test_flag_diff_keys_keep_brackets(cli: Cli, tmp_path: Path) -> None:
    doc = tmp_path / "flags.json"
    doc.write_text('{"flags": {}}')
    cli.api.on(
        "POST",
        "/api/v1/flag-sets/shop/staging/diff",
        {
            "summary": "1 added",
            "diff": {
                "flags": {
                    "added": {"[new]": {}},
                    "removed": {"[old]": {}},
                    "changed": {"[b]": {"before": {"state": "[x]"}, "after": {"state": "y"}}},
                }
            },
        },
    )
    r = cli("flags", "diff", "shop", "--env", "staging", "-f", str(doc))
    assert r.exit_code == 0, r.output
    for line in ("+ [new]", "- [old]", "~ [b] (state)", 'state: "[x]" -> "y"'):
        assert line in r.stdout


def test_rollout_view_keeps_brackets(cli: Cli) -> None:
    cli.api.on(
        "GET",
        "/api/v1/rollouts/r1",
        {
            "id": "r1",
            "experiment": "[exp]",
            "status": "running",
            "current_step": 0,
            "weights": {"canary": 5, "stable": 95},
            "steps": [{"index": 0, "describe": "set weight [5]%", "state": "current"}],
            "analysis": {"last_decision": {"action": "continue", "reason": f"p {PATTERN}"}},
            "hold_reason": None,
            "history": [],
        },
    )
    r = cli("rollout", "status", "r1")
    assert r.exit_code == 0, r.output
    assert "rollout r1 ([exp]): running" in r.stdout
    assert "set weight [5]%" in r.stdout
    assert f"monitor: continue - p {PATTERN}" in r.stdout


def test_process_warnings_and_names_keep_brackets(cli: Cli, tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("x: 1\n")
    cli.api.on(
        "POST",
        "/api/v1/processes/validate",
        {
            "name": "[proc]",
            "content_hash": "sha256:[1]",
            "stages": ["s"],
            "gates": {"s": ["[g]"]},
            "warnings": [TRICKY],
        },
    )
    r = cli("process", "validate", str(f))
    assert r.exit_code == 0, r.output
    assert "valid process [proc] (sha256:[1])" in r.stdout
    assert "s: [g]" in r.stdout
    assert f"warning: {TRICKY}" in r.stdout


def test_experiment_list_never_cuts_keys_on_a_narrow_terminal(cli: Cli) -> None:
    """Issue 12: at 80 columns the key column was cut; now the other columns give way."""
    key = "search-ranking-v2-with-a-rather-long-experiment-key"
    item = _experiment("A title long enough to need more room than eighty columns leave it")
    item["key"] = key
    cli.api.on("GET", "/api/v1/experiments", {"items": [item, {**item, "key": "short"}]})
    for width in ("80", "60"):
        r = cli("experiment", "list", env={"COLUMNS": width})
        assert r.exit_code == 0, r.output
        assert key in r.stdout, r.stdout
        assert max(len(line) for line in r.stdout.splitlines()) <= int(width) + len(key)


def test_experiment_list_gives_the_title_room_first_and_fits_the_terminal(cli: Cli) -> None:
    """A key that leaves room: the title wraps, the other columns stay whole, lines fit."""
    item = _experiment("A title long enough to need more room than eighty columns leave it")
    item["key"] = "search-ranking-v2-long-key-30x"
    cli.api.on("GET", "/api/v1/experiments", {"items": [item]})
    r = cli("experiment", "list", env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    assert max(len(line) for line in r.stdout.splitlines()) <= 80, r.stdout
    for whole in ("search-ranking-v2-long-key-30x", "proposed", "payments"):
        assert whole in r.stdout, r.stdout


LONG_ID = "0190f6c2-7a1b-7cde-8f00-123456789abc-and-then-some"


@pytest.mark.parametrize(
    ("args", "path", "item"),
    [
        (("team", "list"), "/api/v1/teams", {"key": LONG_ID, "name": "n" * 80}),
        (
            ("rollout", "list"),
            "/api/v1/rollouts",
            {
                "id": LONG_ID,
                "experiment": "search-ranking-v2-long-key",
                "status": "running",
                "current_step": 1,
                "weights": {"canary": 5},
            },
        ),
        (
            ("webhook", "list"),
            "/api/v1/webhooks",
            {
                "id": LONG_ID,
                "name": "ops",
                "format": "json",
                "events": ["rollout.aborted", "experiment.transitioned"],
                "active": True,
                "url": "https://hooks.example/" + "x" * 60,
            },
        ),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else None,
)
def test_list_commands_never_cut_ids_on_a_narrow_terminal(
    cli: Cli, args: tuple[str, ...], path: str, item: dict[str, object]
) -> None:
    cli.api.on("GET", path, {"items": [item]})
    r = cli(*args, env={"COLUMNS": "60"})
    assert r.exit_code == 0, r.output
    assert LONG_ID in r.stdout, r.stdout
