"""Demo data for ``make run``: teams, users and experiments in several stages, with history.

Everything goes through the ordinary use cases, so the demo's audit ledger is a real one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sluicegate.domain.access.identity import Principal, ReviewerDomain, Role
from sluicegate.service import experiments
from sluicegate.service.access import identity
from sluicegate.service.access.ports import UserRecord
from sluicegate.service.context import Deps, RequestContext
from sluicegate.service.delivery.history import generate

__all__ = [
    "DEMO_SLOS",
    "STEP_SECONDS",
    "demo_round",
    "load_demo",
    "load_history",
    "load_slos",
    "round_finished",
]

_USERS: list[tuple[str, str, Role, list[ReviewerDomain], list[str]]] = [
    ("alice", "Alice Contributor", Role.CONTRIBUTOR, [], ["payments"]),
    ("mallory", "Mallory Search", Role.CONTRIBUTOR, [], ["search"]),
    (
        "bob",
        "Bob Security",
        Role.REVIEWER,
        [ReviewerDomain.SECURITY, ReviewerDomain.COMPLIANCE],
        [],
    ),
    (
        "carol",
        "Carol Operations",
        Role.REVIEWER,
        [ReviewerDomain.OPERATIONS, ReviewerDomain.PRODUCT],
        ["platform"],
    ),
    ("dave", "Dave Architect", Role.REVIEWER, [ReviewerDomain.ARCHITECTURE], []),
    ("erin", "Erin Viewer", Role.VIEWER, [], []),
]


def _proposal(
    key: str, title: str, team: str, risk: tuple[str, str, str], **extra: Any
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "key": key,
        "title": title,
        "summary": f"{title} for a segment of users.",
        "hypothesis": f"{title} improves the target KPI without raising errors.",
        "kind": "feature",
        "category": "greenfield",
        "owner_team": team,
        "services": [key.split("-", maxsplit=1)[0]],
        "risk": {
            "data_classification": risk[0],
            "user_impact": risk[1],
            "system_criticality": risk[2],
        },
        "rollback_plan": {
            "steps": [f"Set the {key} flag to off", "Confirm error rate is back to baseline"],
            "automated": True,
            "expected_minutes": 5,
        },
        "success_criteria": [{"metric": "conversion_rate", "target": "+2%"}],
        "links": {"ticket": f"https://tracker.example/{key.upper()}"},
    }
    doc.update(extra)
    return doc


def _ctx(user: UserRecord) -> RequestContext:
    return RequestContext(
        Principal(
            user.id,
            user.username,
            user.role,
            domains=user.domains,
            teams=user.teams,
        ),
        request_id="demo-seed",
    )


def _sign_all(deps: Deps, reviewers: dict[str, RequestContext], key: str) -> None:
    exp, approvals = experiments.get(deps, reviewers["bob"], key)
    for domain in experiments.missing_signoffs(exp, approvals):
        who = next(
            name
            for name, ctx in reviewers.items()
            if ReviewerDomain(domain) in ctx.principal.domains
        )
        experiments.approve(deps, reviewers[who], key, domain, "looks good (demo)")


def load_demo(deps: Deps, admin: RequestContext) -> list[str]:
    """Create the demo organisation; returns the experiment keys."""
    for key, name in (("payments", "Payments"), ("search", "Search"), ("platform", "Platform")):
        identity.create_team(deps, admin, key, name)
    users = {
        username: identity.create_user(
            deps, admin, username, display, role, frozenset(domains), teams
        )
        for username, display, role, domains, teams in _USERS
    }
    # The admin holds every domain; count them as reviewers for the demo's missing domains.
    reviewers = {name: _ctx(users[name]) for name in ("bob", "carol", "dave")}
    reviewers["admin"] = admin
    alice, mallory = _ctx(users["alice"]), _ctx(users["mallory"])
    soon = deps.clock.now() + timedelta(days=90)

    experiments.propose(
        deps,
        alice,
        _proposal(
            "checkout-redesign",
            "Checkout redesign",
            "payments",
            ("internal", "segment", "high"),
            budget={"amount": 5000, "currency": "EUR"},
            expires_at=soon.isoformat(),
            priority={"value": 5, "strategic_fit": 4, "cost": 2, "time_to_learn": 2},
        ),
    )
    _sign_all(deps, reviewers, "checkout-redesign")
    for state in ("approved", "sandbox", "staging"):
        experiments.transition(deps, alice, "checkout-redesign", state)

    experiments.propose(
        deps,
        mallory,
        _proposal(
            "search-ranking-v2",
            "Search ranking v2",
            "search",
            ("confidential", "all", "medium"),
            priority={"value": 4, "strategic_fit": 5, "cost": 3, "time_to_learn": 3},
        ),
    )
    experiments.approve(deps, reviewers["carol"], "search-ranking-v2", "product", "worth a try")

    experiments.propose(
        deps,
        alice,
        _proposal(
            "payments-ci-cache",
            "CI cache trial for payments",
            "payments",
            ("public", "none", "low"),
            kind="tool-trial",
            category="tech-debt",
            budget={"amount": 800, "currency": "EUR"},
        ),
    )
    _sign_all(deps, reviewers, "payments-ci-cache")
    for state in ("approved", "sandbox", "staging", "canary", "rollout", "general-availability"):
        experiments.transition(deps, alice, "payments-ci-cache", state)

    experiments.propose(
        deps,
        alice,
        _proposal(
            "payments-pii-export",
            "Export card holder data to analytics",
            "payments",
            ("restricted-pii", "all", "mission-critical"),
        ),
    )
    experiments.transition(
        deps,
        reviewers["bob"],
        "payments-pii-export",
        "rejected",
        reason="Restricted PII may not leave the compliant environment.",
    )

    experiments.propose(
        deps,
        mallory,
        _proposal(
            "search-semantic",
            "Semantic search results",
            "search",
            ("internal", "segment", "medium"),
            priority={"value": 4, "strategic_fit": 4, "cost": 3, "time_to_learn": 2},
        ),
    )
    _sign_all(deps, reviewers, "search-semantic")
    for state in ("approved", "sandbox", "staging", "canary"):
        experiments.transition(deps, mallory, "search-semantic", state)

    experiments.propose(
        deps,
        mallory,
        _proposal(
            "search-typeahead",
            "Typeahead suggestions",
            "search",
            ("internal", "internal", "low"),
            expires_at=(deps.clock.now() + timedelta(seconds=1)).isoformat(),
        ),
    )
    load_history(deps, admin)
    load_slos(deps, admin)
    return [
        "checkout-redesign",
        "search-ranking-v2",
        "search-semantic",
        "payments-ci-cache",
        "payments-pii-export",
        "search-typeahead",
    ]


def _demo_analysis(multiplier: float, seed: int) -> dict[str, Any]:
    """An analysis over the seeded simulator (``canary_error_multiplier`` > 1: a bad canary)."""
    return {
        "intervals": 3,
        "source": {
            "kind": "simulated",
            "seed": seed,
            "interval_seconds": 1,
            "requests_per_interval": 4000,
            "canary_error_multiplier": multiplier,
        },
        "queries": {"metrics": {"latency": "latency"}},
        "judge": {"metrics": [{"name": "latency", "allowed_increase_pct": 10}]},
    }


#: Seconds each ramp step holds, so that a newcomer watching sees every weight.
STEP_SECONDS = 15


def _bad_canary_experiment(deps: Deps, admin: RequestContext, round_no: int) -> str:
    """The search experiment in canary that this round's failing canary belongs to.

    Round 1 uses ``search-semantic``, which the demo data left in canary. A rollback ends its
    experiment (rolled-back), so every later round proposes ``search-semantic-N``, signs it off
    and moves it to canary through the ordinary use cases, as a team would.
    """
    if round_no == 1:
        return "search-semantic"
    key = f"search-semantic-{round_no}"
    users = {u.username: u for u in identity.list_users(deps, admin)}
    mallory = _ctx(users["mallory"])
    reviewers: dict[str, RequestContext] = {
        name: _ctx(users[name]) for name in ("bob", "carol", "dave") if name in users
    }
    reviewers["admin"] = admin
    experiments.propose(
        deps,
        mallory,
        _proposal(
            key,
            f"Semantic search, attempt {round_no}",
            "search",
            ("internal", "segment", "medium"),
            expires_at=(deps.clock.now() + timedelta(days=30)).isoformat(),
        ),
    )
    _sign_all(deps, reviewers, key)
    for state in ("approved", "sandbox", "staging", "canary"):
        experiments.transition(deps, mallory, key, state)
    return key


def demo_round(deps: Deps, admin: RequestContext, round_no: int) -> list[str]:
    """One round of the rollout demo, moved by the in-process controller (docs/rollouts.md,
    "The demo"): a healthy canary of ``checkout-redesign`` ramping 1 -> 5 -> 25 -> 50 -> 100 %
    with an analysis, and a canary with five times the errors that rolls itself back. Each step
    holds :data:`STEP_SECONDS`. Returns the started rollouts' ids (healthy, failing)."""
    from sluicegate.service import rollouts

    hold = {"pause": {"seconds": STEP_SECONDS}}
    good = rollouts.create(
        deps,
        admin,
        {
            "experiment": "checkout-redesign",
            "name": f"checkout canary (healthy, round {round_no})",
            "plan": {
                # checkout-redesign is in staging, so its canary runs there (production opens
                # at the canary stage: docs/rollouts.md, "Who may start a rollout").
                "target": {"kind": "deployment", "service": "checkout", "environment": "staging"},
                "steps": [
                    {"weight": 1},
                    hold,
                    {"weight": 5},
                    hold,
                    {"weight": 25},
                    {"analysis": _demo_analysis(1.0, seed=7 + 2 * round_no)},
                    {"weight": 50},
                    hold,
                    {"weight": 100},
                ],
            },
        },
    )
    bad = rollouts.create(
        deps,
        admin,
        {
            "experiment": _bad_canary_experiment(deps, admin, round_no),
            "name": f"semantic search canary (5x errors, round {round_no})",
            "plan": {
                "target": {"kind": "deployment", "service": "search"},
                "steps": [
                    {"weight": 5},
                    hold,
                    {"weight": 25},
                    {"analysis": _demo_analysis(5.0, seed=8 + 2 * round_no)},
                    {"weight": 100},
                ],
            },
        },
    )
    for rollout in (good, bad):
        rollouts.start(deps, admin, rollout.id)
    return [good.id, bad.id]


def round_finished(deps: Deps, admin: RequestContext, rollout_ids: list[str]) -> bool:
    """Whether every rollout of a round has ended (succeeded, rolled back or aborted)."""
    from sluicegate.domain.rollouts import FINAL
    from sluicegate.service import rollouts

    return all(rollouts.get(deps, admin, rid).status in FINAL for rid in rollout_ids)


#: The services of the demo's experiments, and the experiments that deploy to them.
_DELIVERY = {
    "checkout": ("checkout-redesign",),
    "payments": ("payments-ci-cache",),
    "search": ("search-semantic",),
}


def load_history(deps: Deps, admin: RequestContext, *, days: int = 365) -> dict[str, int]:
    """A year of delivery history for the demo's services, through the ordinary use cases.

    The same clock gives the same history (service/delivery/history.py); ``sluice dora show``
    and ``sluice kpi show`` then have something to show. Returns the counts stored.
    """
    from sluicegate.service import delivery

    made = generate(sorted(_DELIVERY), deps.clock.now(), days=days, experiments=_DELIVERY)
    for change in made.changes:
        delivery.record_change(deps, admin, change)
    for deployment in made.deployments:
        delivery.record_deployment(deps, admin, deployment)
    for incident in made.incidents:
        delivery.record_incident(deps, admin, incident)
    return {
        "changes": len(made.changes),
        "deployments": len(made.deployments),
        "incidents": len(made.incidents),
    }


#: the demo's SLO files (copies of examples/slo/, shipped with the package)
DEMO_SLOS = ("slo-checkout.yaml", "slo-search.yaml")


def load_slos(deps: Deps, admin: RequestContext) -> list[dict[str, Any]]:
    """Apply the demo's SLOs (checkout in OpenSLO, search in Sloth's format): a re-run is a
    no-op, as for any SLO applied twice."""
    from importlib.resources import files

    from sluicegate.service import slo

    folder = files("sluicegate") / "resources" / "demo"
    applied: list[dict[str, Any]] = []
    for name in DEMO_SLOS:
        text = (folder / name).read_text(encoding="utf-8")
        applied += slo.apply_slos(deps, admin, text, filename=name)
    return applied
