"""``SluicegateProvider``: an OpenFeature provider evaluating Sluicegate flag sets in-process."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from openfeature.exception import ErrorCode, ParseError
from openfeature.provider import AbstractProvider, Metadata

from sluicegate.sdk.cache import FlagSetCache, default_cache_dir
from sluicegate.sdk.protocol import SyncEndpoint
from sluicegate.sdk.remote import RemoteFlagSet
from sluicegate.sdk.resolution import error_details, to_details
from sluicegate.sdk.snapshot import MEMO_LIMIT, FlagSnapshot, compile_snapshot
from sluicegate.sdk.synchroniser import SyncOptions

if TYPE_CHECKING:
    import httpx
    from openfeature.evaluation_context import EvaluationContext
    from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType
    from openfeature.hook import Hook

__all__ = ["PROVIDER_NAME", "SluicegateProvider"]

logger = logging.getLogger(__name__)

PROVIDER_NAME: Final = "Sluicegate"
_EMPTY_CONTEXT: Final[Mapping[str, Any]] = {}

ObjectValue = Sequence["FlagValueType"] | Mapping[str, "FlagValueType"]


class SluicegateProvider(AbstractProvider):
    """Evaluates a Sluicegate flag set locally, kept current by the sync protocol (docs/sdk.md).

    Remote: ``SluicegateProvider(url=..., token=..., flag_set=..., environment=...)``.
    Offline: ``SluicegateProvider.from_file("flags.json")``.
    Evaluation never raises and takes no lock: it reads one immutable snapshot, which the sync
    thread replaces wholesale when a new revision arrives.
    """

    _snapshot: FlagSnapshot | None
    _remote: RemoteFlagSet | None

    def __init__(
        self,
        url: str,
        token: str,
        flag_set: str,
        environment: str | None = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        persist: bool = True,
        poll_interval: float = 30.0,
        jitter: float = 0.2,
        retry_base: float = 1.0,
        max_backoff: float = 300.0,
        staleness: float = 120.0,
        request_timeout: float = 10.0,
        stream: bool = True,
        stream_read_timeout: float = 90.0,
        bucketing: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__()
        options = SyncOptions(
            poll_interval=poll_interval,
            jitter=jitter,
            retry_base=retry_base,
            max_backoff=max_backoff,
            staleness=staleness,
            request_timeout=request_timeout,
            stream=stream,
            stream_read_timeout=stream_read_timeout,
        )
        directory = default_cache_dir() if cache_dir is None else Path(cache_dir)
        self._setup(bucketing)
        self._remote = RemoteFlagSet(
            self,
            SyncEndpoint(url, flag_set, environment),
            token,
            options,
            FlagSetCache(directory, flag_set, environment) if persist else None,
            bucketing=bucketing,
            transport=transport,
        )

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], *, bucketing: str | None = None
    ) -> SluicegateProvider:
        """An offline provider serving a local flagd JSON file (read by ``initialize``)."""
        provider = cls.__new__(cls)
        AbstractProvider.__init__(provider)
        provider._setup(bucketing, Path(path))
        return provider

    def _setup(self, bucketing: str | None, file: Path | None = None) -> None:
        self._snapshot = None
        self._bucketing = bucketing
        self._file = file
        self._remote = None
        self._metadata = Metadata(name=PROVIDER_NAME)
        self._hooks: list[Hook] = []

    def __repr__(self) -> str:
        if self._remote is None:
            return f"SluicegateProvider.from_file({str(self._file)!r})"
        ep = self._remote.endpoint
        return (
            f"SluicegateProvider(url={ep.url!r}, flag_set={ep.flag_set!r}, "
            f"environment={ep.environment!r}, revision={self.revision!r})"
        )

    # -- introspection and the host interface of RemoteFlagSet -----------------------------------

    @property
    def snapshot(self) -> FlagSnapshot | None:
        return self._snapshot

    def install(self, snapshot: FlagSnapshot) -> None:
        """Swap in a new revision: one attribute assignment, atomic for concurrent readers."""
        self._snapshot = snapshot

    @property
    def revision(self) -> str | None:
        snapshot = self._snapshot
        return snapshot.revision if snapshot is not None else None

    @property
    def cache_path(self) -> Path | None:
        cache = self._remote.cache if self._remote is not None else None
        return cache.path if cache is not None else None

    def sync_now(self) -> None:
        """Ask the background thread to poll the server immediately (no-op offline)."""
        if self._remote is not None:
            self._remote.request_sync()

    def get_metadata(self) -> Metadata:
        return self._metadata

    def get_provider_hooks(self) -> list[Hook]:
        return self._hooks

    # -- evaluation (hot path) -------------------------------------------------------------------

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        return self._resolve(flag_key, default_value, evaluation_context, bool)

    def resolve_string_details(
        self, flag_key: str, default_value: str, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[str]:
        return self._resolve(flag_key, default_value, evaluation_context, str)

    def resolve_integer_details(
        self, flag_key: str, default_value: int, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[int]:
        return self._resolve(flag_key, default_value, evaluation_context, int)

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        return self._resolve(flag_key, default_value, evaluation_context, float)

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: ObjectValue,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[ObjectValue]:
        return self._resolve(flag_key, default_value, evaluation_context, object)

    def _resolve(
        self, flag_key: str, default: Any, context: EvaluationContext | None, kind: type
    ) -> FlagResolutionDetails[Any]:
        snapshot = self._snapshot
        if snapshot is None:
            return error_details(default, ErrorCode.PROVIDER_NOT_READY, "no flag set loaded")
        try:
            static = snapshot.static[kind]
            hit = static.get(flag_key)
            if hit is not None:
                return hit
            if context is None:
                attributes: Mapping[str, Any] = _EMPTY_CONTEXT
            else:
                attributes = context.attributes
                if context.targeting_key is not None:
                    attributes = {**attributes, "targetingKey": context.targeting_key}
            resolution = snapshot.flags.evaluate(flag_key, attributes, kind)
            memo = snapshot.memo[kind]
            entry = memo.get(id(resolution))
            if entry is not None and entry[0] is resolution:
                return entry[1]
            details = to_details(resolution, default, kind, flag_key)
            # Only results that do not depend on the caller's default can be shared.
            if details.error_code is None and resolution.value is not None:
                if resolution.reason == "STATIC":
                    static[flag_key] = details
                elif len(memo) < MEMO_LIMIT:
                    memo[id(resolution)] = (resolution, details)
            return details
        except Exception as exc:
            logger.debug("evaluating %r failed", flag_key, exc_info=True)
            return error_details(default, ErrorCode.GENERAL, f"evaluation failed: {exc!r}")

    # -- lifecycle ---------------------------------------------------------------------------------

    def initialize(self, evaluation_context: EvaluationContext) -> None:  # noqa: ARG002 - flag sets are context-free
        if self._remote is not None:
            self._remote.start()
        elif self._file is not None:
            self._load_file(self._file)

    def shutdown(self) -> None:
        if self._remote is not None:
            self._remote.stop()

    def _load_file(self, path: Path) -> None:
        try:
            definition = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(definition, dict):
                raise ValueError("flag set is not a JSON object")
            snapshot = compile_snapshot(definition, None, None, self._bucketing)
        except Exception as exc:
            raise ParseError(f"cannot load flag file {str(path)!r}: {exc}") from exc
        for finding in snapshot.flags.findings:  # loaded as flagd loads them; said once
            logger.warning(
                "flag file %s: %s: %s (%s)",
                path,
                finding.pointer or "/",
                finding.reason,
                finding.effect,
            )
        self.install(snapshot)
