"""The per-process token cache (service/cache.py): lifetime, clearing, the race with a write."""

from __future__ import annotations

from sluicegate.service.cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lives_ttl_seconds() -> None:
    clock = Clock()
    cache: TtlCache[str] = TtlCache(1.0, clock=clock)
    cache.put("k", "v", cache.generation())
    clock.now += 0.99
    assert cache.get("k") == "v"
    clock.now += 0.01
    assert cache.get("k") is None
    assert len(cache) == 0


def test_clear_drops_everything() -> None:
    cache: TtlCache[str] = TtlCache(60.0)
    cache.put("a", "1", cache.generation())
    cache.put("b", "2", cache.generation())
    cache.clear()
    assert cache.get("a") is None
    assert cache.get("b") is None


def test_a_lookup_that_raced_a_write_is_not_stored() -> None:
    cache: TtlCache[str] = TtlCache(60.0)
    before = cache.generation()  # a reader starts its lookup
    cache.clear()  # a write commits meanwhile
    cache.put("k", "read before the write", before)
    assert cache.get("k") is None
    cache.put("k", "fresh", cache.generation())
    assert cache.get("k") == "fresh"


def test_zero_ttl_caches_nothing() -> None:
    cache: TtlCache[str] = TtlCache(0.0)
    assert not cache.enabled
    cache.put("k", "v", cache.generation())
    assert cache.get("k") is None


def test_the_oldest_entry_gives_way_at_the_cap() -> None:
    cache: TtlCache[int] = TtlCache(60.0, max_entries=3)
    for i in range(4):
        cache.put(i, i, cache.generation())
    assert cache.get(0) is None
    assert [cache.get(i) for i in (1, 2, 3)] == [1, 2, 3]
