"""Narrow repository reads used on hot paths, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.support.app import Harness


def test_settings_get_many_returns_only_the_keys_that_are_set(harness: Harness) -> None:
    deps = harness.container.deps
    when = harness.clock.now()
    with deps.uow() as uow:
        uow.settings.put("review_board", {"members": ["bob"], "quorum": 1}, when)
        uow.settings.put("environments", {"production": {"timezone": "Europe/Paris"}}, when)
        uow.settings.put("unrelated", [1, 2], when)
    with deps.uow() as uow:
        got = uow.settings.get_many(("review_board", "environments", "missing"))
        assert got == {
            "review_board": {"members": ["bob"], "quorum": 1},
            "environments": {"production": {"timezone": "Europe/Paris"}},
        }
        assert got["review_board"] == uow.settings.get("review_board")
        assert uow.settings.get_many(()) == {}


def test_username_of(harness: Harness) -> None:
    with harness.container.deps.uow() as uow:
        alice = uow.users.get_by_username("alice")
        assert alice is not None
        assert uow.users.username_of(alice.id) == "alice"
        assert uow.users.username_of("no-such-id") is None
