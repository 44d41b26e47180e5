"""The demo's generated delivery history: reproducible, valid, and linkable (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sluicegate.domain.delivery.changes import check_change
from sluicegate.domain.delivery.linking import LinkRules, link
from sluicegate.domain.delivery.metrics import Window, compute
from sluicegate.domain.delivery.records import check_deployment, check_incident
from sluicegate.service.delivery.history import generate

END = datetime(2026, 12, 4, 12, tzinfo=UTC)
NAMED = {"checkout": ("checkout-redesign",)}


def test_the_same_seed_gives_the_same_history_and_another_seed_another() -> None:
    a = generate(["checkout", "search"], END, days=60, experiments=NAMED)
    b = generate(["search", "checkout"], END, days=60, experiments=NAMED)
    assert a == b
    assert generate(["checkout", "search"], END, days=60, seed=8) != a


def test_every_generated_event_is_valid_and_ends_before_the_end() -> None:
    made = generate(["checkout", "payments", "search"], END, experiments=NAMED)
    assert len(made.deployments) > 300
    assert len(made.changes) > 900
    assert made.incidents
    assert [e for c in made.changes for e in check_change(c)] == []
    assert [e for d in made.deployments for e in check_deployment(d)] == []
    assert [e for i in made.incidents for e in check_incident(i)] == []
    assert all(d.finished_at is not None and d.finished_at < END for d in made.deployments)
    named = {d.experiment for d in made.deployments if d.service == "checkout"}
    assert named == {None, "checkout-redesign"}
    assert {d.experiment for d in made.deployments if d.service != "checkout"} == {None}


def test_every_metric_has_data_over_the_last_quarter() -> None:
    made = generate(["checkout", "payments", "search"], END)
    linked = link(made.deployments, made.changes, made.incidents, LinkRules())
    m = compute(linked, Window(END - timedelta(days=90), END))
    assert m.deployment_frequency.deployments > 0
    assert m.lead_time.n > 0
    assert m.change_fail_rate.numerator > 0
    assert m.recovery_time.n > 0
    assert m.rework_rate.numerator > 0
