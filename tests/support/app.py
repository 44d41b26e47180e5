"""Helpers to build a Sluicegate container and API client on a given database for tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from sluicegate.api.app import create_app
from sluicegate.bootstrap import Container, Settings, build, prepare
from sluicegate.domain.access.identity import ReviewerDomain, Role
from sluicegate.service.access import identity
from sluicegate.service.context import RequestContext
from tests.support import templates

__all__ = [
    "EXAMPLE_PROPOSAL",
    "USERS",
    "FakeClock",
    "Harness",
    "make_harness",
    "open_seeded",
    "seed",
    "seed_and_close",
]

EXAMPLE_PROPOSAL = """\
key: checkout-redesign
title: Checkout redesign
summary: Try a one-page checkout for a segment of users.
hypothesis: A one-page checkout raises conversion by 2% without raising errors.
kind: feature                # feature | tool-trial | deployment-pattern | infrastructure | process
category: greenfield         # greenfield | tech-debt
owner_team: payments
services: [checkout]
risk:
  data_classification: internal   # public | internal | confidential | restricted-pii
  user_impact: segment             # none | internal | segment | all
  system_criticality: high         # low | medium | high | mission-critical
rollback_plan:
  steps: [Set the checkout-redesign flag to off, Confirm the error rate is back to baseline]
  automated: true
  expected_minutes: 5
success_criteria:
  - metric: conversion_rate
    target: "+2%"
budget: {amount: 5000, currency: EUR}
expires_at: "2027-06-30T00:00:00Z"
links: {ticket: "https://tracker.example/PAY-123"}
"""


@dataclass
class FakeClock:
    moment: datetime = field(default_factory=lambda: datetime(2026, 11, 21, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.moment

    def advance(self, **kwargs: float) -> None:
        self.moment += timedelta(**kwargs)


@dataclass
class Harness:
    container: Container
    client: TestClient
    clock: FakeClock
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.tokens[who]}"}

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers(who), **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def counts(self) -> dict[str, int]:
        """Row counts of every table, to prove that refused input changed nothing."""
        from sqlalchemy import func, select

        from sluicegate.adapters.db.tables import metadata

        with self.container.engine.connect() as conn:
            return {
                t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in metadata.sorted_tables
            }

    def close(self) -> None:
        self.client.close()
        self.container.close()


USERS: list[tuple[str, Role, list[ReviewerDomain], list[str]]] = [
    ("alice", Role.CONTRIBUTOR, [], ["payments"]),
    ("zoe", Role.CONTRIBUTOR, [], ["search"]),
    ("bob", Role.REVIEWER, [ReviewerDomain.SECURITY, ReviewerDomain.COMPLIANCE], []),
    ("carol", Role.REVIEWER, [ReviewerDomain.OPERATIONS, ReviewerDomain.PRODUCT], ["payments"]),
    ("dave", Role.REVIEWER, [ReviewerDomain.ARCHITECTURE], []),
    ("erin", Role.VIEWER, [], []),
]


def make_harness(home: Path, url: str, *, checkpoint_every: int = 1000) -> Harness:
    """A container and API client on ``url``, holding the admin, the two teams and ``USERS``."""
    container, clock, tokens = open_seeded(home, url, checkpoint_every=checkpoint_every)
    client = TestClient(create_app(container, run_jobs=False))
    return Harness(container, client, clock, tokens)


def open_seeded(
    home: Path, url: str, *, checkpoint_every: int = 1000
) -> tuple[Container, FakeClock, dict[str, str]]:
    """A container on ``url`` (home ``home``) seeded by :func:`seed`; the token secrets by user.

    A fresh database (a SQLite file that does not exist yet, an empty PostgreSQL database) is
    filled from a template that :mod:`tests.support.templates` seeds once per process the slow
    way and copies per call, together with the template's audit signing key; anything else is
    seeded here. Either way the caller gets its own database and home in the same starting state.
    """
    clock = FakeClock()
    settings = Settings(home=home, database_url=url, checkpoint_every=checkpoint_every)
    tokens = templates.restore(settings, seed_and_close)
    if tokens is None:
        container, tokens = seed(settings, clock)
    else:
        # The copy is already migrated and its signing key registered, so prepare() would only
        # find nothing to do; build() makes the same container without the no-op migration.
        container = build(settings, clock=clock)
    return container, clock, tokens


def seed(settings: Settings, clock: FakeClock) -> tuple[Container, dict[str, str]]:
    """Migrate, create the signing key, the admin, the teams and ``USERS`` with one token each."""
    container = prepare(settings, clock=clock)
    deps = container.deps
    _, issued = identity.init_admin(deps, "admin", "Admin")
    tokens = {"admin": issued.secret}
    admin_ctx = RequestContext(identity.authenticate(deps, issued.secret))
    for key in ("payments", "search"):
        identity.create_team(deps, admin_ctx, key, key.title())
    for username, role, domains, teams in USERS:
        identity.create_user(
            deps, admin_ctx, username, username.title(), role, frozenset(domains), teams
        )
        # a local token (as `sluice demo` issues): no parent and no expiry, so that tests may move
        # the clock by years without the directory's tokens running out
        tokens[username] = identity.issue_local_token(deps, username, "test").secret
    return container, tokens


def seed_and_close(settings: Settings) -> dict[str, str]:
    """Seed ``settings``' database and home (for a template) and close the container."""
    container, tokens = seed(settings, FakeClock())
    container.close()
    return tokens
