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

__all__ = ["load_demo"]

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


def load_rollout_demo(deps: Deps, admin: RequestContext) -> list[str]:
    """Two rollouts the in-process controller moves while you watch (docs/rollouts.md, "Demo"):
    a healthy canary ramping 1 -> 5 -> 25 -> 50 -> 100 %, and a bad one that rolls itself back.
    Returns their ids (good, bad)."""
    from sluicegate.service import rollouts

    good = rollouts.create(
        deps,
        admin,
        {
            "experiment": "checkout-redesign",
            "name": "checkout canary (healthy)",
            "plan": {
                # checkout-redesign is in staging, so its canary runs there (production opens
                # at the canary stage: docs/rollouts.md, "Who may start a rollout").
                "target": {"kind": "deployment", "service": "checkout", "environment": "staging"},
                "analysis": _demo_analysis(1.0, seed=7),
            },
        },
    )
    bad = rollouts.create(
        deps,
        admin,
        {
            "experiment": "search-semantic",
            "name": "semantic search canary (5x errors)",
            "plan": {
                "target": {"kind": "deployment", "service": "search"},
                "steps": [
                    {"weight": 5},
                    {"pause": {"seconds": 20}},
                    {"weight": 25},
                    {"analysis": _demo_analysis(5.0, seed=8)},
                    {"weight": 100},
                ],
            },
        },
    )
    for rollout in (good, bad):
        rollouts.start(deps, admin, rollout.id)
    return [good.id, bad.id]
