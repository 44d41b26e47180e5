"""api/singleflight.py: concurrent misses of one key share one lookup (its result or its error),
a caller that goes away does not cancel it for the others, and nothing outlives the lookup."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI

from sluicegate.api.singleflight import single_flight


def test_concurrent_callers_share_one_lookup_and_the_next_call_looks_up_again() -> None:
    app = FastAPI()
    calls = 0

    async def lookup() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return calls

    async def main() -> list[int]:
        first = await asyncio.gather(*(single_flight(app, "k", lookup) for _ in range(20)))
        other = await single_flight(app, "other", lookup)
        again = await single_flight(app, "k", lookup)
        return [*first, other, again]

    results = asyncio.run(main())
    assert results[:20] == [1] * 20
    assert results[20:] == [2, 3]
    assert app.state.flights == {}


def test_an_error_reaches_every_caller() -> None:
    app = FastAPI()

    async def lookup() -> int:
        await asyncio.sleep(0.01)
        raise LookupError("no such token")

    async def main() -> list[BaseException | int]:
        return await asyncio.gather(
            *(single_flight(app, "k", lookup) for _ in range(5)), return_exceptions=True
        )

    results = asyncio.run(main())
    assert all(isinstance(r, LookupError) for r in results)
    assert app.state.flights == {}


def test_a_cancelled_caller_does_not_cancel_the_lookup_for_the_others() -> None:
    app = FastAPI()

    async def lookup() -> str:
        await asyncio.sleep(0.05)
        return "principal"

    async def main() -> str:
        first = asyncio.ensure_future(single_flight(app, "k", lookup))
        await asyncio.sleep(0)
        second = asyncio.ensure_future(single_flight(app, "k", lookup))
        await asyncio.sleep(0.01)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        return await second

    assert asyncio.run(main()) == "principal"
