"""Innovation KPIs (issue 13 §4): the portfolio beside the delivery it produces.

Pure functions over a summary of each experiment and the linked production deployments:

- experiments by state, and by team and state;
- time from proposal to approval and to general availability (of the experiments that got
  there inside the window), as median/p75/p90/n;
- the greenfield and tech-debt share of the experiments proposed in the window and of the
  window's deployments that belong to an experiment;
- innovation bandwidth per team: the share of a team's deployments that belong to an
  experiment, against a target the admin sets (15 % by default). A deployment belongs to the
  team of its experiment; one without an experiment to every team whose experiments name its
  service;
- the budget committed by experiments that are not finished, per currency.

Negative-result rates need the outcome records of the knowledge issue and are not computed
here; nor is budget spent, which nothing records yet.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sluicegate.domain.delivery.linking import LogicalDeployment
from sluicegate.domain.delivery.metrics import Rate, Window, summarize

__all__ = ["DEFAULT_BANDWIDTH_TARGET", "FINISHED", "ExperimentFacts", "kpis"]

DEFAULT_BANDWIDTH_TARGET = 0.15
#: States in which an experiment no longer commits budget.
FINISHED = frozenset({"rejected", "rolled-back", "retired", "expired", "general-availability"})


@dataclass(frozen=True, slots=True)
class ExperimentFacts:
    key: str
    team: str
    state: str
    category: str  # greenfield | tech-debt
    created_at: datetime
    approved_at: datetime | None = None
    ga_at: datetime | None = None
    budget: tuple[float, str] | None = None  # (amount, currency)
    services: tuple[str, ...] = ()


def _share(counts: Counter[str], total: int) -> dict[str, Any]:
    return {k: Rate(counts[k], total).to_dict() for k in ("greenfield", "tech-debt")}


def _teams_of(
    d: LogicalDeployment,
    by_key: Mapping[str, ExperimentFacts],
    service_teams: Mapping[str, frozenset[str]],
) -> frozenset[str]:
    if d.experiment is not None and d.experiment in by_key:
        return frozenset({by_key[d.experiment].team})
    return service_teams.get(d.service, frozenset())


def kpis(
    experiments: Sequence[ExperimentFacts],
    deployments: Sequence[LogicalDeployment],
    window: Window,
    *,
    bandwidth_target: float = DEFAULT_BANDWIDTH_TARGET,
) -> dict[str, Any]:
    """The KPIs of ``window``; state counts are as of now, the rest inside the window."""
    by_key = {e.key: e for e in experiments}
    by_state = Counter(e.state for e in experiments)
    by_team: dict[str, Counter[str]] = defaultdict(Counter)
    service_teams: dict[str, set[str]] = defaultdict(set)
    for e in experiments:
        by_team[e.team][e.state] += 1
        for s in e.services:
            service_teams[s].add(e.team)
    owners = {s: frozenset(t) for s, t in service_teams.items()}
    approval = [
        (e.approved_at - e.created_at).total_seconds()
        for e in experiments
        if e.approved_at is not None and window.holds(e.approved_at)
    ]
    to_ga = [
        (e.ga_at - e.created_at).total_seconds()
        for e in experiments
        if e.ga_at is not None and window.holds(e.ga_at)
    ]
    proposed = [e for e in experiments if window.holds(e.created_at)]
    proposed_categories = Counter(e.category for e in proposed)
    deployed = [d for d in deployments if window.holds(d.finished_at)]
    of_experiments = [d for d in deployed if d.experiment in by_key]
    deployment_categories = Counter(by_key[str(d.experiment)].category for d in of_experiments)
    team_total: Counter[str] = Counter()
    team_innovation: Counter[str] = Counter()
    for d in deployed:
        for team in _teams_of(d, by_key, owners):
            team_total[team] += 1
            if d.experiment in by_key:
                team_innovation[team] += 1
    committed: dict[str, float] = defaultdict(float)
    for e in experiments:
        if e.budget is not None and e.state not in FINISHED:
            committed[e.budget[1]] += e.budget[0]
    bandwidth = {}
    for team in sorted(set(by_team) | set(team_total)):
        rate = Rate(team_innovation[team], team_total[team])
        value = rate.value
        bandwidth[team] = {
            **rate.to_dict(),
            "target": bandwidth_target,
            "meets_target": None if value is None else value >= bandwidth_target,
        }
    return {
        "from": window.start.isoformat(),
        "to": window.end.isoformat(),
        "experiments_by_state": dict(sorted(by_state.items())),
        "experiments_by_team": {t: dict(sorted(c.items())) for t, c in sorted(by_team.items())},
        "time_to_approval": summarize(approval).to_dict(),
        "time_to_general_availability": summarize(to_ga).to_dict(),
        "category_share_of_experiments": _share(proposed_categories, len(proposed)),
        "category_share_of_deployments": _share(deployment_categories, len(of_experiments)),
        "innovation_bandwidth": {
            "organisation": Rate(len(of_experiments), len(deployed)).to_dict(),
            "teams": bandwidth,
        },
        "budget_committed": dict(sorted(committed.items())),
        "not_computed": {
            "negative_result_rate": "needs outcome records (issue 16)",
            "budget_spent": "no spending is recorded yet",
        },
    }
