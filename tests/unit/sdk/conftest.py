"""Fixtures for the SDK tests (helpers live in ``support``)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openfeature import api
from openfeature.event import ProviderEvent
from tests.unit.sdk.support import (
    FLAG_SET,
    TOKEN,
    EventLog,
    FlagServer,
    ProviderFactory,
    base_flags,
)

from sluicegate.sdk import SluicegateProvider


@pytest.fixture
def flag_server() -> Iterator[FlagServer]:
    server = FlagServer()
    server.publish(base_flags())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def dead_url() -> str:
    """A URL on which nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def events() -> Iterator[EventLog]:
    log = EventLog()
    handlers = [(kind, log.handler(kind)) for kind in ProviderEvent]
    for kind, handler in handlers:
        api.add_handler(kind, handler)
    yield log
    for kind, handler in handlers:
        api.remove_handler(kind, handler)


@pytest.fixture(autouse=True)
def openfeature_reset() -> Iterator[None]:
    """Every test starts and ends with a pristine global OpenFeature API and no sync threads."""
    api.shutdown()
    yield
    api.shutdown()
    leaked = [t.name for t in threading.enumerate() if t.name.startswith("sluicegate-sync")]
    assert leaked == [], "a provider was not shut down"


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def make_provider(cache_dir: Path) -> Iterator[ProviderFactory]:
    """Build remote providers with test-sized intervals; every one is shut down afterwards."""
    made: list[SluicegateProvider] = []

    def make(url: str, **overrides: Any) -> SluicegateProvider:
        options: dict[str, Any] = {
            "cache_dir": cache_dir,
            "poll_interval": 60.0,  # tests that rely on polling shorten it explicitly
            "retry_base": 0.02,
            "max_backoff": 0.2,
            "staleness": 60.0,
            "request_timeout": 2.0,
            "stream": False,
        }
        options.update(overrides)
        provider = SluicegateProvider(url=url, token=TOKEN, flag_set=FLAG_SET, **options)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        provider.shutdown()
