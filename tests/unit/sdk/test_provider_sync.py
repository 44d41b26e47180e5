"""The provider against a real sync-protocol server: initial sync, ETag/304, SSE, fail-static."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from openfeature import api
from openfeature.event import ProviderEvent
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason
from openfeature.provider import ProviderStatus
from tests.unit.sdk.support import (
    FLAG_SET,
    TOKEN,
    EventLog,
    FlagServer,
    ProviderFactory,
    base_flags,
    flag,
)

from sluicegate.sdk import SluicegateProvider
from sluicegate.sdk.cache import FlagSetCache


def _documents(server: FlagServer) -> list[dict[str, object]]:
    return [r for r in server.requests if not r["path"].endswith("/events")]


def test_initial_sync_serves_flags_and_persists_them(
    flag_server: FlagServer, make_provider: ProviderFactory, events: EventLog
) -> None:
    provider = make_provider(flag_server.url)
    api.set_provider_and_wait(provider)
    client = api.get_client()

    assert client.get_boolean_value("new-checkout", False) is True
    assert client.get_string_value("banner", "none") == "blue"
    assert events.wait_for(ProviderEvent.PROVIDER_READY)
    assert client.get_provider_status() is ProviderStatus.READY
    assert provider.revision == "r1"
    first = _documents(flag_server)[0]
    assert first["authorization"] == f"Bearer {TOKEN}"
    assert first["if_none_match"] is None

    assert provider.cache_path is not None
    stored = json.loads(provider.cache_path.read_text())
    assert stored["revision"] == "r1"
    assert stored["etag"] == '"r1"'
    assert stored["definition"] == base_flags()


def test_unchanged_revision_is_answered_304_without_events(
    flag_server: FlagServer, make_provider: ProviderFactory, events: EventLog
) -> None:
    provider = make_provider(flag_server.url, poll_interval=0.02)
    api.set_provider_and_wait(provider)

    flag_server.wait_for(lambda reqs: sum(r["status"] == 304 for r in reqs) >= 3)

    conditional = [r for r in _documents(flag_server) if r["status"] == 304]
    assert all(r["if_none_match"] == '"r1"' for r in conditional)
    assert ProviderEvent.PROVIDER_CONFIGURATION_CHANGED not in events.kinds()
    assert api.get_client().get_boolean_value("new-checkout", False) is True


def test_polling_picks_up_a_new_revision(
    flag_server: FlagServer, make_provider: ProviderFactory, events: EventLog
) -> None:
    provider = make_provider(flag_server.url, poll_interval=0.02)
    api.set_provider_and_wait(provider)
    changed = base_flags()
    changed["flags"]["banner"] = flag({"blue": "blue", "red": "red"}, "red")

    flag_server.publish(changed)

    (details,) = events.wait_for(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED)
    assert details.flags_changed == ["banner"]
    assert details.metadata["revision"] == "r2"
    assert api.get_client().get_string_value("banner", "none") == "red"


def test_sse_revision_event_triggers_refetch(
    flag_server: FlagServer, make_provider: ProviderFactory, events: EventLog
) -> None:
    # Polling is an hour away: only the event stream can deliver the new revision in time.
    provider = make_provider(flag_server.url, poll_interval=3600.0, stream=True)
    api.set_provider_and_wait(provider)
    flag_server.wait_for_subscribers()
    changed = base_flags()
    changed["flags"]["new-checkout"] = flag({"on": True, "off": False}, "off")
    del changed["flags"]["layout"]
    changed["flags"]["fresh"] = flag({"x": "x"}, "x")

    flag_server.publish(changed)

    (details,) = events.wait_for(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED)
    assert details.flags_changed == ["fresh", "layout", "new-checkout"]
    client = api.get_client()
    assert client.get_boolean_value("new-checkout", True) is False
    assert client.get_string_value("fresh", "default") == "x"
    assert client.get_object_details("layout", {}).error_code is ErrorCode.FLAG_NOT_FOUND
    fetched = [(r["if_none_match"], r["revision"]) for r in _documents(flag_server)]
    assert ('"r1"', "r2") in fetched


def test_missing_event_stream_falls_back_to_polling(
    flag_server: FlagServer, make_provider: ProviderFactory, events: EventLog
) -> None:
    flag_server.stream = False
    provider = make_provider(flag_server.url, poll_interval=0.05, stream=True)
    api.set_provider_and_wait(provider)
    flag_server.wait_for(lambda reqs: any(r["path"].endswith("/events") for r in reqs))
    changed = base_flags()
    changed["flags"]["max-items"] = flag({"small": 5, "large": 50}, "large")

    flag_server.publish(changed)

    (details,) = events.wait_for(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED)
    assert details.flags_changed == ["max-items"]
    assert api.get_client().get_integer_value("max-items", 0) == 50
    stream_attempts = [r for r in flag_server.requests if r["path"].endswith("/events")]
    assert [r["status"] for r in stream_attempts] == [404]


def test_server_down_with_cache_is_fail_static_then_stale(
    dead_url: str, make_provider: ProviderFactory, events: EventLog, cache_dir: Path
) -> None:
    cached = base_flags()
    cached["flags"]["banner"] = flag({"blue": "blue", "red": "red"}, "red")
    assert FlagSetCache(cache_dir, FLAG_SET, None).save(cached, '"r7"', "r7")
    provider = make_provider(dead_url, staleness=0.05)

    api.set_provider_and_wait(provider)  # does not raise: the cache is served

    client = api.get_client()
    assert events.wait_for(ProviderEvent.PROVIDER_READY)
    (stale,) = events.wait_for(ProviderEvent.PROVIDER_STALE)
    assert stale.metadata["revision"] == "r7"
    # Handlers run on the SDK's thread pool in any order; the status shows the dispatch order.
    assert client.get_provider_status() is ProviderStatus.STALE
    details = client.get_string_details("banner", "none")
    assert (details.value, details.reason, details.error_code) == ("red", Reason.STATIC, None)


def test_stale_provider_recovers_when_the_server_returns(
    make_provider: ProviderFactory, events: EventLog, cache_dir: Path
) -> None:
    server = FlagServer()
    server.publish(base_flags())
    server.start()
    port = server.port
    try:
        provider = make_provider(server.url, staleness=0.05)
        api.set_provider_and_wait(provider)
        server.stop()
        provider.sync_now()  # poll now, not in 60 s
        events.wait_for(ProviderEvent.PROVIDER_STALE)

        server.publish(base_flags() | {"metadata": {"owner": "payments"}})
        server.start(port)
        events.wait_for(ProviderEvent.PROVIDER_READY, count=2)
        events.wait_for(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED)
        assert api.get_client().get_provider_status() is ProviderStatus.READY
        assert provider.revision == "r2"
    finally:
        server.stop()


def test_server_down_without_cache_emits_error_and_serves_defaults(
    dead_url: str, make_provider: ProviderFactory, events: EventLog
) -> None:
    api.set_provider(make_provider(dead_url))

    (error,) = events.wait_for(ProviderEvent.PROVIDER_ERROR)
    assert error.error_code is ErrorCode.PROVIDER_NOT_READY
    client = api.get_client()
    results = [
        client.get_boolean_details("new-checkout", False),
        client.get_string_details("banner", "fallback"),
        client.get_integer_details("max-items", 7),
        client.get_float_details("discount", 0.5),
        client.get_object_details("layout", {"columns": 2}),
    ]
    assert [r.value for r in results] == [False, "fallback", 7, 0.5, {"columns": 2}]
    assert {r.reason for r in results} == {Reason.ERROR}
    assert {r.error_code for r in results} == {ErrorCode.PROVIDER_NOT_READY}


def test_provider_becomes_ready_once_the_server_is_reachable(
    make_provider: ProviderFactory, events: EventLog
) -> None:
    server = FlagServer()
    server.publish(base_flags())
    server.start()
    port = server.port
    server.stop()
    try:
        api.set_provider(make_provider(server.url))
        events.wait_for(ProviderEvent.PROVIDER_ERROR)
        server.start(port)
        events.wait_for(ProviderEvent.PROVIDER_READY)
        assert api.get_client().get_boolean_value("new-checkout", False) is True
    finally:
        server.stop()


def test_invalid_revision_keeps_serving_the_last_good_one(
    flag_server: FlagServer, make_provider: ProviderFactory, events: EventLog
) -> None:
    api.set_provider_and_wait(make_provider(flag_server.url, poll_interval=0.02))
    flag_server.publish({"flags": {"broken": {"state": "ENABLED", "variants": "nope"}}})

    (error,) = events.wait_for(ProviderEvent.PROVIDER_ERROR)
    assert error.error_code is ErrorCode.PARSE_ERROR
    client = api.get_client()
    assert client.get_string_value("banner", "none") == "blue"

    fixed = base_flags()
    fixed["flags"]["banner"] = flag({"blue": "blue", "red": "red"}, "red")
    flag_server.publish(fixed)
    events.wait_for(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED)
    assert client.get_provider_status() is ProviderStatus.READY
    assert client.get_string_value("banner", "none") == "red"
    assert events.kinds().count(ProviderEvent.PROVIDER_ERROR) == 1


def test_rejected_token_is_an_error_and_never_logged(
    flag_server: FlagServer,
    make_provider: ProviderFactory,
    events: EventLog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    flag_server.token = "another-token"
    caplog.set_level(logging.DEBUG)
    provider = make_provider(flag_server.url)

    api.set_provider(provider)

    (error,) = events.wait_for(ProviderEvent.PROVIDER_ERROR)
    assert "401" in (error.message or "")
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(provider)
    assert TOKEN not in repr(vars(provider))
    assert TOKEN not in (error.message or "")


def test_environment_is_sent_and_keys_the_cache(flag_server: FlagServer, cache_dir: Path) -> None:
    provider = SluicegateProvider(
        url=flag_server.url + "/",
        token=TOKEN,
        flag_set=FLAG_SET,
        environment="prod eu",
        cache_dir=cache_dir,
        stream=False,
    )
    try:
        api.set_provider_and_wait(provider)
        assert provider.revision == "r1"
        assert flag_server.requests[0]["query"] == "environment=prod+eu"
        assert provider.cache_path == cache_dir / f"{FLAG_SET}.prod_eu.json"
        assert provider.cache_path.exists()
    finally:
        provider.shutdown()
