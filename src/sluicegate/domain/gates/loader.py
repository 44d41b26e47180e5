"""Load process and template documents from text (the service layer reads the files).

Every problem is collected with its line and column and raised together as one
:class:`ProcessDefinitionError`; nothing is returned unless the whole definition is valid.
Validation order: YAML syntax -> JSON Schema -> templates (parameters, substitution) -> stage
merge -> check types and their configs (through the registry) -> the stage DAG.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sluicegate.domain.gates.checks import CheckRegistry, default_registry
from sluicegate.domain.gates.errors import DefinitionIssue, ProcessDefinitionError
from sluicegate.domain.gates.process import LIFECYCLE_CHECK, Enforcement, GateDef, Process, StageDef
from sluicegate.domain.gates.schema import validate
from sluicegate.domain.gates.source import MarkedDocument, Path, parse_yaml
from sluicegate.domain.gates.templates import Template, parse_template

__all__ = ["load_process", "load_template", "process_from_dict"]


@dataclass(slots=True)
class _Sourced:
    """A raw stage or gate with the document and path it came from (for error locations)."""

    raw: dict[str, Any]
    doc: MarkedDocument
    path: Path


@dataclass(slots=True)
class _Stage:
    head: _Sourced
    gates: list[_Sourced]


def _schema_issues(doc: MarkedDocument, kind: str) -> list[DefinitionIssue]:
    issues = [doc.issue(v.path, v.reason, key=v.at_key) for v in validate(doc.value)]
    if not issues and doc.value.get("kind") != kind:
        other = "load_template" if kind == "Process" else "load_process"
        issues.append(doc.issue(("kind",), f"expected kind {kind} (use {other})"))
    return issues


def load_template(text: str, source: str = "<template>") -> Template:
    """Parse a ``kind: Template`` document."""
    doc = parse_yaml(text, source)
    issues = _schema_issues(doc, "Template")
    if issues:
        raise ProcessDefinitionError(issues)
    template, issues = parse_template(doc)
    if template is None:
        raise ProcessDefinitionError(issues)
    return template


def load_process(
    text: str,
    source: str = "<process>",
    *,
    templates: Iterable[Template] = (),
    registry: CheckRegistry | None = None,
) -> Process:
    """Parse, validate and resolve a ``kind: Process`` document."""
    return _build(parse_yaml(text, source), templates, registry)


def process_from_dict(
    document: Mapping[str, Any],
    *,
    templates: Iterable[Template] = (),
    registry: CheckRegistry | None = None,
    source: str = "<document>",
) -> Process:
    """Validate a process given as data (e.g. a stored ``Process.to_dict()``)."""
    return _build(MarkedDocument(source, document), templates, registry)


def _build(
    doc: MarkedDocument, templates: Iterable[Template], registry: CheckRegistry | None
) -> Process:
    registry = registry if registry is not None else default_registry()
    issues = _schema_issues(doc, "Process")
    if issues:
        raise ProcessDefinitionError(issues)
    raw = doc.value
    stages: list[_Stage] = []
    if "extends" in raw:
        stages = _extend(doc, {t.name: t for t in templates}, issues)
    _merge(doc, stages, issues)
    if not stages and not issues:
        issues.append(doc.issue((), "a process needs at least one stage (or a template)"))
    built = [_stage(stage, registry, issues) for stage in stages]
    entry = str(raw.get("entry", built[0].name if built else ""))
    if built:
        _check_dag(doc, stages, built, entry, issues)
    if issues:
        raise ProcessDefinitionError(issues)
    meta = raw["metadata"]
    return Process(
        name=meta["name"],
        entry=entry,
        stages=tuple(built),
        description=str(meta.get("description", "")),
        extends=dict(raw["extends"]) if "extends" in raw else None,
    )


def _extend(
    doc: MarkedDocument, templates: Mapping[str, Template], issues: list[DefinitionIssue]
) -> list[_Stage]:
    extends = doc.value["extends"]
    template = templates.get(extends["template"])
    if template is None:
        known = ", ".join(sorted(templates)) or "none loaded"
        issues.append(
            doc.issue(
                ("extends", "template"), f"unknown template {extends['template']!r} ({known})"
            )
        )
        return []
    values, problems = template.bind(extends.get("with", {}), doc, ("extends", "with"))
    issues.extend(problems)
    if problems:
        return []
    raw_stages, problems = template.instantiate(values)
    issues.extend(problems)
    out: list[_Stage] = []
    for i, raw in enumerate(raw_stages):
        path: Path = ("stages", i)
        gates = [
            _Sourced(g, template.document, (*path, "gates", j))
            for j, g in enumerate(raw.get("gates", []))
        ]
        out.append(_Stage(_Sourced(raw, template.document, path), gates))
    return out


def _merge(doc: MarkedDocument, stages: list[_Stage], issues: list[DefinitionIssue]) -> None:
    """Add the process's own stages; a stage named like a template stage extends it."""
    inherited = {s.head.raw["name"]: s for s in stages}
    seen: set[str] = set()
    for i, raw in enumerate(doc.value.get("stages", [])):
        path: Path = ("stages", i)
        name = raw["name"]
        if name in seen:
            issues.append(doc.issue((*path, "name"), f"duplicate stage {name!r}"))
            continue
        seen.add(name)
        gates = [_Sourced(g, doc, (*path, "gates", j)) for j, g in enumerate(raw.get("gates", []))]
        base = inherited.get(name)
        if base is None:
            stages.append(_Stage(_Sourced(raw, doc, path), gates))
            continue
        fields = {k: v for k, v in raw.items() if k != "gates"}
        base.head = _Sourced({**base.head.raw, **fields}, doc, path)
        for gate in gates:
            same = [k for k, g in enumerate(base.gates) if g.raw["id"] == gate.raw["id"]]
            if same:
                base.gates[same[0]] = gate  # a team replaces the template's gate of that id
            else:
                base.gates.append(gate)


def _stage(stage: _Stage, registry: CheckRegistry, issues: list[DefinitionIssue]) -> StageDef:
    raw = stage.head.raw
    gates: list[GateDef] = []
    ids: set[str] = set()
    for gate in stage.gates:
        g, doc, path = gate.raw, gate.doc, gate.path
        if g["id"] in ids:
            issues.append(doc.issue((*path, "id"), f"duplicate gate id {g['id']!r}"))
            continue
        if g["id"] == LIFECYCLE_CHECK:
            reason = f"gate id {LIFECYCLE_CHECK!r} is reserved for the built-in lifecycle check"
            issues.append(doc.issue((*path, "id"), reason))
            continue
        ids.add(g["id"])
        check = registry.get(g["type"])
        config = g.get("config", {})
        if check is None:
            known = ", ".join(registry.types)
            issues.append(
                doc.issue((*path, "type"), f"unknown check type {g['type']!r} (known: {known})")
            )
        else:
            for problem in check.validate(config):
                where = (*path, "config", *problem.path)
                issues.append(doc.issue(where, f"{g['type']}: {problem.reason}"))
        gates.append(
            GateDef(
                id=g["id"],
                type=g["type"],
                enforcement=Enforcement(g.get("enforcement", Enforcement.HARD_MANDATORY)),
                config=config,
                description=str(g.get("description", "")),
                location=doc.locate(path),
            )
        )
    return StageDef(
        name=raw["name"],
        environment=str(raw.get("environment", raw["name"])),
        needs=tuple(raw.get("needs", ())),
        gates=tuple(gates),
        description=str(raw.get("description", "")),
    )


def _check_dag(
    doc: MarkedDocument,
    sources: list[_Stage],
    stages: list[StageDef],
    entry: str,
    issues: list[DefinitionIssue],
) -> None:
    names = {s.name for s in stages}
    where = {s.name: src.head for s, src in zip(stages, sources, strict=True)}
    if entry not in names:
        issues.append(doc.issue(("entry",), f"entry stage {entry!r} is not defined"))
        return
    for stage in stages:
        head = where[stage.name]
        for i, need in enumerate(stage.needs):
            if need not in names:
                issues.append(
                    head.doc.issue(
                        (*head.path, "needs", i),
                        f"stage {stage.name!r} needs unknown stage {need!r}",
                    )
                )
    if where[entry].raw.get("needs"):
        head = where[entry]
        issues.append(head.doc.issue((*head.path, "needs"), "the entry stage cannot need others"))
    graph = {s.name: [n for n in s.needs if n in names] for s in stages}
    cycle = _find_cycle(graph)
    if cycle is not None:
        head = where[cycle[0]]
        issues.append(
            head.doc.issue(
                (*head.path, "needs"),
                "stages form a cycle (-> means needs): " + " -> ".join([*cycle, cycle[0]]),
            )
        )
        return
    reachable = {entry}
    frontier = [entry]
    while frontier:
        here = frontier.pop()
        for stage in stages:
            if here in stage.needs and stage.name not in reachable:
                reachable.add(stage.name)
                frontier.append(stage.name)
    for stage in stages:
        if stage.name not in reachable and all(n in names for n in stage.needs):
            head = where[stage.name]
            issues.append(
                head.doc.issue(
                    (*head.path, "name"),
                    f"stage {stage.name!r} is unreachable from the entry stage {entry!r}",
                )
            )


def _find_cycle(graph: Mapping[str, list[str]]) -> list[str] | None:
    """One cycle in ``graph`` (stage -> the stages it needs); each element needs the next."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for need in graph[node]:
            if state.get(need) == 1:
                return stack[stack.index(need) :]
            if need not in state:
                found = visit(need)
                if found is not None:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state:
            found = visit(node)
            if found is not None:
                return found
    return None
