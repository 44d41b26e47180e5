"""Fixtures of the CLI unit tests: the real ``sluice`` app and Client over a :class:`FakeApi`."""

from __future__ import annotations

import pytest
from tests.unit.cli.support import Cli, FakeApi

from sluicegate.cli import common
from sluicegate.cli.client import Client


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Cli:
    api = FakeApi()

    def client() -> Client:
        c = Client("http://sluice.test", "sg_test")
        c._http = api
        return c

    monkeypatch.setattr(common, "from_env", client)
    monkeypatch.setenv("COLUMNS", "200")
    return Cli(api)
