"""Innovation KPIs (issue 13 §4) on a hand-counted portfolio."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.support.delivery import HOUR, T0, dep, h

from sluicegate.domain.delivery.kpis import ExperimentFacts, kpis
from sluicegate.domain.delivery.linking import LogicalDeployment, link
from sluicegate.domain.delivery.metrics import Window

WEEK = Window(T0, T0 + timedelta(days=7))


def portfolio() -> list[ExperimentFacts]:
    return [
        ExperimentFacts(
            "fast-checkout",
            "payments",
            "general-availability",
            "greenfield",
            created_at=h(0),
            approved_at=h(10),
            ga_at=h(100),
            budget=(5000.0, "EUR"),
            services=("shop",),
        ),
        ExperimentFacts(
            "db-upgrade",
            "payments",
            "canary",
            "tech-debt",
            created_at=h(2),
            approved_at=h(6),
            budget=(1200.0, "EUR"),
            services=("shop",),
        ),
        ExperimentFacts(
            "ranking", "search", "proposed", "greenfield", created_at=h(-500), services=("find",)
        ),
        ExperimentFacts(
            "old",
            "search",
            "approved",
            "tech-debt",
            created_at=h(-900),
            approved_at=h(-800),
            budget=(300.0, "USD"),
        ),
    ]


def deployments() -> list[LogicalDeployment]:
    rows = [
        dep("s1", 1, 2, [("r", "a")], experiment="fast-checkout"),
        dep("s2", 3, 4, [("r", "b")]),
        dep("s3", 5, 6, [("r", "c")]),
        dep("s4", 7, 8, [("r", "d")], experiment="db-upgrade"),
        dep("f1", 1, 2, [("q", "e")], service="find"),
        dep("old", -300, -299, [("r", "z")], experiment="fast-checkout"),  # before the window
    ]
    return list(link(rows, [], []).deployments)


def test_the_portfolio_figures_are_the_hand_counted_ones() -> None:
    k = kpis(portfolio(), deployments(), WEEK)
    assert k["experiments_by_state"] == {
        "approved": 1,
        "canary": 1,
        "general-availability": 1,
        "proposed": 1,
    }
    assert k["experiments_by_team"]["payments"] == {"canary": 1, "general-availability": 1}
    # approvals inside the window: 10 h and 4 h (the old one was approved before it)
    assert k["time_to_approval"]["n"] == 2
    assert k["time_to_approval"]["median"] == pytest.approx(7 * HOUR)
    assert k["time_to_general_availability"] == {
        "n": 1,
        "median": 100 * HOUR,
        "p75": 100 * HOUR,
        "p90": 100 * HOUR,
    }
    # proposed in the window: fast-checkout (greenfield) and db-upgrade (tech-debt)
    assert k["category_share_of_experiments"]["greenfield"]["value"] == 0.5
    # the window's experiment deployments: s1 (greenfield), s4 (tech-debt)
    assert k["category_share_of_deployments"]["tech-debt"] == {
        "numerator": 1,
        "denominator": 2,
        "value": 0.5,
    }
    bandwidth = k["innovation_bandwidth"]
    assert bandwidth["organisation"] == {"numerator": 2, "denominator": 5, "value": 0.4}
    # payments owns shop (s1..s4): 2 of 4; search owns find (f1): 0 of 1
    assert bandwidth["teams"]["payments"]["value"] == 0.5
    assert bandwidth["teams"]["payments"]["meets_target"] is True
    assert bandwidth["teams"]["search"]["value"] == 0.0
    assert bandwidth["teams"]["search"]["meets_target"] is False
    # committed by the unfinished ones only: db-upgrade EUR, old USD (GA is finished)
    assert k["budget_committed"] == {"EUR": 1200.0, "USD": 300.0}


def test_the_bandwidth_target_is_the_admins_and_empty_teams_read_no_data() -> None:
    k = kpis(portfolio(), deployments(), WEEK, bandwidth_target=0.6)
    assert k["innovation_bandwidth"]["teams"]["payments"]["meets_target"] is False
    quiet = kpis(portfolio(), [], WEEK)
    assert quiet["innovation_bandwidth"]["teams"]["search"]["value"] is None
    assert quiet["innovation_bandwidth"]["teams"]["search"]["meets_target"] is None
    assert quiet["category_share_of_deployments"]["greenfield"]["value"] is None
