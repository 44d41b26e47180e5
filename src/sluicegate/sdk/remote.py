"""The remote side of the provider: start-up (server, cache, fail-static), sync events, fork.

``RemoteFlagSet`` owns the synchroniser and the provider-state machine (READY / STALE / ERROR);
it installs compiled snapshots into its host (the provider) and emits the host's OpenFeature
events. Its listener methods run on the synchroniser's poll thread, one at a time.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from typing import TYPE_CHECKING, Final, Protocol

from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode, ParseError, ProviderNotReadyError

from sluicegate.sdk.snapshot import FlagSnapshot, changed_flag_keys, compile_snapshot
from sluicegate.sdk.synchroniser import FetchOutcome, FlagSetSynchroniser, SyncOptions

if TYPE_CHECKING:
    import httpx

    from sluicegate.sdk.cache import FlagSetCache
    from sluicegate.sdk.protocol import SyncEndpoint

__all__ = ["FlagSetHost", "RemoteFlagSet", "Secret"]

logger = logging.getLogger(__name__)

_READY, _STALE, _ERROR, _NOT_READY = "READY", "STALE", "ERROR", "NOT_READY"
_NO_FAILURE: Final = object()
_LIVE: weakref.WeakSet[RemoteFlagSet] = weakref.WeakSet()


class Secret:
    """A credential that never shows itself in a repr, a log line or a traceback's locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<redacted>"

    __str__ = __repr__


class FlagSetHost(Protocol):
    """What ``RemoteFlagSet`` needs from the provider it feeds."""

    @property
    def snapshot(self) -> FlagSnapshot | None: ...

    def install(self, snapshot: FlagSnapshot) -> None: ...

    def emit_provider_ready(self, details: ProviderEventDetails) -> None: ...

    def emit_provider_configuration_changed(self, details: ProviderEventDetails) -> None: ...

    def emit_provider_error(self, details: ProviderEventDetails) -> None: ...

    def emit_provider_stale(self, details: ProviderEventDetails) -> None: ...


class RemoteFlagSet:
    def __init__(
        self,
        host: FlagSetHost,
        endpoint: SyncEndpoint,
        token: str,
        options: SyncOptions,
        cache: FlagSetCache | None,
        *,
        bucketing: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.options = options
        self.cache = cache
        self._host = host
        self._token = Secret(token)
        self._bucketing = bucketing
        self._transport = transport
        self._sync: FlagSetSynchroniser | None = None
        self._status = _NOT_READY
        self._last_fresh: float | None = None
        self._failed_revision: object = _NO_FAILURE
        self._stopped = False
        self._lock = threading.Lock()  # serialises start and stop, never taken by evaluation

    def __repr__(self) -> str:
        return f"RemoteFlagSet({self.endpoint!r})"

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """First sync (server, else cache), then background sync; raises if no flags at all."""
        with self._lock:
            self._stopped = False
            if self._sync is None:
                self._start()

    def _start(self) -> None:
        cached, saved_at = self._load_cache()
        sync = self._synchroniser(
            cached.etag if cached else None, cached.revision if cached else None
        )
        self._sync = sync
        _LIVE.add(self)
        outcome = sync.fetch()
        if outcome.status == "not_modified" and cached is not None:
            self._host.install(cached)
            self._mark_fresh(emit=False)
        elif outcome.status == "changed" and self.on_document(outcome, emit=False):
            sync.etag, sync.revision = outcome.etag, outcome.revision
        else:
            reason = outcome.error or "flag set rejected"
            sync.start(failures=1)
            if cached is None:
                self._status = _ERROR
                if outcome.parse_error or outcome.status == "changed":
                    raise ParseError(f"flag set {self.endpoint.flag_set!r}: {reason}")
                raise ProviderNotReadyError(f"flag server unreachable and no cache: {reason}")
            logger.warning("cannot sync flag set (%s); serving cached flags", reason)
            self._host.install(cached)
            self._status = _READY
            self._last_fresh = time.monotonic() - max(0.0, time.time() - saved_at)
            return
        self._status = _READY
        sync.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            sync, self._sync = self._sync, None
        if sync is not None:
            sync.stop()

    def after_fork_in_child(self) -> None:
        """Replace the parent's synchroniser, whose threads did not survive the fork."""
        self._lock = threading.Lock()  # another thread may have held it at fork time
        sync = self._sync
        if sync is None or self._stopped:
            return
        sync.orphan()
        self._sync = self._synchroniser(sync.etag, sync.revision)
        self._sync.start()
        self._sync.request_sync()

    def request_sync(self) -> None:
        """Poll now rather than at the next interval."""
        if self._sync is not None:
            self._sync.request_sync()

    def _synchroniser(self, etag: str | None, revision: str | None) -> FlagSetSynchroniser:
        return FlagSetSynchroniser(
            self.endpoint,
            self._token.reveal(),
            self.options,
            self,
            etag=etag,
            revision=revision,
            transport=self._transport,
        )

    def _load_cache(self) -> tuple[FlagSnapshot | None, float]:
        stored = self.cache.load() if self.cache is not None else None
        if stored is None:
            return None, 0.0
        try:
            snapshot = compile_snapshot(
                stored.definition, stored.etag, stored.revision, self._bucketing
            )
        except Exception as exc:
            logger.warning("ignoring cached flag set: %s", exc)
            return None, 0.0
        return snapshot, stored.saved_at

    # -- sync listener (the synchroniser's poll thread) -------------------------------------------

    def on_document(self, outcome: FetchOutcome, *, emit: bool = True) -> bool:
        assert outcome.definition is not None
        try:
            snapshot = compile_snapshot(
                outcome.definition, outcome.etag, outcome.revision, self._bucketing
            )
        except Exception as exc:
            message = f"invalid flag set revision {outcome.revision}: {exc}"
            self._reject(outcome.revision, message, emit=emit)
            return False
        previous = self._host.snapshot
        self._host.install(snapshot)
        self._failed_revision = _NO_FAILURE
        if self.cache is not None:
            self.cache.save(outcome.definition, outcome.etag, outcome.revision)
        self._mark_fresh(emit=emit)
        if emit and previous is not None:
            changed = changed_flag_keys(previous.definition, snapshot.definition)
            if changed:
                self._host.emit_provider_configuration_changed(
                    ProviderEventDetails(flags_changed=changed, metadata=self._event_metadata())
                )
        return True

    def on_not_modified(self) -> None:
        self._mark_fresh(emit=True)

    def on_failure(self, outcome: FetchOutcome) -> None:
        if outcome.parse_error:
            self._reject(outcome.revision, outcome.error or "unreadable flag set")
            return
        if self._host.snapshot is None:
            if self._status != _ERROR:
                self._status = _ERROR
                self._host.emit_provider_error(
                    ProviderEventDetails(
                        message=f"flag server unreachable: {outcome.error}",
                        error_code=ErrorCode.PROVIDER_NOT_READY,
                    )
                )
            return
        until = self.seconds_until_stale()
        if until is not None and until <= 0:
            logger.warning("flag server unreachable (%s); flags are stale", outcome.error)
            self._status = _STALE
            self._host.emit_provider_stale(
                ProviderEventDetails(
                    message=f"flag server unreachable: {outcome.error}",
                    metadata=self._event_metadata(),
                )
            )

    def seconds_until_stale(self) -> float | None:
        if self._status != _READY or self._last_fresh is None:
            return None
        return self.options.staleness - (time.monotonic() - self._last_fresh)

    def _mark_fresh(self, *, emit: bool) -> None:
        self._last_fresh = time.monotonic()
        if self._status != _READY and self._host.snapshot is not None:
            self._status = _READY
            if emit:
                self._host.emit_provider_ready(
                    ProviderEventDetails(metadata=self._event_metadata())
                )

    def _reject(self, revision: str | None, message: str, *, emit: bool = True) -> None:
        if revision == self._failed_revision:
            return
        logger.error("%s", message)
        self._failed_revision = revision
        self._status = _ERROR
        if emit:
            self._host.emit_provider_error(
                ProviderEventDetails(message=message, error_code=ErrorCode.PARSE_ERROR)
            )

    def _event_metadata(self) -> dict[str, bool | str | int | float]:
        meta: dict[str, bool | str | int | float] = {"flag_set": self.endpoint.flag_set}
        snapshot = self._host.snapshot
        if snapshot is not None and snapshot.revision is not None:
            meta["revision"] = snapshot.revision
        return meta


def _reinitialise_after_fork() -> None:
    for remote in list(_LIVE):
        try:
            remote.after_fork_in_child()
        except Exception:
            logger.exception("cannot restart flag sync after fork")


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinitialise_after_fork)
