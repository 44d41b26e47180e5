"""OpenSLO v1 documents read into the SLO model: the exact model, and every refusal named by
its field path (docs/slo.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from tests.support.slo import ERRORS, EXAMPLES, TOTAL, openslo_slo

from sluicegate.domain.slo import (
    Alerting,
    AlertSpec,
    Query,
    RatioSli,
    RawSli,
    Slo,
    SloSpecError,
    ThresholdSli,
    parse_documents,
    parse_openslo,
)
from sluicegate.errors import InvalidInput

Doc = dict[str, Any]


def _errors(documents: list[Any]) -> dict[str, str]:
    with pytest.raises(SloSpecError) as caught:
        parse_openslo(documents)
    return {e.field: e.reason for e in caught.value.errors}


def test_a_valid_document_gives_the_exact_model() -> None:
    (slo,) = parse_openslo([openslo_slo()])
    assert slo == Slo(
        service="api",
        name="availability",
        objective=0.999,
        sli=RatioSli("bad", Query(ERRORS), Query(TOTAL)),
        alerting=Alerting(
            page=AlertSpec("ErrorBudgetBurn", (13.44, 5.6)),
            ticket=AlertSpec("ErrorBudgetBurn", (2.8, 0.933333)),
        ),
        window_days=28,
        labels={"team": "core"},
    )
    assert slo.error_budget == 0.001
    assert isinstance(SloSpecError([]), InvalidInput)


def test_the_example_file_reads_both_slos() -> None:
    docs = list(yaml.safe_load_all((EXAMPLES / "checkout-openslo.yaml").read_text()))
    availability, latency = parse_documents(docs)
    assert availability.alerting.page.name == "CheckoutAvailabilityBurn"
    assert availability.alerting.page.factors == (14.4, 6.0)
    assert availability.alerting.ticket.factors == (3.0, 1.0)
    assert latency.sli == ThresholdSli(
        "http_request_duration_seconds", 'job="checkout"', "lte", 0.3
    )
    assert latency.objective == 0.99
    assert latency.window_days == 28


def test_good_over_total_and_a_bare_counter_selector() -> None:
    doc = openslo_slo()
    ratio = doc["spec"]["indicator"]["spec"]["ratioMetric"]
    ratio["good"] = ratio.pop("bad")
    ratio["good"]["metricSource"]["spec"]["query"] = 'http_requests_total{code!~"5.."}'
    (slo,) = parse_openslo([doc])
    assert slo.sli == RatioSli(
        "good", Query('sum(rate(http_requests_total{code!~"5.."}[{{.window}}]))'), Query(TOTAL)
    )
    assert slo.sli.error_ratio("5m").startswith("1 - (")


def test_raw_ratios_and_target_percent() -> None:
    doc = openslo_slo()
    doc["spec"]["indicator"]["spec"]["ratioMetric"] = {
        "rawType": "success",
        "raw": {"metricSource": {"type": "prometheus", "spec": {"query": "avail[{{ .window }}]"}}},
    }
    doc["spec"]["objectives"] = [{"targetPercent": 99.5}]
    del doc["spec"]["timeWindow"]
    (slo,) = parse_openslo([doc])
    assert slo.sli == RawSli("success", Query("avail[{{.window}}]"))
    assert slo.objective == 0.995
    assert slo.window_days == 30
    assert slo.alerting.page.factors == (14.4, 6.0)


def test_an_sli_document_and_a_data_source_of_the_same_input() -> None:
    slo = openslo_slo()
    indicator = slo["spec"].pop("indicator")
    slo["spec"]["indicatorRef"] = "api-errors"
    for part in ("bad", "total"):
        source = indicator["spec"]["ratioMetric"][part]["metricSource"]
        del source["type"]
        source["metricSourceRef"] = "prom"
    sli = {"apiVersion": "openslo/v1", "kind": "SLI", **indicator}
    data_source = {
        "apiVersion": "openslo/v1",
        "kind": "DataSource",
        "metadata": {"name": "prom"},
        "spec": {"type": "Prometheus", "connectionDetails": {"url": "http://prom:9090"}},
    }
    service = {"apiVersion": "openslo/v1", "kind": "Service", "metadata": {"name": "api"}}
    (parsed,) = parse_openslo([service, data_source, sli, slo])
    assert parsed.sli == RatioSli("bad", Query(ERRORS), Query(TOTAL))
    # the SLI alone does not resolve: it must be in the same input
    assert _errors([slo]) == {
        "spec.indicatorRef": "no kind: SLI named 'api-errors' in this input (an SLI in another "
        "file is not resolved: put it in the same file, or inline it as spec.indicator)"
    }


def test_sluicegate_annotations_set_names_and_factors() -> None:
    doc = openslo_slo()
    doc["metadata"]["annotations"] = {
        "sluicegate.dev/page-alert": "ApiPage",
        "sluicegate.dev/ticket-alert": "ApiTicket",
        "sluicegate.dev/page-burn-rates": "10, 5",
        "sluicegate.dev/ticket-burn-rates": "2,1",
        "other.example/key": "ignored",
    }
    (slo,) = parse_openslo([doc])
    assert slo.alerting.page == AlertSpec("ApiPage", (10.0, 5.0))
    assert slo.alerting.ticket == AlertSpec("ApiTicket", (2.0, 1.0))


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return apply


def _both(*steps: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        for step in steps:
            step(doc)

    return apply


_DELETE = object()
QUERY = "spec.indicator.spec.ratioMetric.bad.metricSource.spec.query"


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (_set("apiVersion", "openslo/v1alpha"), "apiVersion", "expected openslo/v1"),
        (_set("kind", "Slo"), "kind", "expected one of SLO, SLI"),
        (_set("metadata.name", "-bad"), "metadata.name", "is not a name"),
        (_set("metadata.labels", {"a-b": "x"}), "metadata.labels.a-b", "not a Prometheus label"),
        (
            _set("metadata.labels", {"sluicegate_slo": "x"}),
            "metadata.labels.sluicegate_slo",
            "reserved",
        ),
        (_set("spec.service", _DELETE), "spec.service", "required"),
        (_set("spec.service", 7), "spec.service", "expected a string, not a number"),
        (_set("spec.extra", 1), "spec.extra", "unknown field"),
        (_set(QUERY.removesuffix(".query") + ".query", _DELETE), QUERY, "required"),
        (_set(QUERY, "sum(rate(x[5m]))"), QUERY, "needs {{.window}}"),
        (_set(QUERY, "x[{{.window}}] {{.service}}"), QUERY, "the only template"),
        (
            _set("spec.indicator.spec.ratioMetric.counter", "yes"),
            "spec.indicator.spec.ratioMetric.counter",
            "expected true or false",
        ),
        (
            _both(_set("spec.indicator.spec.ratioMetric.counter", False), _set(QUERY, "errors")),
            QUERY,
            "only with ratioMetric.counter: true",
        ),
        (
            _set("spec.indicator.spec.ratioMetric.bad.metricSource.type", "Datadog"),
            "spec.indicator.spec.ratioMetric.bad.metricSource.type",
            "only Prometheus",
        ),
        (
            _set("spec.indicator.spec.ratioMetric.good", {"metricSource": {}}),
            "spec.indicator.spec.ratioMetric",
            "give good or bad",
        ),
        (
            _set("spec.indicator.spec.ratioMetric.total", _DELETE),
            "spec.indicator.spec.ratioMetric.total",
            "required",
        ),
        (
            _set("spec.indicator.spec.thresholdMetric", {}),
            "spec.indicator.spec",
            "give ratioMetric or thresholdMetric",
        ),
        (_set("spec.indicatorRef", "x"), "spec", "give indicator or indicatorRef, not both"),
        (
            _set("spec.budgetingMethod", "Timeslices"),
            "spec.budgetingMethod",
            "Timeslices is not supported",
        ),
        (
            _set("spec.budgetingMethod", "RatioTimeslices"),
            "spec.budgetingMethod",
            "RatioTimeslices is not supported",
        ),
        (_set("spec.budgetingMethod", _DELETE), "spec.budgetingMethod", "required"),
        (
            _set("spec.timeWindow", [{"duration": "1M", "isRolling": True}]),
            "spec.timeWindow[0].duration",
            "months, quarters and years",
        ),
        (
            _set("spec.timeWindow", [{"duration": "91d", "isRolling": True}]),
            "spec.timeWindow[0].duration",
            "1 to 90 days",
        ),
        (
            _set("spec.timeWindow", [{"duration": "36h"}]),
            "spec.timeWindow[0].duration",
            "not a whole number of days",
        ),
        (
            _set("spec.timeWindow", [{"duration": "30d", "calendar": {"timeZone": "UTC"}}]),
            "spec.timeWindow[0].isRolling",
            "calendar-aligned windows are not supported",
        ),
        (_set("spec.timeWindow", []), "spec.timeWindow", "exactly one time window"),
        (
            _set("spec.objectives", [{"target": 0.99}, {"target": 0.999}]),
            "spec.objectives",
            "one objective per SLO, not 2",
        ),
        (_set("spec.objectives", [{"target": 1}]), "spec.objectives[0].target", "between 0 and 1"),
        (
            _set("spec.objectives", [{"target": True}]),
            "spec.objectives[0].target",
            "expected a number, not a boolean",
        ),
        (
            _set("spec.objectives", [{"target": 0.9, "targetPercent": 90}]),
            "spec.objectives[0]",
            "give target or targetPercent",
        ),
        (
            _set("spec.objectives", [{"target": 0.99, "op": "lte", "value": 1}]),
            "spec.objectives[0].op",
            "applies to a thresholdMetric SLI only",
        ),
        (
            _set("spec.objectives", [{"target": 0.99, "timeSliceWindow": "1m"}]),
            "spec.objectives[0].timeSliceWindow",
            "Timeslices budgeting only",
        ),
        (
            _set("spec.objectives", [{"target": 0.9}]),
            "metadata.annotations.sluicegate.dev/page-burn-rates",
            "can never be reached",
        ),
        (
            _set("spec.alertPolicies", [{"alertPolicyRef": "x"}]),
            "spec.alertPolicies",
            "not translated",
        ),
        (
            _set("metadata.annotations", {"sluicegate.dev/page-burn-rates": "0,6"}),
            "metadata.annotations.sluicegate.dev/page-burn-rates",
            "must be > 0",
        ),
        (
            _set("metadata.annotations", {"sluicegate.dev/page-burn-rates": "fast"}),
            "metadata.annotations.sluicegate.dev/page-burn-rates",
            "two numbers",
        ),
        (
            _set("metadata.annotations", {"sluicegate.dev/page-alert": "a b"}),
            "metadata.annotations.sluicegate.dev/page-alert",
            "is not an alert name",
        ),
        (
            _set("metadata.annotations", {"sluicegate.dev/pager": "x"}),
            "metadata.annotations.sluicegate.dev/pager",
            "unknown",
        ),
    ],
)
def test_each_error_names_its_field(mutate: Callable[[Doc], None], field: str, reason: str) -> None:
    doc = openslo_slo()
    mutate(doc)
    errors = _errors([doc])
    assert field in errors, errors
    assert reason in errors[field]


def test_every_error_is_reported_at_once() -> None:
    doc = openslo_slo()
    del doc["spec"]["service"]
    doc["spec"]["budgetingMethod"] = "Timeslices"
    doc["spec"]["indicator"]["spec"]["ratioMetric"]["total"]["metricSource"]["spec"] = {}
    assert set(_errors([doc])) == {
        "spec.service",
        "spec.budgetingMethod",
        "spec.indicator.spec.ratioMetric.total.metricSource.spec.query",
    }


def test_the_brief_example_path() -> None:
    doc = openslo_slo()
    ratio = doc["spec"]["indicator"]["spec"]["ratioMetric"]
    ratio["good"] = ratio.pop("bad")
    del ratio["good"]["metricSource"]["spec"]["query"]
    assert _errors([doc]) == {
        "spec.indicator.spec.ratioMetric.good.metricSource.spec.query": "required"
    }


def _threshold(op: str, value: Any, query: str) -> Doc:
    doc = openslo_slo()
    doc["spec"]["indicator"]["spec"] = {
        "thresholdMetric": {"metricSource": {"type": "Prometheus", "spec": {"query": query}}}
    }
    doc["spec"]["objectives"] = [{"op": op, "value": value, "target": 0.99}]
    return doc


def test_threshold_slis_on_a_histogram() -> None:
    (lte,) = parse_openslo([_threshold("lte", 0.25, "lat_seconds_bucket{job='a'}")])
    assert lte.sli == ThresholdSli("lat_seconds", "job='a'", "lte", 0.25)
    assert lte.sli.error_ratio("5m") == (
        "1 - (\nsum(rate(lat_seconds_bucket{job='a',le=\"0.25\"}[5m]))\n/\n"
        "sum(rate(lat_seconds_count{job='a'}[5m]))\n)"
    )
    (gt,) = parse_openslo([_threshold("gt", 1, "lat_seconds_bucket")])
    assert gt.sli == ThresholdSli("lat_seconds", "", "gt", 1.0)
    assert gt.sli.error_ratio("1h") == (
        'sum(rate(lat_seconds_bucket{le=~"1|1\\\\.0"}[1h]))\n/\nsum(rate(lat_seconds_count{}[1h]))'
    )


@pytest.mark.parametrize(
    ("op", "value", "query", "field", "reason"),
    [
        ("lt", 0.3, "lat_bucket", "spec.objectives[0].op", "no exact form on a histogram"),
        ("gte", 0.3, "lat_bucket", "spec.objectives[0].op", "no exact form on a histogram"),
        ("eq", 0.3, "lat_bucket", "spec.objectives[0].op", "expected lte or gt"),
        ("lte", None, "lat_bucket", "spec.objectives[0].value", "required"),
        ("lte", -1, "lat_bucket", "spec.objectives[0].value", "bound > 0"),
        (
            "lte",
            0.3,
            "histogram_quantile(0.99, rate(lat_bucket[5m]))",
            "spec.indicator.spec.thresholdMetric.metricSource.spec.query",
            "only on a Prometheus histogram",
        ),
        (
            "lte",
            0.3,
            "lat_seconds",
            "spec.indicator.spec.thresholdMetric.metricSource.spec.query",
            "_bucket series",
        ),
        (
            "lte",
            0.3,
            'lat_bucket{le="0.3"}',
            "spec.indicator.spec.thresholdMetric.metricSource.spec.query",
            "leave le out",
        ),
    ],
)
def test_threshold_slis_without_an_exact_ratio_are_refused(
    op: str, value: Any, query: str, field: str, reason: str
) -> None:
    errors = _errors([_threshold(op, value, query)])
    assert reason in errors[field], errors


def test_several_documents_are_named_by_index() -> None:
    second = openslo_slo()
    second["metadata"]["name"] = "other"
    del second["spec"]["service"]
    errors = _errors([openslo_slo(), second, "text"])
    assert errors == {"[1].spec.service": "required", "[2]": "expected a mapping, not a string"}


def test_a_document_that_is_no_mapping_or_no_slo() -> None:
    assert _errors([[1, 2]]) == {"document": "expected a mapping, not a list"}
    service = {"apiVersion": "openslo/v1", "kind": "Service", "metadata": {"name": "api"}}
    assert _errors([service]) == {"kind": "the input holds no kind: SLO document"}
