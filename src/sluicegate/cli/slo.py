"""``sluice slo validate|rules FILE...``: SLOs as code, offline (no server needed); and
``sluice slo apply|list|show``: the SLOs stored on the server, versioned and audited.

A file holds OpenSLO v1 documents (``apiVersion: openslo/v1``; an SLO may name an SLI or a
DataSource of the same file) or Sloth ``version: "prometheus/v1"`` specs, as YAML or JSON,
several documents separated by ``---``. ``validate`` checks them; ``rules`` prints the
Prometheus rule file (recorded error ratios, SRE Workbook burn-rate alerts). ``apply`` stores a
new revision of each SLO that changed (``POST /api/v1/slos``). docs/slo.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, client_session, guard, read_bytes
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, err, out, table

if TYPE_CHECKING:
    from sluicegate.domain.slo import Slo

__all__ = ["app", "dump_yaml", "load_files"]

app = new_app(
    help="SLOs as code: validate OpenSLO v1 or Sloth specs and generate their Prometheus "
    "rules, offline; apply, list and show the SLOs stored on the server (docs/slo.md).",
    no_args_is_help=True,
)

FilesArg = Annotated[
    list[str], typer.Argument(help="SLO files (YAML or JSON; '-' reads stdin).", metavar="FILE...")
]


def _documents(path: str) -> list[object]:
    """The YAML documents of ``path``; a top-level list is a list of documents."""
    import yaml

    try:
        loaded = list(yaml.safe_load_all(read_bytes(path)))
    except yaml.YAMLError as exc:
        raise CliError(
            f"{path} is not valid YAML or JSON: {exc}", ExitCode.USAGE, code="malformed-document"
        ) from exc
    documents: list[object] = []
    for doc in loaded:
        if doc is None:
            continue
        documents.extend(doc if isinstance(doc, list) else [doc])
    return documents


def load_files(paths: list[str]) -> list[tuple[str, tuple[Slo, ...]]]:
    """Each file's SLOs; every error of every file is reported, naming file and field."""
    from sluicegate.domain.slo import SloSpecError, parse_documents

    loaded: list[tuple[str, tuple[Slo, ...]]] = []
    errors: list[dict[str, str]] = []
    for path in paths:
        try:
            loaded.append((path, parse_documents(_documents(path))))
        except SloSpecError as exc:
            errors += [{"file": path, **e.to_dict()} for e in exc.errors]
    first: dict[tuple[str, str], str] = {}
    for path, slos in loaded:
        for slo in slos:
            key = (slo.service, slo.name)
            if key in first and first[key] != path:
                errors.append(
                    {
                        "file": path,
                        "field": "document",
                        "reason": f"SLO {slo.name!r} of service {slo.service!r} is also "
                        f"defined in {first[key]}",
                    }
                )
            first.setdefault(key, path)
    if errors:
        count = len(errors)
        raise CliError(
            f"{count} problem{'s' if count > 1 else ''} in the SLO definitions",
            ExitCode.USAGE,
            code="invalid-slo",
            hint="Fix the named fields; docs/slo.md describes both formats.",
            details=[f"{e['file']}: {e['field']}: {e['reason']}" for e in errors],
            body={"code": "invalid-slo", "detail": "invalid SLO definitions", "errors": errors},
        )
    return loaded


def _summary(slo: Slo) -> dict[str, Any]:
    return {
        "service": slo.service,
        "name": slo.name,
        "objective": slo.objective,
        "window_days": slo.window_days,
        "sli": type(slo.sli).__name__.removesuffix("Sli").lower(),
        "page_alert": slo.alerting.page.name if slo.alerting.page.enabled else None,
        "ticket_alert": slo.alerting.ticket.name if slo.alerting.ticket.enabled else None,
    }


@app.command("validate")
def validate(files: FilesArg, as_json: JsonOpt = False) -> None:
    """Check SLO files; each error names the file and the field's path. Exit 2 when invalid."""
    with guard(as_json):
        loaded = load_files(files)
    if as_json:
        emit_json(
            {
                "valid": True,
                "files": [
                    {"file": path, "slos": [_summary(s) for s in slos]} for path, slos in loaded
                ],
            }
        )
        return
    for path, slos in loaded:
        names = ", ".join(f"{s.service}/{s.name}" for s in slos)
        out.print(f"{path}: {len(slos)} SLO{'s' if len(slos) != 1 else ''} valid ({names})")


def dump_yaml(data: Any) -> str:
    """YAML for people: multi-line expressions as literal blocks, keys in the order made."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        literal = "\n" in value and all(line == line.rstrip() for line in value.splitlines())
        return dumper.represent_scalar(
            "tag:yaml.org,2002:str", value, style="|" if literal else None
        )

    Dumper.add_representer(str, text)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)


@app.command("rules")
def rules(
    files: FilesArg,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the rule file here, not stdout.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the Prometheus rule file of the SLOs (recording rules and burn-rate alerts)."""
    from sluicegate.domain.slo import rule_file

    with guard(as_json):
        slos = [slo for _, found in load_files(files) for slo in found]
        document = rule_file(slos)
        text = (
            json.dumps(document, indent=2, ensure_ascii=False) + "\n"
            if as_json
            else "# Generated by `sluice slo rules` (docs/slo.md): edit the SLO files instead.\n"
            + dump_yaml(document)
        )
        if output is None:
            sys.stdout.write(text)
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {output}: {exc.strerror}", ExitCode.USAGE) from exc
    count = sum(len(g["rules"]) for g in document["groups"])
    err.print(f"wrote {count} rules for {len(slos)} SLOs to {output}")


@app.command("apply")
def apply(
    files: FilesArg,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be stored; store nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Store the SLOs on the server: a new revision of each SLO whose spec changed.

    The files are checked here first, as by validate: nothing is sent unless all are valid.
    """
    with guard(as_json):
        load_files(files)
    results: list[dict[str, Any]] = []
    with client_session(as_json) as client:
        for path in files:
            params: dict[str, Any] = {"dry_run": "true" if dry_run else "false"}
            if path != "-":
                params["filename"] = Path(path).name
            answer = client.request(
                "POST",
                "/api/v1/slos",
                params=params,
                content=read_bytes(path),
                headers={"content-type": "application/yaml"},
            )
            results += [{"file": path, **slo} for slo in answer["slos"]]
    if as_json:
        emit_json({"dry_run": dry_run, "slos": results})
        return
    stored = "would store" if dry_run else "stored"
    rows = [
        (
            r["file"],
            f"{r['service']}/{r['name']}",
            str(r["revision"]),
            stored if r["changed"] else "unchanged",
        )
        for r in results
    ]
    table("SLOs (dry run)" if dry_run else "SLOs", ["file", "slo", "revision", "result"], rows)


@app.command("list")
def list_stored(
    service: Annotated[str | None, typer.Option(help="Only this service's SLOs.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The SLOs stored on the server, the latest revision of each."""
    with client_session(as_json) as client:
        found = client.request(
            "GET", "/api/v1/slos", params={} if service is None else {"service": service}
        )
    if as_json:
        emit_json(found)
        return
    rows = [
        (
            s["service"],
            s["name"],
            str(s["objective"]),
            f"{s['window_days']}d",
            str(s["revision"]),
            s["format"],
            s["recorded_at"],
        )
        for s in found["slos"]
    ]
    table(
        "SLOs", ["service", "name", "objective", "window", "revision", "format", "recorded"], rows
    )


@app.command("show")
def show(
    service: Annotated[str, typer.Argument(help="The SLO's service.")],
    name: Annotated[str, typer.Argument(help="The SLO's name.")],
    revision: Annotated[
        int | None, typer.Option(help="This revision, not the latest.", min=1)
    ] = None,
    rules_only: Annotated[
        bool, typer.Option("--rules", help="Print the revision's Prometheus rule file.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """One stored SLO (its latest revision, or --revision N), or with --rules its rule file."""
    params = {} if revision is None else {"revision": revision}
    with client_session(as_json) as client:
        if rules_only:
            text = client.request(
                "GET",
                f"/api/v1/slos/{service}/{name}/rules",
                params={**params, "format": "json" if as_json else "yaml"},
            )
        else:
            found = client.request("GET", f"/api/v1/slos/{service}/{name}", params=params)
    if rules_only:
        if as_json:
            emit_json(text)
        else:
            sys.stdout.write(text)
        return
    if as_json:
        emit_json(found)
        return
    rows = [
        (key, str(found.get(key)))
        for key in (
            "service",
            "name",
            "revision",
            "latest_revision",
            "objective",
            "window_days",
            "format",
            "filename",
            "recorded_at",
            "recorded_by",
        )
    ]
    rules_count = sum(len(g["rules"]) for g in found["rules"]["groups"])
    rows.append(("rules", f"{rules_count} (sluice slo show {service} {name} --rules)"))
    table(f"SLO {service}/{name}", ["field", "value"], rows)
