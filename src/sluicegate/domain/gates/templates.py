"""Gate templates: typed parameters, written once and instantiated per team with ``extends``.

A template document (``kind: Template``) declares ``parameters`` and ``stages`` whose gates may
use ``${name}``. A string that is exactly ``${name}`` becomes the parameter's typed value; a
longer string gets the value interpolated as text. A process instantiates the template with
``extends: {template: NAME, with: {name: value}}``; missing required parameters, unknown
parameters and values of the wrong type are reported at their line and column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluicegate.domain.gates.durations import parse_duration
from sluicegate.domain.gates.errors import DefinitionIssue
from sluicegate.domain.gates.source import MarkedDocument, Path

__all__ = ["PARAMETER_TYPES", "Parameter", "Template", "parse_template", "type_error"]

PARAMETER_TYPES = ("string", "integer", "number", "boolean", "list", "duration")
_WHOLE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_ANY = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    type: str
    required: bool
    default: Any
    description: str = ""


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template; ``document`` keeps the marks for errors inside its stages."""

    name: str
    description: str
    parameters: Mapping[str, Parameter]
    document: MarkedDocument

    @property
    def stages(self) -> list[Any]:
        stages = self.document.value.get("stages", [])
        return list(stages)

    def bind(
        self, given: Mapping[str, Any], where: MarkedDocument, path: Path
    ) -> tuple[dict[str, Any], list[DefinitionIssue]]:
        """Typed values for every parameter; ``path`` locates ``with`` in the process."""
        issues: list[DefinitionIssue] = []
        values: dict[str, Any] = {}
        for name in given:
            if name not in self.parameters:
                known = ", ".join(sorted(self.parameters)) or "none"
                issues.append(
                    where.issue(
                        (*path, name),
                        f"template {self.name!r} has no parameter {name!r} (known: {known})",
                        key=True,
                    )
                )
        for name, param in self.parameters.items():
            if name in given:
                problem = type_error(param.type, given[name])
                if problem is not None:
                    issues.append(where.issue((*path, name), f"parameter {name!r}: {problem}"))
                values[name] = given[name]
            elif param.required:
                issues.append(
                    where.issue(
                        path,
                        f"template {self.name!r} needs parameter {name!r} ({param.type})",
                    )
                )
            else:
                values[name] = param.default
        return values, issues

    def instantiate(self, values: Mapping[str, Any]) -> tuple[list[Any], list[DefinitionIssue]]:
        """The template's stages with parameters substituted (same paths as the template)."""
        issues: list[DefinitionIssue] = []
        stages = _substitute(self.stages, values, self.document, ("stages",), issues)
        return list(stages), issues


def type_error(kind: str, value: Any) -> str | None:
    """Why ``value`` is not of parameter type ``kind``, or None."""
    is_bool = isinstance(value, bool)
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not is_bool,
        "number": isinstance(value, int | float) and not is_bool,
        "boolean": is_bool,
        "list": isinstance(value, list),
        "duration": isinstance(value, str),
    }[kind]
    if not ok:
        return f"expected {kind}, got {type(value).__name__} {value!r}"
    if kind == "duration":
        try:
            parse_duration(value)
        except ValueError as exc:
            return str(exc)
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _substitute(
    value: Any,
    values: Mapping[str, Any],
    doc: MarkedDocument,
    path: Path,
    issues: list[DefinitionIssue],
) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, values, doc, (*path, k), issues) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, values, doc, (*path, i), issues) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = _WHOLE.fullmatch(value)
    if whole is not None:
        name = whole.group(1)
        if name not in values:
            issues.append(doc.issue(path, f"unknown template parameter ${{{name}}}"))
            return None
        return values[name]

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            issues.append(doc.issue(path, f"unknown template parameter ${{{name}}}"))
            return ""
        text = _text(values[name])
        if text is None:
            issues.append(doc.issue(path, f"parameter {name!r} cannot be interpolated in text"))
            return ""
        return text

    return _ANY.sub(replace, value)


def parse_template(doc: MarkedDocument) -> tuple[Template | None, list[DefinitionIssue]]:
    """Build a template from a schema-valid ``kind: Template`` document."""
    raw = doc.value
    issues: list[DefinitionIssue] = []
    params: dict[str, Parameter] = {}
    for name, spec in raw.get("parameters", {}).items():
        path: Path = ("parameters", name)
        kind = spec["type"]
        required = bool(spec.get("required", False))
        default = spec.get("default")
        if required and "default" in spec:
            issues.append(doc.issue(path, "a required parameter cannot have a default"))
        if "default" in spec and default is not None:
            problem = type_error(kind, default)
            if problem is not None:
                issues.append(doc.issue((*path, "default"), f"default: {problem}"))
        params[name] = Parameter(name, kind, required, default, str(spec.get("description", "")))
    for key in ("extends", "entry"):
        if key in raw:
            issues.append(doc.issue((key,), f"a template cannot use {key!r}", key=True))
    if issues:
        return None, issues
    meta = raw["metadata"]
    return Template(meta["name"], str(meta.get("description", "")), params, doc), []
