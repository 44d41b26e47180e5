"""The OpenTelemetry hook records feature_flag.evaluation events on the current span."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Tracer
from tests.unit.sdk.support import base_flags

from sluicegate.sdk import OpenTelemetryHook, SluicegateProvider


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


@pytest.fixture
def tracer(exporter: InMemorySpanExporter) -> Iterator[Tracer]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("sdk-tests")
    provider.shutdown()


@pytest.fixture(autouse=True)
def flags(tmp_path: Path) -> None:
    document = base_flags() | {"metadata": {"flagSetId": "checkout", "version": "42"}}
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(document))
    api.set_provider_and_wait(SluicegateProvider.from_file(path))


def _events(exporter: InMemorySpanExporter) -> list[dict[str, object]]:
    (span,) = exporter.get_finished_spans()
    assert {event.name for event in span.events} == {"feature_flag.evaluation"}
    return [dict(event.attributes or {}) for event in span.events]


def test_evaluations_become_span_events_with_semconv_attributes(
    tracer: Tracer, exporter: InMemorySpanExporter
) -> None:
    client = api.get_client()
    client.add_hooks([OpenTelemetryHook()])

    with tracer.start_as_current_span("request"):
        client.get_boolean_value("beta", False, EvaluationContext("user-1", {"plan": "enterprise"}))
        client.get_string_value("missing", "fallback")

    hit, missing = _events(exporter)
    assert hit == {
        "feature_flag.key": "beta",
        "feature_flag.provider.name": "Sluicegate",
        "feature_flag.result.variant": "on",
        "feature_flag.result.reason": "targeting_match",
        "feature_flag.context.id": "user-1",
        "feature_flag.set.id": "checkout",
        "feature_flag.version": "42",
    }
    assert missing["feature_flag.key"] == "missing"
    assert missing["feature_flag.result.value"] == "fallback"
    assert missing["feature_flag.result.reason"] == "error"
    assert missing["error.type"] == "flag_not_found"
    assert "missing" in str(missing["feature_flag.error.message"])


def test_values_are_recorded_on_request_and_objects_as_json(
    tracer: Tracer, exporter: InMemorySpanExporter
) -> None:
    client = api.get_client()
    client.add_hooks([OpenTelemetryHook(include_value=True, include_context_id=False)])

    with tracer.start_as_current_span("request"):
        client.get_object_value("layout", {}, EvaluationContext("user-1"))
        client.get_float_value("discount", 0.0)

    layout, discount = _events(exporter)
    assert layout["feature_flag.result.value"] == '{"columns":3}'
    assert "feature_flag.context.id" not in layout
    assert discount["feature_flag.result.value"] == 0.15
    assert discount["feature_flag.result.variant"] == "some"


def test_nothing_is_recorded_without_a_recording_span(
    tracer: Tracer, exporter: InMemorySpanExporter
) -> None:
    client = api.get_client()
    client.add_hooks([OpenTelemetryHook()])

    assert client.get_boolean_value("new-checkout", False) is True
    with tracer.start_as_current_span("later"):
        pass

    (span,) = exporter.get_finished_spans()
    assert span.events == ()
