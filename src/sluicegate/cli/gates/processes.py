"""``sluice process ...``: validate, apply, show and diff promotion processes (over the API)."""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Annotated, Any

import typer

from sluicegate.cli.common import JsonOpt, client_session
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, out

app = typer.Typer(help="Promotion processes as code: validate, apply (versioned), show, diff.")

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
def validate(file: Path, templates: TemplatesOpt = None, as_json: JsonOpt = False) -> None:
    """Check a process file; errors name the file, line and column."""
    with client_session(as_json) as client:
        result = client.request("POST", "/api/v1/processes/validate", json=_body(file, templates))
    if as_json:
        emit_json(result)
        return
    out.print(f"{file}: valid process [bold]{result['name']}[/] ({result['content_hash']})")
    for stage in result["stages"]:
        out.print(f"  {stage}: {', '.join(result['gates'][stage]) or 'no gates'}")
    for warning in result["warnings"]:
        out.print(f"  [yellow]warning[/]: {warning}")


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
        out.print(f"  [yellow]warning[/]: {warning}")


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
    name: str,
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
    name: str,
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
