"""VersionedCache: a value is served only at the version it was computed at."""

from __future__ import annotations

from sluicegate.service.cache import VersionedCache


def test_a_value_is_served_only_at_its_version() -> None:
    cache: VersionedCache[str] = VersionedCache()
    assert cache.get("w", 1) is None
    cache.put("w", 1, "linked@1")
    assert cache.get("w", 1) == "linked@1"
    assert cache.get("w", 2) is None  # the data moved on
    cache.put("w", 2, "linked@2")
    assert cache.get("w", 2) == "linked@2"


def test_an_older_computation_never_replaces_a_newer_one() -> None:
    cache: VersionedCache[str] = VersionedCache()
    cache.put("w", 5, "new")
    cache.put("w", 4, "old")  # a slow reader that started before the last write
    assert cache.get("w", 5) == "new"


def test_the_least_recently_used_key_goes_first() -> None:
    cache: VersionedCache[str] = VersionedCache(max_entries=2)
    cache.put("a", 1, "A")
    cache.put("b", 1, "B")
    assert cache.get("a", 1) == "A"  # a is now the most recently used
    cache.put("c", 1, "C")
    assert len(cache) == 2
    assert cache.get("b", 1) is None
    assert cache.get("a", 1) == "A"
    assert cache.get("c", 1) == "C"
