"""``sluice judge``: offline canary analysis of two CSV files of samples (one column per metric).

Exit codes: 0 the canary passes; 4 the analysis fails or is only marginal; 2 bad usage or bad
input (the message names the file and, where it can, the field, row or column).
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sluicegate.cli.exits import ExitCode
from sluicegate.domain.errors import InvalidInput

if TYPE_CHECKING:
    from sluicegate.stats import Verdict

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "InputError", "judge_command", "read_samples"]

EXIT_OK = int(ExitCode.OK)
EXIT_USAGE = int(ExitCode.USAGE)
EXIT_FAILED = int(ExitCode.ANALYSIS_FAILED)


class InputError(InvalidInput, ValueError):
    """An input file is missing or malformed; the message names the file."""

    code = "invalid-judge-input"


def read_samples(path: Path) -> dict[str, list[float]]:
    """Columns of a CSV file with a header row; empty cells and ``nan`` become NaN."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError(f"{path}: empty file (expected a header row of metric names)")
    header = [cell.strip() for cell in rows[0]]
    if any(not name for name in header):
        raise InputError(f"{path}: header has an empty column name")
    if len(set(header)) != len(header):
        raise InputError(f"{path}: header repeats a column name")
    columns: dict[str, list[float]] = {name: [] for name in header}
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise InputError(f"{path}: line {line_no} has {len(row)} cells, header {len(header)}")
        for name, cell in zip(header, row + [""] * (len(header) - len(row)), strict=True):
            text = cell.strip()
            if not text:
                columns[name].append(math.nan)
                continue
            try:
                columns[name].append(float(text))
            except ValueError:
                raise InputError(
                    f"{path}: line {line_no}, column {name!r}: not a number: {text!r}"
                ) from None
    return columns


def _read_config(path: Path) -> Any:
    import yaml  # lazily: `sluice judge` is registered on every start, yaml costs ~30 ms

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({exc})") from None


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.4g}"


def _table(verdict: Verdict) -> Table:
    table = Table(
        title=f"Canary analysis: {verdict.decision.value.upper()} (score {verdict.score:.1f})"
    )
    for column in ("metric", "class", "result", "p-value", "shift (CI)", "mean ratio", "reason"):
        table.add_column(column, overflow="fold")
    for m in verdict.metrics:
        result = "pass" if m.passed else ("ignored" if not m.counted else "FAIL")
        if m.critical:
            result += " (critical)"
        interval = f"{_fmt(m.shift)} ({_fmt(m.ci_low)}..{_fmt(m.ci_high)})"
        table.add_row(
            m.name,
            m.classification.value,
            result,
            _fmt(m.p_value),
            interval,
            _fmt(m.effect),
            m.reason,
        )
    return table


def judge_command(
    baseline: Annotated[Path, typer.Option("--baseline", help="CSV of baseline samples")],
    canary: Annotated[Path, typer.Option("--canary", help="CSV of canary samples")],
    config: Annotated[Path, typer.Option("--config", help="YAML metric configuration")],
    as_json: Annotated[bool, typer.Option("--json", help="print the verdict as JSON")] = False,
) -> None:
    """Compare canary samples with baseline samples, metric by metric, and print a verdict."""
    # numpy/scipy load only when the judge runs: every other `sluice` command starts without them.
    from sluicegate.stats import ConfigError, Decision, judge, parse_judge_config

    try:
        judge_config = parse_judge_config(_read_config(config))
        base = read_samples(baseline)
        can = read_samples(canary)
    except ConfigError as exc:
        typer.echo(f"error: {config}: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    for metric in judge_config.metrics:
        for path, samples in ((baseline, base), (canary, can)):
            if metric.name not in samples:
                typer.echo(f"warning: {path}: no column {metric.name!r}", err=True)
    verdict = judge(base, can, judge_config)
    if as_json:
        sys.stdout.write(json.dumps(verdict.to_dict(), indent=2, allow_nan=False) + "\n")
    else:
        Console().print(_table(verdict))
        Console().print(f"{verdict.decision.value}: {verdict.reason}", markup=False)
    if verdict.decision is not Decision.PASS:
        word = "marginal" if verdict.decision is Decision.MARGINAL else "failed"
        typer.echo(f"canary analysis {word}: {verdict.reason}", err=True)
        raise typer.Exit(EXIT_FAILED)
