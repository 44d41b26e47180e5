"""``sluice delivery import FILE``: backfill deployments, changes and incidents from an export.

Each record goes through the same API call as a live event, so every rule holds: a refused
record stores nothing and is reported with its line and field, a record already stored is a
no-op, and running the import again is safe. Formats (docs/delivery.md):

* **JSONL**: one JSON object per line, with ``"type"`` (``deployment``, ``change`` or
  ``incident``) and the body the API takes;
* **CSV**: a header row naming the same fields and a ``type`` column; list fields hold
  ``;``-separated items: ``revisions`` as ``REPO@SHA``, ``commits`` as ``SHA@ISO-TIME``,
  ``services`` and ``labels`` as names; ``true``/``false`` for booleans; empty cells are unset.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, client_session
from sluicegate.cli.delivery.sources import list_sources
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, err

__all__ = ["delivery_app", "parse_csv_row", "records"]

delivery_app = new_app(
    help="Backfill delivery events from a JSONL or CSV export; check the webhook sources "
    "(docs/delivery.md).",
    no_args_is_help=True,
)
delivery_app.command("sources")(list_sources)

PATHS = {
    "deployment": "/api/v1/delivery/deployments",
    "change": "/api/v1/delivery/changes",
    "incident": "/api/v1/delivery/incidents",
}
_BOOLEANS = ("planned", "change_induced")
_MAX_LINE = 1 << 20


class BadRecord(ValueError):
    """A line that is not a record at all (the API rules on the rest)."""


def _pairs(field: str, cell: str, left: str, right: str) -> list[dict[str, str]]:
    out = []
    for item in filter(None, (x.strip() for x in cell.split(";"))):
        a, sep, b = item.rpartition("@")
        if not sep or not a or not b:
            raise BadRecord(f"{field}: {item!r} is not {left.upper()}@{right.upper()}")
        out.append({left: a, right: b})
    return out


def parse_csv_row(row: dict[str, str | None]) -> dict[str, Any]:
    """One CSV row as the API's JSON body (with its ``type``)."""
    body: dict[str, Any] = {}
    for field, raw in row.items():
        if field is None:
            raise BadRecord("the row has more cells than the header")
        cell = (raw or "").strip()
        if not cell:
            continue
        if field == "revisions":
            body[field] = _pairs(field, cell, "repo", "sha")
        elif field == "commits":
            body[field] = [
                {"sha": p["sha"], "authored_at": p["at"]} for p in _pairs(field, cell, "sha", "at")
            ]
        elif field in ("services", "labels"):
            body[field] = [x.strip() for x in cell.split(";") if x.strip()]
        elif field in _BOOLEANS:
            if cell.lower() not in ("true", "false"):
                raise BadRecord(f"{field}: write true or false, not {cell!r}")
            body[field] = cell.lower() == "true"
        else:
            body[field] = cell
    return body


def records(path: Path) -> Iterator[tuple[int, dict[str, Any] | BadRecord]]:
    """(line number, body or the reason it is not a record), for JSONL or CSV by extension."""
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(handle)
            for row in reader:
                try:
                    yield reader.line_num, parse_csv_row(row)
                except BadRecord as exc:
                    yield reader.line_num, exc
            return
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            if len(line) > _MAX_LINE:
                yield number, BadRecord(f"the line is longer than {_MAX_LINE} characters")
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, BadRecord(f"not JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(doc, dict):
                yield number, BadRecord("a line holds one JSON object")
                continue
            yield number, doc


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if path.suffix.lower() == ".csv" else lines


@delivery_app.command("import")
def import_events(
    file: Annotated[Path, typer.Argument(help="A .jsonl or .csv file.", exists=True)],
    keep_going: Annotated[
        bool, typer.Option(help="Report every refused record instead of stopping at the first.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import deployments, changes and incidents; already stored records are no-ops."""
    if file.suffix.lower() not in (".jsonl", ".ndjson", ".json", ".csv"):
        raise CliError(f"{file}: expected a .jsonl or .csv file", ExitCode.USAGE)
    counts: Counter[str] = Counter()
    refused: list[dict[str, Any]] = []
    show = sys.stderr.isatty() and not as_json
    total = _count_lines(file) if show else None
    with client_session(as_json) as client:
        from rich.progress import Progress  # only on a terminal; rich loads on first use

        with Progress(console=err, disable=not show, transient=True) as progress:
            task = progress.add_task(f"importing {file.name}", total=total)
            for number, doc in records(file):
                progress.advance(task)
                problem = _import_one(client, doc)
                if isinstance(problem, str):
                    counts[problem] += 1
                    continue
                refused.append({"line": number, **problem})
                if not keep_going:
                    break
    summary = {
        "stored": counts["stored"],
        "already_stored": counts["already_stored"],
        "refused": refused,
    }
    if as_json:
        emit_json(summary)
    else:
        err.print(
            f"{summary['stored']} stored, {summary['already_stored']} already stored, "
            f"{len(refused)} refused"
        )
        for r in refused:
            err.print(f"line {r['line']}: {r['error']}" + "".join(f"\n  {d}" for d in r["details"]))
    if refused:
        raise typer.Exit(int(ExitCode.USAGE))


def _import_one(client: Any, doc: dict[str, Any] | BadRecord) -> str | dict[str, Any]:
    """``stored`` or ``already_stored``, or the refusal as {error, details}."""
    if isinstance(doc, BadRecord):
        return {"error": str(doc), "details": []}
    kind = doc.pop("type", None)
    if kind not in PATHS:
        return {"error": f"type: one of {', '.join(PATHS)}, not {kind!r}", "details": []}
    try:
        status, _ = client.send("POST", PATHS[str(kind)], json=doc)
    except CliError as exc:
        if exc.exit_code in (ExitCode.DENIED, ExitCode.UNEXPECTED):
            raise
        return {"error": exc.message, "details": exc.details}
    return "stored" if status == 201 else "already_stored"
