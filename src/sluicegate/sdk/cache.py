"""On-disk copy of the last good flag set, so a restart can serve flags while the server is down."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CACHE_FORMAT", "CachedFlagSet", "FlagSetCache", "default_cache_dir"]

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/sluicegate`` when set, else ``~/.cache/sluicegate``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sluicegate"


@dataclass(frozen=True, slots=True)
class CachedFlagSet:
    definition: Mapping[str, Any]
    etag: str | None
    revision: str | None
    saved_at: float


class FlagSetCache:
    """One JSON file per flag set (and environment), replaced atomically on every save."""

    def __init__(self, directory: str | os.PathLike[str], flag_set: str, environment: str | None):
        name = _UNSAFE.sub("_", flag_set)
        if environment:
            name = f"{name}.{_UNSAFE.sub('_', environment)}"
        self.path = Path(directory) / f"{name}.json"
        self._flag_set = flag_set
        self._environment = environment

    def load(self) -> CachedFlagSet | None:
        """The cached flag set, or None when there is none or it cannot be read."""
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            logger.warning("cannot read flag cache %s: %s", self.path, exc)
            return None
        try:
            doc = json.loads(raw)
            if not isinstance(doc, dict) or doc.get("format") != CACHE_FORMAT:
                raise ValueError("unknown cache format")
            definition = doc["definition"]
            if not isinstance(definition, dict):
                raise ValueError("definition is not an object")
            if doc.get("flag_set") != self._flag_set:
                raise ValueError("cache belongs to another flag set")
            return CachedFlagSet(
                definition=definition,
                etag=_optional_str(doc.get("etag")),
                revision=_optional_str(doc.get("revision")),
                saved_at=float(doc.get("saved_at", 0.0)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring unusable flag cache %s: %s", self.path, exc)
            return None

    def save(self, definition: Mapping[str, Any], etag: str | None, revision: str | None) -> bool:
        """Write the flag set atomically (temp file, fsync, rename); False if it failed."""
        doc = {
            "format": CACHE_FORMAT,
            "flag_set": self._flag_set,
            "environment": self._environment,
            "etag": etag,
            "revision": revision,
            "saved_at": time.time(),
            "definition": definition,
        }
        tmp_name: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
            )
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(doc, handle, separators=(",", ":"))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, self.path)
            tmp_name = None
        except (OSError, TypeError, ValueError) as exc:
            logger.warning("cannot write flag cache %s: %s", self.path, exc)
            return False
        finally:
            if tmp_name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)
        return True


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
