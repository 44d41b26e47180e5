"""Process versions (content hash + a per-name version number) and ``diff`` between two.

The content hash is SHA-256 over the canonical JSON of the resolved process document, so a
template change that alters the gates changes the hash even if the process file did not change.
Storage assigns the version numbers; :func:`next_version` is the pure rule it follows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal

from sluicegate.domain.canonical import canonical_json
from sluicegate.domain.gates.process import Process

__all__ = ["Change", "ProcessDiff", "ProcessVersion", "content_hash", "diff", "next_version"]


def _hash_of(canonical: str) -> str:
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def content_hash(process: Process) -> str:
    return _hash_of(canonical_json(process.to_dict()))


@dataclass(frozen=True, slots=True)
class ProcessVersion:
    process: Process
    version: int
    content_hash: str
    # The canonical JSON of ``process.to_dict()``, kept because every gate decision embeds and
    # hashes it (the process is immutable, so it is computed once, in ``of``).
    canonical_document: str = dataclass_field(default="", compare=False, repr=False)

    @classmethod
    def of(cls, process: Process, version: int = 1) -> ProcessVersion:
        if version < 1:
            raise ValueError("versions start at 1")
        canonical = canonical_json(process.to_dict())
        return cls(process, version, _hash_of(canonical), canonical)

    def canonical(self) -> str:
        """Canonical JSON of :meth:`to_dict`: keys content_hash, document, name, version."""
        document = self.canonical_document or canonical_json(self.process.to_dict())
        return (
            f'{{"content_hash":{canonical_json(self.content_hash)},"document":{document},'
            f'"name":{canonical_json(self.name)},"version":{canonical_json(self.version)}}}'
        )

    @property
    def name(self) -> str:
        return self.process.name

    @property
    def label(self) -> str:
        return f"{self.name}@v{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "content_hash": self.content_hash,
            # json.loads of the cached canonical text: a fresh copy, far cheaper than rebuilding
            "document": (
                json.loads(self.canonical_document)
                if self.canonical_document
                else self.process.to_dict()
            ),
        }


def next_version(latest: ProcessVersion | None, process: Process) -> ProcessVersion:
    """The version to store for ``process``: unchanged content keeps the latest version."""
    if latest is None:
        return ProcessVersion.of(process, 1)
    if latest.name != process.name:
        raise ValueError(f"cannot version {process.name} after {latest.name}")
    if latest.content_hash == content_hash(process):
        return latest
    return ProcessVersion.of(process, latest.version + 1)


@dataclass(frozen=True, slots=True)
class Change:
    op: Literal["added", "removed", "changed"]
    path: str
    before: Any = None
    after: Any = None

    def __str__(self) -> str:
        if self.op == "added":
            return f"+ {self.path}: {_show(self.after)}"
        if self.op == "removed":
            return f"- {self.path}: {_show(self.before)}"
        return f"~ {self.path}: {_show(self.before)} -> {_show(self.after)}"

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "path": self.path, "before": self.before, "after": self.after}


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(", ", ": "))


@dataclass(frozen=True, slots=True)
class ProcessDiff:
    before: str
    after: str
    changes: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not self.changes

    def lines(self) -> list[str]:
        return [f"--- {self.before}", f"+++ {self.after}", *(str(c) for c in self.changes)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "changes": [c.to_dict() for c in self.changes],
        }


def _keyed(items: list[Mapping[str, Any]], key: str) -> dict[str, Mapping[str, Any]]:
    return {str(item[key]): item for item in items}


def _values(path: str, a: Any, b: Any, out: list[Change]) -> None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for k in sorted(set(a) | set(b)):
            sub = f"{path}.{k}"
            if k not in a:
                out.append(Change("added", sub, after=b[k]))
            elif k not in b:
                out.append(Change("removed", sub, before=a[k]))
            else:
                _values(sub, a[k], b[k], out)
    elif a != b:
        out.append(Change("changed", path, a, b))


def _items(
    path: str, a: list[Mapping[str, Any]], b: list[Mapping[str, Any]], key: str, out: list[Change]
) -> dict[str, tuple[Mapping[str, Any], Mapping[str, Any]]]:
    left, right = _keyed(a, key), _keyed(b, key)
    for name in left:
        if name not in right:
            out.append(Change("removed", f"{path}.{name}", before=dict(left[name])))
    for name in right:
        if name not in left:
            out.append(Change("added", f"{path}.{name}", after=dict(right[name])))
    return {n: (left[n], right[n]) for n in left if n in right}


def diff(a: Process | ProcessVersion, b: Process | ProcessVersion) -> ProcessDiff:
    """What changed from ``a`` to ``b``: stages and gates by name, then field by field."""
    labels = [x.label if isinstance(x, ProcessVersion) else x.name for x in (a, b)]
    left = (a.process if isinstance(a, ProcessVersion) else a).to_dict()
    right = (b.process if isinstance(b, ProcessVersion) else b).to_dict()
    out: list[Change] = []
    _values("metadata", left["metadata"], right["metadata"], out)
    _values("entry", left["entry"], right["entry"], out)
    common = _items("stages", left["stages"], right["stages"], "name", out)
    for name, (sa, sb) in common.items():
        base = f"stages.{name}"
        for field in ("environment", "needs", "description"):
            _values(f"{base}.{field}", sa.get(field), sb.get(field), out)
        gates = _items(f"{base}.gates", sa["gates"], sb["gates"], "id", out)
        for gate_id, (ga, gb) in gates.items():
            _values(f"{base}.gates.{gate_id}", ga, gb, out)
    return ProcessDiff(labels[0], labels[1], tuple(out))
