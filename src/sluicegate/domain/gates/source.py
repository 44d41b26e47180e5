"""YAML text -> plain values plus the line and column of every node (a "marked document").

``yaml.compose`` keeps each node's start mark; the values are rebuilt from the node graph so that
every dotted path (``stages[2].gates[0].type``) can be traced back to the exact place in the file.
Timestamps stay strings (process documents are JSON-shaped); duplicate keys are errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from sluicegate.domain.gates.errors import DefinitionIssue, Location, ProcessDefinitionError

__all__ = ["MarkedDocument", "Path", "format_path", "parse_yaml"]

Path = tuple[str | int, ...]

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_BINARY_TAG = "tag:yaml.org,2002:binary"


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True, slots=True)
class MarkedDocument:
    """A parsed document; ``values`` marks each value node, ``keys`` each mapping key node."""

    source: str
    value: Any
    values: Mapping[Path, Location] = field(default_factory=dict)
    keys: Mapping[Path, Location] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> Location | None:
        """The location of ``path``, or of its nearest ancestor that has one."""
        if key and path in self.keys:
            return self.keys[path]
        probe = path
        while True:
            if probe in self.values:
                return self.values[probe]
            if not probe:
                return None
            probe = probe[:-1]

    def issue(self, path: Path, reason: str, *, key: bool = False) -> DefinitionIssue:
        return DefinitionIssue(format_path(path), reason, self.locate(path, key=key))


class _Builder:
    def __init__(self, source: str, loader: yaml.SafeLoader) -> None:
        self.source = source
        self.loader = loader
        self.values: dict[Path, Location] = {}
        self.keys: dict[Path, Location] = {}
        self.issues: list[DefinitionIssue] = []

    def here(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.source, mark.line + 1, mark.column + 1)

    def build(self, node: yaml.Node, path: Path, depth: int = 0) -> Any:
        self.values[path] = self.here(node)
        if depth > 64:
            where = self.here(node)
            self.issues.append(DefinitionIssue(format_path(path), "nested too deeply", where))
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        if node.tag == _TIMESTAMP_TAG:
            return str(node.value)
        if node.tag == _BINARY_TAG:
            self.issues.append(
                DefinitionIssue(format_path(path), "binary values are not allowed", self.here(node))
            )
            return None
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        self.loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.issues.append(
                    DefinitionIssue(format_path(path), "keys must be scalars", self.here(key_node))
                )
                continue
            key = str(self.loader.construct_object(key_node))
            child = (*path, key)
            if key in out:
                self.issues.append(
                    DefinitionIssue(format_path(child), "duplicate key", self.here(key_node))
                )
                continue
            self.keys[child] = self.here(key_node)
            out[key] = self.build(value_node, child, depth + 1)
        return out


def parse_yaml(text: str, source: str = "<process>") -> MarkedDocument:
    """Parse one YAML document; raise :class:`ProcessDefinitionError` with line and column."""
    try:
        # The reader checks the characters on construction (and raises a YAMLError for those
        # YAML forbids), so construction is inside the try too.
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:
        raise ProcessDefinitionError([DefinitionIssue("", f"YAML error: {exc}", None)]) from exc
    try:
        node = loader.get_single_node()
        if node is None:
            raise ProcessDefinitionError(
                [DefinitionIssue("", "the document is empty", Location(source, 1, 1))]
            )
        builder = _Builder(source, loader)
        value = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(source, mark.line + 1, mark.column + 1) if mark else None
        reason = f"YAML syntax error: {exc.problem or exc.context or 'unreadable'}"
        raise ProcessDefinitionError([DefinitionIssue("", reason, where)]) from exc
    except yaml.YAMLError as exc:
        raise ProcessDefinitionError([DefinitionIssue("", f"YAML error: {exc}", None)]) from exc
    finally:
        loader.dispose()
    if builder.issues:
        raise ProcessDefinitionError(builder.issues)
    return MarkedDocument(source, value, builder.values, builder.keys)
