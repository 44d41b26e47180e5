"""The DORA metrics read from stored events on SQLite and PostgreSQL (issue 13 §3).

The events of tests/support/delivery.py's worked history go in through the HTTP API; the
figures come out as that module's docstring computes them by hand.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.support.app import Harness
from tests.support.delivery import HOUR, T0, history

from sluicegate.domain.errors import InvalidInput
from sluicegate.service.access import identity
from sluicegate.service.context import RequestContext
from sluicegate.service.delivery.commands import record_deployment
from sluicegate.service.delivery.metrics import MetricsQuery, dora_metrics, explain_metric
from sluicegate.service.delivery.payloads import (
    change_payload,
    deployment_payload,
    incident_payload,
)


def _load(h: Harness, status: int = 201) -> None:
    deployments, changes, incidents = history()
    for c in changes:
        body = {k: v for k, v in change_payload(c).items() if v is not None}
        r = h.call("alice", "POST", "/api/v1/delivery/changes", json=body)
        assert r.status_code == status, r.text
    for d in deployments:
        r = h.call("alice", "POST", "/api/v1/delivery/deployments", json=deployment_payload(d))
        assert r.status_code == status, r.text
    for i in incidents:
        r = h.call("alice", "POST", "/api/v1/delivery/incidents", json=incident_payload(i))
        assert r.status_code == status, r.text


def _ctx(h: Harness, who: str = "erin") -> RequestContext:
    return RequestContext(identity.authenticate(h.container.deps, h.tokens[who]))


DAY = MetricsQuery(start=T0, end=T0 + timedelta(days=1))


def test_stored_events_give_the_hand_computed_figures(harness: Harness) -> None:
    _load(harness)
    _load(harness, 200)  # a redelivery stores nothing and changes no figure
    m = dora_metrics(harness.container.deps, _ctx(harness), DAY)
    assert m["scope"] == {"kind": "organisation"}
    assert m["deployment_frequency"]["deployments"] == 5
    assert m["change_fail_rate"] == {"numerator": 2, "denominator": 5, "value": 0.4}
    assert m["rework_rate"]["value"] == pytest.approx(0.2)
    assert m["recovery_time"] == {
        "n": 2,
        "median": 2 * HOUR,
        "p75": 2 * HOUR,
        "p90": 2 * HOUR,
        "open": 0,
    }
    assert m["lead_time"]["n"] == 3
    assert m["lead_time"]["median"] == 2 * HOUR
    assert m["lead_time"]["p90"] == pytest.approx(6 * HOUR)  # linear between 2 h and 7 h
    assert m["lead_time_phases"]["deploy"]["n"] == 3
    other = dora_metrics(
        harness.container.deps, _ctx(harness), MetricsQuery(service="other", **_w())
    )
    assert other["deployment_frequency"]["per_day"] is None  # no data, not zero


def _w() -> dict[str, Any]:
    return {"start": DAY.start, "end": DAY.end}


def test_buckets_and_explanations_come_from_the_same_facts(harness: Harness) -> None:
    _load(harness)
    q = MetricsQuery(bucket="day", timezone="Europe/Berlin", **_w())
    m = dora_metrics(harness.container.deps, _ctx(harness), q)
    assert [b["start"] for b in m["buckets"]] == ["2026-01-05", "2026-01-06"]
    assert sum(b["deployment_frequency"]["deployments"] for b in m["buckets"]) == 5
    e = explain_metric(harness.container.deps, _ctx(harness), "cfr", DAY)
    assert e["figure"]["numerator"] == 2
    assert {f["deployment"] for f in e["facts"] if f["failed"]} == {"ci/d3", "ci/d4"}
    assert e["incident_links"] == [
        {"incident": "pager/i1", "deployment": "ci/d3", "rule": "window"}
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (MetricsQuery(timezone="Mars/Olympus"), "timezone"),
        (MetricsQuery(service="a", team="payments"), "team"),
        (MetricsQuery(start=T0, end=T0), "to"),
        (MetricsQuery(start=T0, end=T0 + timedelta(days=800)), "from"),
        (MetricsQuery(bucket="hour"), "bucket"),
    ],
)
def test_bad_queries_name_the_field(harness: Harness, query: MetricsQuery, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        dora_metrics(harness.container.deps, _ctx(harness), query)
    assert field in {e.field for e in caught.value.errors}


def test_an_unknown_metric_is_named(harness: Harness) -> None:
    with pytest.raises(InvalidInput) as caught:
        explain_metric(harness.container.deps, _ctx(harness), "mttr", DAY)
    assert caught.value.errors[0].field == "metric"


def test_the_http_api_answers_the_same_figures(harness: Harness) -> None:
    _load(harness)
    params = {"from": "2026-01-05T00:00:00Z", "to": "2026-01-06T00:00:00Z"}
    r = harness.call("erin", "GET", "/api/v1/delivery/metrics", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["from"] == "2026-01-05T00:00:00+00:00"
    assert body["change_fail_rate"]["value"] == 0.4
    assert body["lead_time"]["n"] == 3
    lower = harness.call(
        "erin", "GET", "/api/v1/delivery/metrics", params={**params, "median": "lower"}
    )
    assert lower.json()["median"] == "lower"
    e = harness.call("erin", "GET", "/api/v1/delivery/metrics/lead-time/explain", params=params)
    assert e.status_code == 200, e.text
    assert e.json()["figure"]["n"] == 3
    k = harness.call("erin", "GET", "/api/v1/delivery/kpis", params=params)
    assert k.status_code == 200, k.text
    assert k.json()["innovation_bandwidth"]["organisation"]["denominator"] == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-01-05T00:00:00"}, "from"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"bucket": "hour"}, "bucket"),
        ({"median": "middle"}, "median"),
        ({"team": "nobody"}, None),
    ],
)
def test_bad_http_queries_are_4xx_and_name_the_field(
    harness: Harness, params: dict[str, str], field: str | None
) -> None:
    r = harness.call("erin", "GET", "/api/v1/delivery/metrics", params=params)
    if field is None:
        assert r.status_code == 404, r.text
        return
    assert r.status_code in (400, 422), r.text
    assert field in r.text


def test_the_read_model_follows_writes_from_any_process(harness: Harness) -> None:
    """Linked facts are served from memory while the delivery version stands still, and a write
    through another container (another worker or replica) on the same database is seen next."""
    from sluicegate.bootstrap import build

    _load(harness)
    deps = harness.container.deps
    assert deps.delivery_cache is not None
    first = dora_metrics(deps, _ctx(harness), DAY)
    assert len(deps.delivery_cache) == 1
    with deps.uow(readonly=True) as uow:
        version = uow.deployments.version()
    assert dora_metrics(deps, _ctx(harness), DAY) == first  # served from the cache
    other = build(harness.container.settings, clock=harness.clock)
    try:
        late = {
            "id": "d6",
            "source": "ci",
            "service": "shop",
            "environment": "production",
            "status": "failure",
            "started_at": (T0 + timedelta(hours=20)).isoformat(),
            "finished_at": (T0 + timedelta(hours=21)).isoformat(),
            "revisions": [{"repo": "r", "sha": "d6d6d6d6"}],
        }
        record_deployment(
            other.deps,
            RequestContext(identity.authenticate(other.deps, harness.tokens["alice"])),
            _as_event(late),
        )
    finally:
        other.close()
    with deps.uow(readonly=True) as uow:
        assert uow.deployments.version() > version
    after = dora_metrics(deps, _ctx(harness), DAY)
    assert after["deployment_frequency"]["deployments"] == 6
    assert after["change_fail_rate"]["numerator"] == 3


def _as_event(body: dict[str, Any]) -> Any:
    from sluicegate.api.routes.delivery import DeploymentBody

    return DeploymentBody.model_validate(body).event()
