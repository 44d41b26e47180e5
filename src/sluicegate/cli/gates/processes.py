"""``sluice process ...``: validate, apply, show and diff promotion processes (over the API)."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sluicegate.cli import complete
from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, client_session, read_document
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, out, styled

app = new_app(
    help="Promotion processes as code: validate, apply (versioned), show, diff; the selector, "
    "the review board, environments and pins.",
    no_args_is_help=True,
)

ProcessFile = Annotated[Path, typer.Argument(help="The process file (YAML).")]
NameArg = Annotated[str, typer.Argument(help="The process name (metadata.name).")]
TemplatesOpt = Annotated[
    Path | None,
    typer.Option(
        "--templates",
        help="Directory of kind: Template files the process may extend "
        "(default: a 'templates' directory beside the file).",
    ),
]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}", ExitCode.USAGE) from exc


def _body(file: Path, templates: Path | None) -> dict[str, Any]:
    folder = templates if templates is not None else file.parent / "templates"
    found = sorted(folder.glob("*.y*ml")) if folder.is_dir() else []
    return {
        "source": _read(file),
        "filename": file.name,
        "templates": [{"name": t.name, "source": _read(t)} for t in found],
    }


@app.command("validate")
def validate(file: ProcessFile, templates: TemplatesOpt = None, as_json: JsonOpt = False) -> None:
    """Check a process file; errors name the file, line and column."""
    with client_session(as_json) as client:
        result = client.request("POST", "/api/v1/processes/validate", json=_body(file, templates))
    if as_json:
        emit_json(result)
        return
    out.print(
        styled("{}: valid process [bold]{}[/] ({})", file, result["name"], result["content_hash"])
    )
    for stage in result["stages"]:
        out.print(f"  {stage}: {', '.join(result['gates'][stage]) or 'no gates'}")
    for warning in result["warnings"]:
        out.print(styled("  [yellow]warning[/]: {}", warning))


@app.command("apply")
def apply(
    file: Annotated[Path | None, typer.Argument(help="The process file.")] = None,
    builtin: Annotated[
        bool, typer.Option("--default", help="Apply the built-in default process instead.")
    ] = False,
    templates: TemplatesOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Store the process; a new version only when its resolved content changed."""
    with client_session(as_json) as client:
        if (file is None) == (not builtin):
            raise CliError("name a process FILE or pass --default (not both)", ExitCode.USAGE)
        if file is None:
            resource = importlib.resources.files("sluicegate") / "resources" / "processes"
            text = (resource / "default.yaml").read_text(encoding="utf-8")
            body: dict[str, Any] = {"source": text, "filename": "default.yaml", "templates": []}
            file = Path("default.yaml")
        else:
            body = _body(file, templates)
        name = _name_of(body["source"], file)
        result = client.request("PUT", f"/api/v1/processes/{name}", json=body)
    if as_json:
        emit_json(result)
        return
    state = "applied as" if result["created"] else "unchanged at"
    out.print(f"{result['name']} {state} version {result['version']} ({result['content_hash']})")
    for warning in result["warnings"]:
        out.print(styled("  [yellow]warning[/]: {}", warning))


def _name_of(source: str, file: Path) -> str:
    import yaml

    try:
        doc = yaml.safe_load(source)
        name = doc["metadata"]["name"]
    except (yaml.YAMLError, TypeError, KeyError):
        return file.stem  # the server reports the precise problem
    return str(name)


@app.command("show")
def show(
    name: NameArg,
    version: Annotated[int | None, typer.Option(help="A stored version (default: latest).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """A stored process version (the YAML as applied)."""
    params = {"version": version} if version is not None else {}
    with client_session(as_json) as client:
        result = client.request("GET", f"/api/v1/processes/{name}", params=params)
    if as_json:
        emit_json(result)
        return
    out.print(
        f"# {result['name']} v{result['version']} {result['content_hash']} "
        f"applied by {result['applied_by']} at {result['applied_at']}"
    )
    out.print(result["source"], markup=False)


@app.command("diff")
def diff(
    name: NameArg,
    from_: Annotated[int | None, typer.Option("--from", help="Older version.")] = None,
    to: Annotated[int | None, typer.Option("--to", help="Newer version (default latest).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Stage, gate and field changes between two stored versions."""
    params = {k: v for k, v in {"from": from_, "to": to}.items() if v is not None}
    with client_session(as_json) as client:
        result = client.request("GET", f"/api/v1/processes/{name}/diff", params=params)
    if as_json:
        emit_json(result)
        return
    for line in result["lines"]:
        out.print(line, markup=False)
    if result["empty"]:
        out.print("(no changes)")


Source = Annotated[
    str, typer.Option("-f", "--file", help="The document in YAML or JSON ('-' = stdin).")
]


@app.command("selector")
def selector(file: Source, as_json: JsonOpt = False) -> None:
    """Set which process each experiment follows: rules by kind, team and risk, and a default."""
    with client_session(as_json) as client:
        doc = read_document(file)
        result = client.request("PUT", "/api/v1/process-selector", json=doc)
    if as_json:
        emit_json(result)
        return
    for n, rule in enumerate(result["rules"], 1):
        out.print(f"  rule {n}: {json.dumps(rule, sort_keys=True)}")
    out.print(f"  default: {result['default']}")


def _gate_setting(name: str, file: str | None, clear: bool, as_json: bool) -> None:
    with client_session(as_json) as client:
        if (file is None) == (not clear):
            raise CliError("give -f FILE or --clear (not both)", ExitCode.USAGE)
        value = None if clear else read_document(str(file))
        result = client.request("PUT", f"/api/v1/gate-settings/{name}", json={"value": value})
    if as_json:
        emit_json(result)
        return
    shown = "removed" if result["value"] is None else json.dumps(result["value"], sort_keys=True)
    out.print(f"{result['name']}: {shown}")


@app.command("board")
def board(
    file: Annotated[
        str | None,
        typer.Option(
            "-f",
            "--file",
            help="The review board {name, members, seats, quorum, ...} in YAML or JSON.",
        ),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the review board.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Set the rotating review board that review-board gates ask (admin)."""
    _gate_setting("review_board", file, clear, as_json)


@app.command("environments")
def environments(
    file: Annotated[
        str | None,
        typer.Option(
            "-f", "--file", help="Environment settings by name (timezone, ...) in YAML or JSON."
        ),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the settings.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Set the environments' settings that schedule gates read (admin)."""
    _gate_setting("environments", file, clear, as_json)


@app.command("pin")
def pin(
    experiment: Annotated[
        str, typer.Argument(help="The experiment key.", autocompletion=complete.experiments)
    ],
    process: Annotated[str, typer.Option(help="The process name.")],
    reason: Annotated[str, typer.Option(help="Why it changes process (audited).")],
    version: Annotated[
        int | None, typer.Option(help="The process version (default: latest).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Pin an experiment to a process version (its gates from then on)."""
    body: dict[str, Any] = {"process": process, "reason": reason}
    if version is not None:
        body["version"] = version
    with client_session(as_json) as client:
        result = client.request("POST", f"/api/v1/experiments/{experiment}/process", json=body)
    if as_json:
        emit_json(result)
        return
    out.print(
        f"{result['experiment']} follows {result['process']}@v{result['version']} "
        f"(pinned by {result['pinned_by']})"
    )
