"""Evaluation through the OpenFeature client: all five types, reasons, errors, offline files."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEvent
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason
from openfeature.provider import ProviderStatus
from tests.unit.sdk.support import EventLog, FlagServer, ProviderFactory, base_flags, flag

from sluicegate.flags import compile_flag_set
from sluicegate.sdk import SluicegateProvider


@pytest.fixture
def flags_file(tmp_path: Path) -> Path:
    document = base_flags()
    document["flags"]["killed"] = {**flag({"on": True}, "on"), "state": "DISABLED"}
    document["flags"]["no-default"] = flag(
        {"on": True, "off": False},
        None,
        targeting={"if": [{"==": [{"var": "plan"}, "enterprise"]}, "on", None]},
    )
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def file_provider(flags_file: Path) -> SluicegateProvider:
    provider = SluicegateProvider.from_file(flags_file)
    api.set_provider_and_wait(provider)
    return provider


@pytest.mark.usefixtures("file_provider")
def test_all_five_types_resolve_through_the_client() -> None:
    client = api.get_client()

    boolean = client.get_boolean_details("new-checkout", False)
    string = client.get_string_details("banner", "none")
    integer = client.get_integer_details("max-items", 0)
    number = client.get_float_details("discount", 0.0)
    obj = client.get_object_details("layout", {})

    assert [boolean.value, string.value, integer.value, number.value, obj.value] == [
        True,
        "blue",
        5,
        0.15,
        {"columns": 3},
    ]
    assert [d.variant for d in (boolean, string, integer, number, obj)] == [
        "on",
        "blue",
        "small",
        "some",
        "grid",
    ]
    assert {d.reason for d in (boolean, string, integer, number, obj)} == {Reason.STATIC}
    assert {d.error_code for d in (boolean, string, integer, number, obj)} == {None}


@pytest.mark.usefixtures("file_provider")
def test_float_flag_with_integral_variant_resolves_as_float(tmp_path: Path) -> None:
    path = tmp_path / "ints.json"
    path.write_text(json.dumps({"flags": {"ratio": flag({"one": 1, "half": 0.5}, "one")}}))
    api.set_provider_and_wait(SluicegateProvider.from_file(path), domain="ints")

    details = api.get_client("ints").get_float_details("ratio", 0.0)

    assert details.value == 1.0
    assert isinstance(details.value, float)
    assert details.error_code is None


@pytest.mark.usefixtures("file_provider")
def test_targeting_and_fractional_rules_use_the_evaluation_context() -> None:
    client = api.get_client()
    enterprise = EvaluationContext(attributes={"plan": "enterprise"})
    free = EvaluationContext(attributes={"plan": "free"})

    hit = client.get_boolean_details("beta", False, enterprise)
    miss = client.get_boolean_details("beta", True, free)

    assert (hit.value, hit.variant, hit.reason) == (True, "on", Reason.TARGETING_MATCH)
    assert (miss.value, miss.variant) == (False, "off")
    buckets = {
        client.get_string_value("rollout", "none", EvaluationContext(f"user-{n}"))
        for n in range(200)
    }
    assert buckets == {"a", "b"}
    same_user = {
        client.get_string_value("rollout", "none", EvaluationContext("user-7")) for _ in range(20)
    }
    assert len(same_user) == 1


@pytest.mark.usefixtures("file_provider")
def test_type_mismatch_returns_the_callers_default() -> None:
    client = api.get_client()

    as_string = client.get_string_details("new-checkout", "fallback")
    as_int = client.get_integer_details("new-checkout", 3)
    as_bool = client.get_boolean_details("layout", True)

    for details, default in ((as_string, "fallback"), (as_int, 3), (as_bool, True)):
        assert details.value == default
        assert details.reason == Reason.ERROR
        assert details.error_code is ErrorCode.TYPE_MISMATCH


@pytest.mark.usefixtures("file_provider")
def test_missing_disabled_and_defaultless_flags_fall_back_to_the_default() -> None:
    client = api.get_client()

    missing = client.get_boolean_details("no-such-flag", True)
    disabled = client.get_boolean_details("killed", False)
    defaultless = client.get_boolean_details("no-default", True)

    assert (missing.value, missing.error_code) == (True, ErrorCode.FLAG_NOT_FOUND)
    assert (disabled.value, disabled.reason, disabled.error_code) == (False, Reason.DISABLED, None)
    assert (defaultless.value, defaultless.variant, defaultless.error_code) == (True, None, None)


def test_static_results_are_reused_but_never_across_callers_defaults(
    file_provider: SluicegateProvider,
) -> None:
    first = file_provider.resolve_boolean_details("new-checkout", False)
    again = file_provider.resolve_boolean_details("new-checkout", True)
    disabled_a = file_provider.resolve_boolean_details("killed", False)
    disabled_b = file_provider.resolve_boolean_details("killed", True)

    assert first is again
    assert (disabled_a.value, disabled_b.value) == (False, True)


def test_a_non_string_targeting_key_is_bucketed_as_flagd_does(
    file_provider: SluicegateProvider,
) -> None:
    """flagd hashes the value as it is (CBOR of 42), where this was INVALID_CONTEXT before #11."""
    numeric_key = EvaluationContext(attributes={"targetingKey": 42})
    same_value = EvaluationContext(attributes={"n": 42})

    details = file_provider.resolve_string_details("rollout", "fallback", numeric_key)

    assert details.error_code is None
    assert details.reason == Reason.TARGETING_MATCH
    flags = compile_flag_set(
        {
            "flags": {
                "rollout": {
                    "state": "ENABLED",
                    "variants": {"a": "a", "b": "b"},
                    "defaultVariant": "a",
                    "targeting": {"fractional": [{"var": "n"}, ["a", 50], ["b", 50]]},
                }
            }
        }
    )
    assert details.value == flags.evaluate("rollout", same_value.attributes).value


def test_evaluation_before_initialisation_returns_the_default(flags_file: Path) -> None:
    provider = SluicegateProvider.from_file(flags_file)

    details = provider.resolve_integer_details("max-items", 9)

    assert (details.value, details.reason) == (9, Reason.ERROR)
    assert details.error_code is ErrorCode.PROVIDER_NOT_READY


def test_broken_flag_file_is_a_provider_error(tmp_path: Path, events: EventLog) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"flags": {"x": {"variants": {"a": 1}, "defaultVariant": "zzz"}}}')

    api.set_provider(SluicegateProvider.from_file(path))

    (error,) = events.wait_for(ProviderEvent.PROVIDER_ERROR)
    assert error.error_code is ErrorCode.PARSE_ERROR
    client = api.get_client()
    assert client.get_provider_status() is ProviderStatus.ERROR
    details = client.get_integer_details("x", 4)
    assert (details.value, details.reason) == (4, Reason.ERROR)


def test_concurrent_evaluation_while_revisions_swap(
    flag_server: FlagServer, make_provider: ProviderFactory, events: EventLog
) -> None:
    """Readers never see a torn state: every result is a (variant, value) pair of one revision."""

    def revision(n: int) -> dict[str, Any]:
        doc = base_flags()
        doc["flags"]["counter"] = flag({f"v{n}": n}, f"v{n}")
        doc["flags"]["gated"] = flag(
            {f"v{n}": n, "off": -1},
            "off",
            targeting={"if": [{"==": [{"var": "plan"}, "enterprise"]}, f"v{n}", "off"]},
        )
        return doc

    flag_server.publish(revision(0))
    provider = make_provider(flag_server.url, poll_interval=0.005)
    api.set_provider_and_wait(provider)
    client = api.get_client()
    stop = threading.Event()
    bad: list[object] = []
    seen: set[int] = set()
    context = EvaluationContext("user", {"plan": "enterprise"})

    def reader() -> None:
        while not stop.is_set():
            for key in ("counter", "gated"):
                details = client.get_integer_details(key, -99, context)
                if details.error_code is not None or details.variant != f"v{details.value}":
                    bad.append(details)
                seen.add(details.value)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for n in range(1, 11):
            flag_server.publish(revision(n))
            events.wait_for(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, count=n)
    finally:
        stop.set()
        for thread in threads:
            thread.join()

    assert bad == []
    assert provider.revision == "r12"
    assert seen <= set(range(11))
    assert client.get_integer_value("counter", -99) == 10


def test_dynamic_results_are_memoised_per_variant_not_per_default(
    file_provider: SluicegateProvider,
) -> None:
    enterprise = EvaluationContext(attributes={"plan": "enterprise"})
    free = EvaluationContext(attributes={"plan": "free"})

    hit = file_provider.resolve_boolean_details("beta", False, enterprise)
    hit_again = file_provider.resolve_boolean_details("beta", True, enterprise)
    miss = file_provider.resolve_boolean_details("beta", True, free)
    unmatched_a = file_provider.resolve_boolean_details("no-default", False, free)
    unmatched_b = file_provider.resolve_boolean_details("no-default", True, free)
    mismatch = file_provider.resolve_string_details("beta", "x", enterprise)

    assert hit is hit_again
    assert (hit.value, miss.value) == (True, False)
    assert (unmatched_a.value, unmatched_b.value) == (False, True)
    assert (mismatch.value, mismatch.error_code) == ("x", ErrorCode.TYPE_MISMATCH)


def test_unexpected_failures_become_general_errors(file_provider: SluicegateProvider) -> None:
    # Attributes that are not a mapping cannot be merged with the targeting key.
    broken = EvaluationContext("user-1", ["not", "a", "mapping"])  # type: ignore[arg-type]

    details = file_provider.resolve_boolean_details("beta", True, broken)

    assert (details.value, details.reason) == (True, Reason.ERROR)
    assert details.error_code is ErrorCode.GENERAL
    assert details.error_message is not None
