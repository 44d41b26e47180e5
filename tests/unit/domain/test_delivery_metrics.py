"""The five DORA metrics on hand-computed fixtures (issue 13 §3); percentiles against numpy."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.delivery import HOUR, T0, commit, dep, h, history, incident

from sluicegate.domain.delivery.linking import link
from sluicegate.domain.delivery.metrics import (
    BucketSize,
    Window,
    bucket_starts,
    buckets,
    compute,
    percentile,
    recoveries,
    summarize,
)

DAY = Window(T0, T0 + timedelta(days=1))


def test_the_worked_history_gives_the_hand_computed_figures() -> None:
    m = compute(link(*history()), DAY)
    assert m.deployment_frequency.deployments == 5
    assert m.deployment_frequency.per_day == 5.0
    # lead times [2 h, 2 h, 7 h]: linear interpolation between the sorted values
    assert m.lead_time.n == 3
    assert m.lead_time.median == 2 * HOUR
    assert m.lead_time.p75 == pytest.approx(4.5 * HOUR)  # 2 + (7 - 2) * 0.5
    assert m.lead_time.p90 == pytest.approx(6.0 * HOUR)  # 2 + (7 - 2) * 0.8
    # p1's phases: coding 1 h, pickup 2 h, review 1 h; deploy: p1 3 h, c2 2 h, c3 2 h
    assert m.phases["coding"].n == 3
    assert m.phases["pickup"].to_dict() == {
        "n": 1,
        "median": 2 * HOUR,
        "p75": 2 * HOUR,
        "p90": 2 * HOUR,
    }
    assert m.phases["review"].median == 1 * HOUR
    assert m.phases["deploy"].median == 2 * HOUR
    assert (m.change_fail_rate.numerator, m.change_fail_rate.denominator) == (2, 5)
    assert m.change_fail_rate.value == pytest.approx(0.4)
    assert m.rework_rate.value == pytest.approx(0.2)
    assert m.recovery_time.n == 2
    assert m.recovery_time.median == 2 * HOUR
    assert m.open_failures == 0


def test_recovery_is_explained_by_what_ended_it() -> None:
    linked = link(*history())
    found = {r.deployment: (r.seconds, r.by) for r in recoveries(linked, linked.deployments)}
    assert found == {
        "ci/d3": (2 * HOUR, "incidents pager/i1"),
        "ci/d4": (2 * HOUR, "next success ci/d5"),
    }


def test_an_unrecovered_failure_is_open_and_not_a_duration() -> None:
    deployments, changes, _ = history()
    m = compute(link(deployments[:4], changes, [incident("i1", 13, None)]), DAY)
    assert m.recovery_time.n == 0
    assert m.recovery_time.median is None
    assert m.open_failures == 2


def test_no_events_read_no_data_not_zero() -> None:
    m = compute(link([], [], []), DAY)
    d = m.to_dict()
    assert d["deployment_frequency"]["per_day"] is None
    assert d["lead_time"] == {"n": 0, "median": None, "p75": None, "p90": None}
    assert d["change_fail_rate"]["value"] is None
    assert d["rework_rate"]["value"] is None


def test_a_scope_pools_its_services_facts_and_never_averages_medians() -> None:
    deployments = [
        dep("a0", 0, 1, [("ra", "a0")], service="a"),
        dep("b0", 0, 1, [("rb", "b0")], service="b"),
        dep("a1", 10, 11, [("ra", "a3")], service="a"),  # ships a1, a2, a3: leads 10, 9, 8 h
        dep("b1", 20, 21, [("rb", "b1")], service="b", status="failure"),
        dep("b2", 22, 23, [("rb", "b1")], service="b"),  # ships b1: lead 21 h
    ]
    changes = [
        commit("c-a0", 0, repo="ra"),
        commit("c-b0", 0, repo="rb"),
        commit("c-a1", 1, repo="ra"),
        commit("c-a2", 2, repo="ra"),
        commit("c-a3", 3, repo="ra"),
        commit("c-b1", 2, repo="rb"),
    ]
    linked = link(deployments, changes, [])
    a = compute(linked, DAY, services=frozenset({"a"}))
    b = compute(linked, DAY, services=frozenset({"b"}))
    both = compute(linked, DAY, services=frozenset({"a", "b"}))
    assert (a.lead_time.median, b.lead_time.median) == (9 * HOUR, 21 * HOUR)
    assert both.lead_time.median == 9.5 * HOUR  # median of [8, 9, 10, 21], not (9 + 21) / 2
    assert both.change_fail_rate.numerator == a.change_fail_rate.numerator + 1
    assert both.change_fail_rate.denominator == 5
    assert compute(linked, DAY).to_dict() == both.to_dict()


def test_the_window_is_half_open_and_counts_by_finish() -> None:
    linked = link(*history())
    early = compute(linked, Window(T0, h(9)))  # d2 finishes at h9: outside
    assert early.deployment_frequency.deployments == 1
    assert early.lead_time.n == 0
    late = compute(linked, Window(h(9), h(24)))
    assert late.deployment_frequency.deployments == 4
    assert late.lead_time.n == 3


def test_a_window_needs_aware_ordered_bounds() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Window(datetime(2026, 1, 1), datetime(2026, 1, 2))
    with pytest.raises(ValueError, match="ends after"):
        Window(T0, T0)


def test_buckets_are_calendar_filled_in_the_time_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 23:30 UTC on Monday is 00:30 on Tuesday in Berlin (UTC+1 in January)
    deployments = [dep("d0", 0, 1, [("r", "x")]), dep("late", 23, 23.5, [("r", "y")])]
    linked = link(deployments, [], [])
    window = Window(datetime(2026, 1, 5, tzinfo=berlin), datetime(2026, 1, 9, tzinfo=berlin))
    days = buckets(linked, window, BucketSize.DAY, berlin)
    assert [b.start for b in days] == [date(2026, 1, d) for d in (5, 6, 7, 8)]
    assert [b.metrics.deployment_frequency.deployments for b in days] == [1, 1, 0, 0]
    assert days[2].metrics.deployment_frequency.per_day is None  # an empty day is "no data"
    in_utc = buckets(linked, Window(T0, T0 + timedelta(days=4)), BucketSize.DAY, ZoneInfo("UTC"))
    assert [b.metrics.deployment_frequency.deployments for b in in_utc] == [2, 0, 0, 0]


def test_week_and_month_buckets_start_on_monday_and_the_first() -> None:
    utc = ZoneInfo("UTC")
    window = Window(datetime(2026, 1, 28, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC))
    assert bucket_starts(window, BucketSize.MONTH, utc) == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    weeks = bucket_starts(window, BucketSize.WEEK, utc)
    assert weeks[0] == date(2026, 1, 26)
    assert all(w.weekday() == 0 for w in weeks)
    assert weeks[-1] == date(2026, 3, 2)
    december = Window(datetime(2026, 12, 30, tzinfo=UTC), datetime(2027, 1, 2, tzinfo=UTC))
    assert bucket_starts(december, BucketSize.MONTH, utc) == [date(2026, 12, 1), date(2027, 1, 1)]


def test_the_buckets_of_a_window_add_up_to_the_window() -> None:
    linked = link(*history())
    window = Window(T0, T0 + timedelta(days=2))
    total = sum(
        b.metrics.deployment_frequency.deployments
        for b in buckets(linked, window, BucketSize.DAY, ZoneInfo("America/New_York"))
    )
    assert total == compute(linked, window).deployment_frequency.deployments


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=1e7, allow_nan=False), min_size=1, max_size=50),
    st.sampled_from([50, 75, 90, 0, 100, 33.3]),
)
def test_percentiles_match_numpy_linear(values: list[float], q: float) -> None:
    ordered = sorted(values)
    assert percentile(ordered, q) == pytest.approx(
        float(np.percentile(values, q)), rel=1e-9, abs=1e-6
    )


def test_the_lower_median_is_devlakes_reading_for_an_even_count() -> None:
    assert summarize([1.0, 2.0, 3.0, 10.0]).median == 2.5
    assert summarize([1.0, 2.0, 3.0, 10.0], lower_median=True).median == 2.0
    assert summarize([1.0, 2.0, 3.0], lower_median=True).median == 2.0


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=0, max_value=3))
def test_redelivery_and_reordering_change_no_figure(seed: int, copies: int) -> None:
    expected = compute(link(*history()), DAY).to_dict()
    rnd = random.Random(seed)
    deployments, changes, incidents = history()
    deployments += deployments[:copies]
    changes += changes[-copies:] if copies else []
    incidents += incidents * copies
    for items in (deployments, changes, incidents):
        rnd.shuffle(items)
    assert compute(link(deployments, changes, incidents), DAY).to_dict() == expected


def test_every_figure_lists_the_facts_behind_it() -> None:
    from sluicegate.domain.delivery.metrics import Metric, explain

    linked = link(*history())
    m = compute(linked, DAY)
    cfr = explain(linked, DAY, Metric.CHANGE_FAIL_RATE)
    assert len(cfr) == m.change_fail_rate.denominator
    assert sum(row["failed"] for row in cfr) == m.change_fail_rate.numerator
    assert {r["deployment"]: r["reasons"] for r in cfr if r["failed"]} == {
        "ci/d3": ["incident pager/i1 (window)"],
        "ci/d4": ["status failure", "rolled back by ci/d5"],
    }
    lead = explain(linked, DAY, Metric.LEAD_TIME)
    assert [r["change"] for r in lead] == ["git/c-c2", "git/p1", "git/c-c3"]
    assert lead[1]["phases"] == {
        "coding": 1 * HOUR,
        "pickup": 2 * HOUR,
        "review": 1 * HOUR,
        "deploy": 3 * HOUR,
    }
    assert sorted(r["seconds"] for r in lead) == [2 * HOUR, 2 * HOUR, 7 * HOUR]
    recovery = explain(linked, DAY, Metric.RECOVERY_TIME)
    assert [(r["deployment"], r["by"]) for r in recovery] == [
        ("ci/d3", "incidents pager/i1"),
        ("ci/d4", "next success ci/d5"),
    ]
    rework = explain(linked, DAY, Metric.REWORK_RATE, services=frozenset({"shop"}))
    assert [r["deployment"] for r in rework if r["rework"]] == ["ci/d5"]
    assert len(explain(linked, DAY, Metric.DEPLOYMENT_FREQUENCY)) == 5
    assert explain(linked, DAY, Metric.CHANGE_FAIL_RATE, services=frozenset({"other"})) == []
