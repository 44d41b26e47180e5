"""The webhook sources file (``SLUICE_DELIVERY_SOURCES``): who may post delivery webhooks.

The file holds secrets, so it must be private (mode 0600 or stricter) and lives outside the
database like the audit trust anchor. It is read again whenever it changes, so a new source
needs no restart. Format (docs/delivery.md, "Webhooks")::

    sources:
      github-acme:                 # the {source} in /api/v1/delivery/webhooks/{source}
        kind: github               # github | gitlab | azure-devops
        secret_env: GITHUB_WEBHOOK_SECRET   # or secret_file: PATH, or secret: VALUE
        services: {acme/shop: checkout}      # repository -> service (default: its last segment)
        environments: {prod: production}    # provider environment -> Sluicegate's
        deploy_workflows: [Deploy]           # workflow/pipeline/build names that deploy
        deploy_environment: production
        default_branch: main
        username: sluice                     # azure-devops: the basic-auth user name

A missing file means no sources (every webhook is refused). A file that cannot be read, is not
private, or holds a bad entry makes every webhook answer 503 with the reason (never a secret),
and ``sluice delivery sources`` names each bad field by its path.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sluicegate.domain.delivery.sources import SourceKind, SourceRules
from sluicegate.domain.delivery.sources.signatures import WebhookSource
from sluicegate.domain.errors import FieldError, InvalidInput, Unavailable

__all__ = ["InvalidSources", "SourcesFile", "load_sources"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_KEYS = frozenset(
    {
        "kind",
        "secret",
        "secret_env",
        "secret_file",
        "services",
        "environments",
        "deploy_workflows",
        "deploy_environment",
        "default_branch",
        "username",
    }
)
#: a shorter secret is refused: GitHub and GitLab secrets are operator-chosen strings
MIN_SECRET_LENGTH = 16


class InvalidSources(InvalidInput):
    code = "invalid-delivery-sources"
    default_hint = "Fix the named entries of the sources file (docs/delivery.md, 'Webhooks')."


def _strings(value: Any, path: str, errors: list[FieldError]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k and v for k, v in value.items()
    ):
        errors.append(FieldError(path, "must map names to names"))
        return {}
    return dict(value)


def _secret(  # noqa: PLR0911 - one return per way a secret is wrong
    entry: Mapping[str, Any],
    path: str,
    base: Path,
    environ: Mapping[str, str],
    errors: list[FieldError],
) -> str | None:
    given = [k for k in ("secret", "secret_env", "secret_file") if k in entry]
    if len(given) != 1:
        errors.append(
            FieldError(f"{path}.secret", "give exactly one of secret, secret_env, secret_file")
        )
        return None
    key = given[0]
    raw = entry[key]
    if not isinstance(raw, str) or not raw:
        errors.append(FieldError(f"{path}.{key}", "must be a non-empty string"))
        return None
    if key == "secret":
        secret: str | None = raw
    elif key == "secret_env":
        secret = environ.get(raw)
        if secret is None:
            errors.append(FieldError(f"{path}.secret_env", f"the variable {raw} is not set"))
            return None
    else:
        file = Path(raw) if Path(raw).is_absolute() else base / raw
        try:
            if stat.S_IMODE(file.stat().st_mode) & 0o077:
                errors.append(
                    FieldError(f"{path}.secret_file", f"{file} must be private (chmod 600)")
                )
                return None
            secret = file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(
                FieldError(f"{path}.secret_file", f"cannot read {file}: {exc.__class__.__name__}")
            )
            return None
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        errors.append(
            FieldError(
                f"{path}.{key}", f"the secret must have at least {MIN_SECRET_LENGTH} characters"
            )
        )
        return None
    return secret


def _entry(
    name: Any, entry: Any, base: Path, environ: Mapping[str, str], errors: list[FieldError]
) -> WebhookSource | None:
    path = f"sources.{name}"
    if not isinstance(name, str) or not _NAME.match(name):
        errors.append(FieldError(path, "a source name is 1-64 of a-z, 0-9, '.', '_', '-'"))
        return None
    if not isinstance(entry, dict):
        errors.append(FieldError(path, "must be a mapping"))
        return None
    before = len(errors)
    for key in sorted(set(entry) - _KEYS, key=str):
        errors.append(FieldError(f"{path}.{key}", "unknown setting"))
    try:
        kind = SourceKind(str(entry.get("kind")))
    except ValueError:
        kinds = ", ".join(k.value for k in SourceKind)
        errors.append(FieldError(f"{path}.kind", f"must be one of {kinds}"))
        kind = SourceKind.GITHUB
    secret = _secret(entry, path, base, environ, errors)
    services = _strings(entry.get("services"), f"{path}.services", errors)
    environments = _strings(entry.get("environments"), f"{path}.environments", errors)
    workflows = entry.get("deploy_workflows", [])
    if not isinstance(workflows, list) or not all(isinstance(w, str) and w for w in workflows):
        errors.append(FieldError(f"{path}.deploy_workflows", "must be a list of names"))
        workflows = []
    texts: dict[str, str | None] = {}
    for key, default in (
        ("deploy_environment", "production"),
        ("default_branch", "main"),
        ("username", None),
    ):
        value = entry.get(key, default)
        if value is not None and (not isinstance(value, str) or not value):
            errors.append(FieldError(f"{path}.{key}", "must be a non-empty string"))
            value = default
        texts[key] = value
    if texts["username"] is not None and kind is not SourceKind.AZURE_DEVOPS:
        errors.append(FieldError(f"{path}.username", "only azure-devops sources send a user name"))
    if len(errors) > before or secret is None:
        return None
    rules = SourceRules(
        name=name,
        kind=kind,
        services=services,
        environments=environments,
        deploy_workflows=frozenset(workflows),
        deploy_environment=str(texts["deploy_environment"]),
        default_branch=str(texts["default_branch"]),
    )
    return WebhookSource(rules, secret, texts["username"])


def load_sources(path: Path, environ: Mapping[str, str] | None = None) -> dict[str, WebhookSource]:
    """The sources of ``path`` (none when it does not exist); raises :class:`InvalidSources`."""
    env = os.environ if environ is None else environ
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InvalidSources(f"cannot read the delivery sources file {path}: {exc}") from None
    if mode & 0o077:
        raise InvalidSources(
            f"the delivery sources file {path} has mode {mode:o}: it holds secrets",
            errors=[FieldError("file", "must be private (chmod 600)")],
        )
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidSources(f"cannot read the delivery sources file {path}: {exc}") from None
    if doc is None:
        return {}
    errors: list[FieldError] = []
    if not isinstance(doc, dict) or set(doc) - {"sources"}:
        raise InvalidSources(
            f"{path}: the file holds one mapping, sources",
            errors=[FieldError("sources", "the file's only key, a mapping of source names")],
        )
    entries = doc.get("sources") or {}
    if not isinstance(entries, dict):
        raise InvalidSources(
            f"{path}: sources must be a mapping",
            errors=[FieldError("sources", "must be a mapping")],
        )
    found: dict[str, WebhookSource] = {}
    for name, entry in entries.items():
        source = _entry(name, entry, path.parent, env, errors)
        if source is not None:
            found[source.rules.name] = source
    if errors:
        raise InvalidSources(
            f"{path}: {len(errors)} problem(s) in the delivery sources", errors=errors
        )
    return found


class SourcesFile:
    """The sources of one file, read again when its modification time or size changes."""

    def __init__(self, path: Path, environ: Mapping[str, str] | None = None) -> None:
        self.path = path
        self._environ = environ
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._loaded: dict[str, WebhookSource] | InvalidSources = {}

    def _current(self) -> dict[str, WebhookSource]:
        try:
            st = self.path.stat()
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        with self._lock:
            if stamp is None or stamp != self._stamp:
                try:
                    self._loaded = load_sources(self.path, self._environ)
                except InvalidSources as exc:
                    self._loaded = exc
                self._stamp = stamp
            loaded = self._loaded
        if isinstance(loaded, InvalidSources):
            raise InvalidSources(loaded.message, errors=loaded.errors)  # a fresh traceback
        return loaded

    def all(self) -> dict[str, WebhookSource]:
        """Every configured source; raises :class:`InvalidSources` when the file is bad."""
        return dict(self._current())

    def find(self, name: str) -> WebhookSource | None:
        """The source called ``name``; raises Unavailable (503) while the file is bad."""
        try:
            return self._current().get(name)
        except InvalidSources as exc:
            raise Unavailable(
                "the delivery sources file is invalid: no webhook is accepted until it is fixed",
                hint="Run `sluice delivery sources` where the server runs; it names each problem.",
            ) from exc
