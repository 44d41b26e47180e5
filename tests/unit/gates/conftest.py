"""Fixtures of the gate engine tests (builders live in support.py)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest


@pytest.fixture
def ids() -> Callable[[], str]:
    counter: Iterator[int] = itertools.count(1)
    return lambda: f"dec_{next(counter):04d}"
