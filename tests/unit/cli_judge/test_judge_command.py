"""``sluice judge`` through Typer's CliRunner: exit codes, JSON, tables and input errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from sluicegate.cli.rollouts.judge import judge_command

CONFIG = """
metrics:
  - name: latency_ms
    kind: latency
    direction: increase
    allowed_increase_pct: 10
    group: latency
  - name: error_ratio
    kind: ratio
    direction: increase
    group: errors
groups: {latency: 50, errors: 50}
score: {pass: 90, marginal: 50}
"""


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    application.command("judge")(judge_command)
    application.command("noop")(lambda: None)  # two commands: "judge" stays a subcommand
    return application


def _csv(path: Path, latency: np.ndarray, errors: np.ndarray) -> Path:
    rows = ["latency_ms,error_ratio"] + [
        f"{a:.6f},{b:.6f}" for a, b in zip(latency, errors, strict=True)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _files(tmp_path: Path, latency_factor: float, error_factor: float) -> list[str]:
    rng = np.random.default_rng(0)
    base = _csv(tmp_path / "b.csv", rng.lognormal(4.6, 0.3, 300), rng.beta(2, 200, 300))
    can = _csv(
        tmp_path / "c.csv",
        rng.lognormal(4.6, 0.3, 300) * latency_factor,
        np.clip(rng.beta(2, 200, 300) * error_factor, 0, 1),
    )
    cfg = tmp_path / "metrics.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    return ["judge", "--baseline", str(base), "--canary", str(can), "--config", str(cfg)]


def test_healthy_canary_exits_zero_with_a_table(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, _files(tmp_path, 1.0, 1.0))
    assert result.exit_code == 0, result.output
    assert "latency_ms" in result.stdout
    assert "pass" in result.stdout


def test_json_output_and_failure_exit_code(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [*_files(tmp_path, 1.4, 3.0), "--json"])
    assert result.exit_code == 4
    doc = json.loads(result.stdout)
    assert doc["decision"] == "fail"
    assert {m["name"]: m["classification"] for m in doc["metrics"]} == {
        "latency_ms": "High",
        "error_ratio": "High",
    }
    assert "failed" in result.stderr


def test_marginal_exits_four_and_says_marginal(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [*_files(tmp_path, 1.4, 1.0), "--json"])
    assert result.exit_code == 4
    assert json.loads(result.stdout)["decision"] == "marginal"
    assert "marginal" in result.stderr


def test_bad_config_field_exits_two_naming_the_field(app: typer.Typer, tmp_path: Path) -> None:
    args = _files(tmp_path, 1.0, 1.0)
    Path(args[-1]).write_text("metrics:\n  - name: x\n    kind: speed\n", encoding="utf-8")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "metrics[0].kind" in result.stderr
    assert "metrics.yaml" in result.stderr


def test_bad_csv_cell_exits_two_naming_file_line_and_column(
    app: typer.Typer, tmp_path: Path
) -> None:
    args = _files(tmp_path, 1.0, 1.0)
    (tmp_path / "c.csv").write_text("latency_ms,error_ratio\n1.0,0.1\nfast,0.2\n", encoding="utf-8")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "c.csv" in result.stderr
    assert "line 3" in result.stderr
    assert "latency_ms" in result.stderr


def test_missing_file_exits_two(app: typer.Typer, tmp_path: Path) -> None:
    args = _files(tmp_path, 1.0, 1.0)
    (tmp_path / "b.csv").unlink()
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "b.csv" in result.stderr


def test_missing_column_fails_closed(app: typer.Typer, tmp_path: Path) -> None:
    args = _files(tmp_path, 1.0, 1.0)
    (tmp_path / "c.csv").write_text("latency_ms\n" + "100\n" * 50, encoding="utf-8")
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 4
    doc = json.loads(result.stdout)
    assert {m["name"]: m["classification"] for m in doc["metrics"]}["error_ratio"] == "NoData"
    assert "no column 'error_ratio'" in result.stderr


def test_missing_option_is_a_usage_error(app: typer.Typer) -> None:
    assert CliRunner().invoke(app, ["judge", "--baseline", "x.csv"]).exit_code == 2
