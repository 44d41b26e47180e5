"""Process use cases: validate, apply (versioned by content hash), show, diff, select and pin.

A process is stored as an immutable version: the YAML as applied (plus the templates it
extends, so gate locations survive for SARIF) and the resolved document whose content hash
identifies it. Applying unchanged content keeps the latest version and writes nothing.

Which process an experiment follows: its pin (set at its first gate check, or by an explicit
``migrate``), else the process selector (the ``process_selector`` setting, default: the process
named ``default``). Nothing is governed until an admin applies a process; the built-in default
(``resources/processes/default.yaml``) is applied like any other file.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sluicegate.domain.access.identity import Action, authorize
from sluicegate.domain.errors import Conflict, FieldError, InvalidInput, NotFound, StateConflict
from sluicegate.domain.events import AuditAction
from sluicegate.domain.gates import (
    Process,
    ProcessSelector,
    ProcessVersion,
    Template,
    diff,
    load_process,
    load_template,
)
from sluicegate.service.auditing import record
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.experiments.ports import ExperimentRecord
from sluicegate.service.gates.policy import (
    PolicyBundle,
    PolicyCompileError,
    PolicyEngine,
    PolicyError,
)
from sluicegate.service.gates.ports import ProcessPinRecord, ProcessVersionRecord
from sluicegate.service.ports import UnitOfWork

__all__ = [
    "BUILTIN_DEFAULT",
    "DEFAULT_SELECTOR",
    "GateRuntime",
    "ProcessSource",
    "apply_process",
    "diff_versions",
    "get_selector",
    "governing_version",
    "migrate_experiment",
    "process_dict",
    "resolve_for",
    "set_selector",
    "show_process",
    "validate_process",
]

BUILTIN_DEFAULT = "default"
DEFAULT_SELECTOR: Mapping[str, Any] = {"rules": [], "default": BUILTIN_DEFAULT}
_SELECTOR_KEY = "process_selector"


@dataclass
class GateRuntime:
    """What gate use cases need beyond :class:`Deps`: the policy engine and its bundle directory.

    ``engine`` or ``policy_dir`` None: policy checks fail closed ("no policy bundle configured").
    Parsed process versions are cached by name, version and content hash (they are immutable),
    and policy bundle revisions once seen stored (``policy_bundles`` is append-only).
    """

    engine: PolicyEngine | None = None
    policy_dir: Path | None = None
    max_override: timedelta = timedelta(days=7)
    _versions: dict[tuple[str, int, str], ProcessVersion] = field(default_factory=dict)
    # (name, version) -> parsed version, only for rows read back from the database (which are
    # immutable and append-only), so a pinned experiment needs no process version query
    _stored_versions: dict[tuple[str, int], ProcessVersion] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _bundle: tuple[object, PolicyBundle] | None = None
    # bundle revisions seen committed in the database (policy_bundles is append-only)
    _stored_revisions: set[str] = field(default_factory=set)

    def load_bundle(self) -> PolicyBundle:
        """The bundle in ``policy_dir``, re-read only when a file's size or mtime changed.

        File times are coarse (a few ms), so a bundle touched in the last seconds is always
        re-read (the engine still compiles each revision only once). Raises
        :class:`~sluicegate.service.gates.policy.PolicyError` (compile errors included).
        """
        if self.engine is None or self.policy_dir is None:
            raise PolicyError("no policy bundle configured (set SLUICE_POLICY_DIR)")
        fingerprint, newest = _fingerprint(self.policy_dir)
        cached = self._bundle
        settled = time.time_ns() - newest > _SETTLE_NS
        if cached is not None and cached[0] == fingerprint and settled:
            return cached[1]
        bundle = self.engine.load_bundle(self.policy_dir)
        self._bundle = (fingerprint, bundle)
        return bundle

    def version_of(self, rec: ProcessVersionRecord) -> ProcessVersion:
        key = (rec.name, rec.version, rec.content_hash)
        with self._lock:
            cached = self._versions.get(key)
        if cached is not None:
            with self._lock:
                self._stored_versions[(rec.name, rec.version)] = cached
            return cached
        process = _parse(ProcessSource(rec.source, rec.source_name, _template_pairs(rec)))
        version = ProcessVersion.of(process, rec.version)
        if version.content_hash != rec.content_hash:
            raise Conflict(
                f"stored process {rec.name}@v{rec.version} no longer matches its content hash",
                hint="The process loader changed how it resolves this document; re-apply it.",
            )
        with self._lock:
            self._versions[key] = version
            self._stored_versions[(rec.name, rec.version)] = version
        return version

    def remember_version(self, rec: ProcessVersionRecord, version: ProcessVersion) -> None:
        """Cache ``version``, parsed and checked against ``rec`` by the writer that stored it."""
        with self._lock:
            self._versions[(rec.name, rec.version, rec.content_hash)] = version

    def bundle_stored(self, revision: str) -> bool:
        """Whether bundle ``revision`` was seen committed in the database (append-only)."""
        with self._lock:
            return revision in self._stored_revisions

    def remember_stored_bundle(self, revision: str) -> None:
        with self._lock:
            self._stored_revisions.add(revision)

    def stored_version(self, name: str, version: int) -> ProcessVersion | None:
        """The parsed version ``name@version`` if it was read from the database before."""
        with self._lock:
            return self._stored_versions.get((name, version))


_SETTLE_NS = 2_000_000_000


def _fingerprint(root: Path) -> tuple[object, int]:
    """Sizes and modification times of the bundle's files, and the newest modification time.

    Walks the directory with ``os.scandir`` (symbolic links to directories are not followed
    and unreadable directories are skipped, like ``Path.rglob``).
    """
    found: list[tuple[str, int, int]] = []
    pending = [os.fspath(root)] if root.is_dir() else []
    try:
        while pending:
            try:
                scan = os.scandir(pending.pop())
            except PermissionError:
                continue  # skipped, like Path.rglob
            with scan as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                    elif os.path.splitext(entry.name)[1] in _BUNDLE_SUFFIXES and entry.is_file():
                        stat = entry.stat()
                        found.append((entry.path, stat.st_mtime_ns, stat.st_size))
    except OSError as exc:
        raise PolicyError(f"cannot read the policy bundle {root}: {exc}") from exc
    found.sort()
    return tuple(found), max((f[1] for f in found), default=0)


_BUNDLE_SUFFIXES = frozenset((".rego", ".json", ".yaml", ".yml"))


@dataclass(frozen=True, slots=True)
class ProcessSource:
    """A process file as sent: its YAML text, a name for locations, and template texts."""

    text: str
    name: str = "process.yaml"
    templates: Sequence[tuple[str, str]] = ()  # (source name, YAML text)


def _template_pairs(rec: ProcessVersionRecord) -> list[tuple[str, str]]:
    return [(t["name"], t["source"]) for t in rec.templates]


def _parse(source: ProcessSource) -> Process:
    templates: list[Template] = [load_template(text, name) for name, text in source.templates]
    return load_process(source.text, source.name, templates=templates)


def process_dict(rec: ProcessVersionRecord, *, with_source: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": rec.name,
        "version": rec.version,
        "content_hash": rec.content_hash,
        "applied_by": rec.applied_by,
        "applied_at": rec.applied_at.isoformat(),
        "document": rec.document,
    }
    if with_source:
        out["source"] = rec.source
        out["source_name"] = rec.source_name
    return out


def _has_policy_gates(process: Process) -> bool:
    return any(g.type == "policy" for s in process.stages for g in s.gates)


def _check_bundle(runtime: GateRuntime) -> list[str]:
    """Compile the configured bundle; raise InvalidInput on a compile error, else warnings."""
    if runtime.engine is None or runtime.policy_dir is None:
        return ["no policy bundle configured (SLUICE_POLICY_DIR): policy gates will fail closed"]
    try:
        runtime.load_bundle()
    except PolicyCompileError as exc:
        where = exc.file or "bundle"
        if exc.line is not None:
            where += f":{exc.line}:{exc.column}"
        raise InvalidInput(
            f"the policy bundle does not compile: {exc}",
            errors=[FieldError(f"policy:{exc.file or 'bundle'}", f"{where}: {exc.reason}")],
            hint="Fix the Rego (`sluice policy test DIR` runs the bundle's tests); "
            "nothing was applied.",
        ) from exc
    except PolicyError as exc:
        raise InvalidInput(
            f"the policy bundle cannot be loaded: {exc}",
            errors=[FieldError("policy", str(exc))],
        ) from exc
    return []


def validate_process(
    deps: Deps, ctx: RequestContext, runtime: GateRuntime, source: ProcessSource
) -> dict[str, Any]:
    """Parse and validate without storing; raises ProcessDefinitionError with line/column."""
    del deps
    authorize(ctx.principal, Action.PROCESS_READ)
    process = _parse(source)
    warnings = _check_bundle(runtime) if _has_policy_gates(process) else []
    version = ProcessVersion.of(process)
    return {
        "valid": True,
        "name": process.name,
        "content_hash": version.content_hash,
        "stages": [s.name for s in process.stages],
        "gates": {s.name: [g.id for g in s.gates] for s in process.stages},
        "document": process.to_dict(),
        "warnings": warnings,
    }


def _store(
    deps: Deps, uow: UnitOfWork, ctx: RequestContext, runtime: GateRuntime, source: ProcessSource
) -> tuple[ProcessVersionRecord, bool]:
    process = _parse(source)
    latest = uow.gates.latest_process_version(process.name)
    candidate = ProcessVersion.of(process, 1 if latest is None else latest.version + 1)
    if latest is not None and latest.content_hash == candidate.content_hash:
        return latest, False
    rec = ProcessVersionRecord(
        id=deps.ids.new_id(),
        name=process.name,
        version=candidate.version,
        content_hash=candidate.content_hash,
        document=process.to_dict(),
        source=source.text,
        source_name=source.name,
        templates=[{"name": n, "source": t} for n, t in source.templates],
        applied_by=ctx.actor,
        applied_at=deps.clock.now(),
    )
    uow.gates.add_process_version(rec)
    record(
        deps,
        uow,
        ctx,
        AuditAction.PROCESS_APPLY,
        "process",
        process.name,
        before=None if latest is None else {"version": latest.version, "hash": latest.content_hash},
        after={"version": rec.version, "content_hash": rec.content_hash},
    )
    runtime.remember_version(rec, candidate)
    return rec, True


def apply_process(
    deps: Deps,
    ctx: RequestContext,
    runtime: GateRuntime,
    name: str,
    source: ProcessSource,
) -> tuple[ProcessVersionRecord, bool, list[str]]:
    """Store a new version when the content hash changed; returns (version, created, warnings)."""
    authorize(ctx.principal, Action.PROCESS_APPLY)
    process = _parse(source)
    if process.name != name:
        raise InvalidInput(
            f"the document defines process {process.name!r}, not {name!r}",
            errors=[FieldError("metadata.name", f"expected {name!r}")],
        )
    warnings = _check_bundle(runtime) if _has_policy_gates(process) else []
    with deps.uow() as uow:
        rec, created = _store(deps, uow, ctx, runtime, source)
    return rec, created, warnings


def show_process(
    deps: Deps, ctx: RequestContext, name: str, version: int | None = None
) -> ProcessVersionRecord:
    authorize(ctx.principal, Action.PROCESS_READ)
    with deps.uow(readonly=True) as uow:
        return _version(uow, name, version)


def _version(uow: UnitOfWork, name: str, version: int | None) -> ProcessVersionRecord:
    rec = (
        uow.gates.latest_process_version(name)
        if version is None
        else uow.gates.get_process_version(name, version)
    )
    if rec is None:
        which = name if version is None else f"{name}@v{version}"
        raise NotFound(
            f"process {which} has not been applied",
            hint="`sluice process apply FILE` stores a process version.",
        )
    return rec


def diff_versions(
    deps: Deps,
    ctx: RequestContext,
    runtime: GateRuntime,
    name: str,
    before: int | None,
    after: int | None,
) -> dict[str, Any]:
    authorize(ctx.principal, Action.PROCESS_READ)
    with deps.uow(readonly=True) as uow:
        new = _version(uow, name, after)
        old = _version(uow, name, before if before is not None else max(new.version - 1, 1))
    result = diff(runtime.version_of(old), runtime.version_of(new))
    return {**result.to_dict(), "lines": result.lines(), "empty": result.empty}


def get_selector(uow: UnitOfWork) -> ProcessSelector:
    stored = uow.settings.get(_SELECTOR_KEY)
    return ProcessSelector.from_dict(stored if stored is not None else DEFAULT_SELECTOR)


def set_selector(deps: Deps, ctx: RequestContext, doc: Mapping[str, Any]) -> dict[str, Any]:
    authorize(ctx.principal, Action.PROCESS_APPLY)
    ProcessSelector.from_dict(doc)  # validates
    value = {"rules": list(doc.get("rules", [])), "default": doc["default"]}
    with deps.uow() as uow:
        before = uow.settings.get(_SELECTOR_KEY)
        uow.settings.put(_SELECTOR_KEY, value, deps.clock.now())
        record(
            deps,
            uow,
            ctx,
            AuditAction.SETTINGS_UPDATE,
            "settings",
            _SELECTOR_KEY,
            before=before,
            after=value,
        )
    return value


def _selected_name(uow: UnitOfWork, exp: ExperimentRecord) -> str:
    kind = str(exp.document.get("kind", ""))
    return get_selector(uow).select(kind, exp.owner_team, exp.risk_level).process


def governing_version(
    uow: UnitOfWork, exp: ExperimentRecord
) -> tuple[ProcessVersionRecord | None, bool]:
    """The process version that governs ``exp`` without creating anything: (version, pinned)."""
    return _governing(uow, exp, uow.gates.get_pin(exp.id))


def _governing(
    uow: UnitOfWork, exp: ExperimentRecord, pin: ProcessPinRecord | None
) -> tuple[ProcessVersionRecord | None, bool]:
    if pin is not None:
        return uow.gates.get_process_version(pin.process_name, pin.process_version), True
    return uow.gates.latest_process_version(_selected_name(uow, exp)), False


def resolve_for(
    deps: Deps,
    uow: UnitOfWork,
    ctx: RequestContext,
    runtime: GateRuntime,
    exp: ExperimentRecord,
    *,
    pin: bool,
) -> ProcessVersion:
    """The experiment's process version; pins it when asked (the first gate check does)."""
    current = uow.gates.get_pin(exp.id)
    if current is not None:
        known = runtime.stored_version(current.process_name, current.process_version)
        if known is not None:
            return known  # process versions are immutable: no need to read the row again
    rec, pinned = _governing(uow, exp, current)
    if rec is None and not pinned:
        name = _selected_name(uow, exp)
        hint = (
            "An admin stores the built-in default process with `sluice process apply --default`."
            if name == BUILTIN_DEFAULT
            else f"An admin applies it with `sluice process apply {name}.yaml`."
        )
        # 409, not 404: the experiment exists; what is missing is configuration, and the
        # selector may name a process before it is applied (schemathesis ST302).
        raise StateConflict(
            f"no process governs {exp.key!r}: the selector chose {name!r}, "
            "which has not been applied",
            hint=hint,
        )
    if rec is None:
        raise NotFound(f"the process {exp.key!r} is pinned to is missing")
    if pin and not pinned:
        uow.gates.set_pin(
            ProcessPinRecord(exp.id, rec.name, rec.version, ctx.actor, deps.clock.now())
        )
    return runtime.version_of(rec)


def migrate_experiment(
    deps: Deps,
    ctx: RequestContext,
    key: str,
    name: str,
    version: int | None,
    reason: str,
) -> ProcessPinRecord:
    """Pin an experiment to another process version explicitly (audited, with a reason)."""
    authorize(ctx.principal, Action.PROCESS_APPLY)
    if not reason.strip():
        raise InvalidInput(
            "migrating an experiment needs a reason", errors=[FieldError("reason", "required")]
        )
    with deps.uow() as uow:
        exp = uow.experiments.get_by_key(key)
        if exp is None:
            raise NotFound(f"experiment {key!r} not found")
        try:
            rec = _version(uow, name, version)
        except NotFound as missing:
            # 409, not 404: the experiment (the path) exists; the named version does not yet
            raise StateConflict(missing.message, hint=missing.hint) from None
        old = uow.gates.get_pin(exp.id)
        pin = ProcessPinRecord(exp.id, rec.name, rec.version, ctx.actor, deps.clock.now())
        uow.gates.set_pin(pin)
        record(
            deps,
            uow,
            ctx,
            AuditAction.EXPERIMENT_PROCESS_MIGRATE,
            "experiment",
            key,
            before=None
            if old is None
            else {"process": old.process_name, "version": old.process_version},
            after={"process": rec.name, "version": rec.version},
            reason=reason,
        )
    return pin
