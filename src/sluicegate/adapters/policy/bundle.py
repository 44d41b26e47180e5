"""Reading a policy bundle directory: .rego files, data.json/data.yaml, revision and packages."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from sluicegate.service.gates.policy import PolicyBundle, PolicyCompileError, PolicyModule

__all__ = [
    "compile_error_from_engine",
    "find_unknown_function",
    "find_with_keyword",
    "line_column",
    "read_bundle",
    "user_functions",
]

_PACKAGE_RE = re.compile(r"^[ \t]*package[ \t]+([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)", re.M)
_DATA_FILES = ("data.json", "data.yaml", "data.yml")
_WITH_RE = re.compile(r"\bwith\s+(?:input|data)\b")
_STRING_OR_COMMENT_RE = re.compile(r'"(?:\\.|[^"\\])*"|`[^`]*`|#[^\n]*')


def _module(root: Path, file: Path) -> PolicyModule:
    rel = file.relative_to(root).as_posix()
    try:
        source = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyCompileError("file is not valid UTF-8", file=rel) from exc
    match = _PACKAGE_RE.search(_blank_strings_and_comments(source))
    if match is None:
        raise PolicyCompileError("missing package declaration", file=rel, line=1, column=1)
    return PolicyModule(path=rel, source=source, package=match.group(1))


def _load_data(file: Path) -> dict[str, Any]:
    text = file.read_text(encoding="utf-8")
    try:
        loaded: Any = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise PolicyCompileError(f"invalid data document: {exc}", file=file.name) from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise PolicyCompileError("data document must be an object", file=file.name)
    return loaded


def read_bundle(path: str | Path) -> PolicyBundle:
    """Read every ``*.rego`` file below ``path`` (recursively) and the optional data document."""
    root = Path(path)
    if not root.is_dir():
        raise PolicyCompileError(f"policy bundle directory not found: {root}")
    files = sorted(p for p in root.rglob("*.rego") if p.is_file())
    modules = tuple(_module(root, f) for f in files)
    data: dict[str, Any] = {}
    digest = hashlib.sha256()
    hashed: list[Path] = list(files)
    for name in _DATA_FILES:
        candidate = root / name
        if candidate.is_file():
            data.update(_load_data(candidate))
            hashed.append(candidate)
    for file in sorted(hashed, key=lambda p: p.relative_to(root).as_posix()):
        rel = file.relative_to(root).as_posix().encode()
        content = file.read_bytes()
        digest.update(len(rel).to_bytes(4, "big") + rel)
        digest.update(len(content).to_bytes(8, "big") + content)
    return PolicyBundle(root=str(root), revision=digest.hexdigest(), modules=modules, data=data)


def _blank_strings_and_comments(source: str) -> str:
    """Replace string literals and comments by spaces, keeping offsets intact."""
    return _STRING_OR_COMMENT_RE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source)


def line_column(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset into ``source``."""
    prefix = source.encode("utf-8")[:offset].decode("utf-8", errors="ignore")
    line = prefix.count("\n") + 1
    column = len(prefix) - (prefix.rfind("\n") + 1) + 1
    return line, column


def find_with_keyword(module: PolicyModule) -> PolicyCompileError | None:
    """Reject ``with input/data as`` in evaluated modules.

    regopy 1.5.2 crashes the whole process (SIGSEGV/abort) when a rule evaluated under ``with``
    calls any built-in, so evaluated policies must not use it (tests run in a subprocess).
    """
    match = _WITH_RE.search(_blank_strings_and_comments(module.source))
    if match is None:
        return None
    line, column = line_column(module.source, len(module.source[: match.start()].encode()))
    return PolicyCompileError(
        "the `with` keyword is not supported in evaluated policies (regopy crash); "
        "use it only in *_test.rego files",
        file=module.path,
        line=line,
        column=column,
    )


_CALL_RE = re.compile(r"(?<![\w.])([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\(")
_HEAD_RE = re.compile(r"^([A-Za-z_][\w]*)\s*\(", re.M)
_IMPORT_RE = re.compile(r"^[ \t]*import[ \t]+([\w.]+)(?:[ \t]+as[ \t]+(\w+))?", re.M)
_NOT_CALLS = frozenset(
    {"if", "contains", "in", "not", "some", "every", "with", "as", "else", "set", "print"}
)


def user_functions(modules: Iterable[PolicyModule]) -> frozenset[str]:
    """Names defined by function heads (``name(args) := ...`` at column 0) in any module."""
    return frozenset(m.group(1) for module in modules for m in _HEAD_RE.finditer(module.source))


def find_unknown_function(
    module: PolicyModule, functions: frozenset[str], is_builtin: Callable[[str], bool]
) -> PolicyCompileError | None:
    """Static check for calls to functions that are neither built-ins nor defined in the bundle.

    rego-cpp only reports ``Function not found`` when the call is evaluated, which may be long
    after the bundle was accepted; this catches the common case at load time.
    """
    text = _blank_strings_and_comments(module.source)
    aliases = {m.group(2) or m.group(1).rsplit(".", 1)[-1] for m in _IMPORT_RE.finditer(text)}
    for match in _CALL_RE.finditer(text):
        name = match.group(1)
        first, _, _ = name.partition(".")
        last = name.rsplit(".", 1)[-1]
        if name in _NOT_CALLS or first in ("data", "input") or first in aliases:
            continue
        if last in functions or is_builtin(name):
            continue
        offset = len(module.source[: match.start()].encode())
        line, column = line_column(module.source, offset)
        return PolicyCompileError(
            f"unknown function {name!r} (not a built-in or a function of the bundle)",
            file=module.path,
            line=line,
            column=column,
        )
    return None


def _length_prefixed(text: str, start: int) -> tuple[str, int]:
    colon = text.index(":", start)
    size = int(text[start:colon])
    return text[colon + 1 : colon + 1 + size], colon + 1 + size


def compile_error_from_engine(raw: str, modules: dict[str, str]) -> PolicyCompileError:
    """Turn a rego-cpp error AST, e.g. ``(error 8:bad.rego|54|2 (errormsg 27:...)``, into an error.

    Only the first error is reported; its offset is converted to line/column using the source.
    """
    file: str | None = None
    line: int | None = None
    column: int | None = None
    reason = raw.strip()
    loc = re.search(r"\(error (\d+:)", raw)
    if loc is not None:
        try:
            name, end = _length_prefixed(raw, loc.start(1))
            off = re.match(r"\|(\d+)\|(\d+)", raw[end:])
            if name in modules:
                file = name
                if off is not None:
                    line, column = line_column(modules[name], int(off.group(1)))
        except ValueError:
            file = None
    msg = re.search(r"\(errormsg (\d+:)", raw)
    if msg is not None:
        try:
            reason = _length_prefixed(raw, msg.start(1))[0]
        except ValueError:
            reason = raw.strip()
    return PolicyCompileError(reason, file=file, line=line, column=column)
