"""The real ``sluice`` commands against the real API app in-process: the CLI's Client sends its
requests through the harness's TestClient instead of a socket, so a test runs a command as a
user does and the server's own routes, services and database answer (no canned bodies)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from sluicegate.cli import common
from sluicegate.cli.client import Client, Response
from sluicegate.cli.main import app
from tests.support.app import Harness

__all__ = ["AppCli"]


class _AppTransport:
    """The CLI transport's interface (request, stream, close) over a TestClient."""

    def __init__(self, harness: Harness, who: str) -> None:
        self._h, self._who = harness, who

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        r = self._h.call(
            self._who,
            method,
            path,
            params=dict(params or {}),
            json=json,
            content=content,
            headers=dict(headers or {}),
        )
        return Response(r.status_code, r.reason_phrase, dict(r.headers), body=r.content)

    @contextlib.contextmanager
    def stream(self, method: str, path: str) -> Iterator[Response]:
        yield self.request(method, path)

    def close(self) -> None:
        pass


class AppCli:
    """``cli("rollout", "status", rid, who="bob")`` runs ``sluice rollout status RID`` as bob."""

    def __init__(self, harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
        self.harness = harness
        self.runner = CliRunner()
        self._who = "alice"

        def client() -> Client:
            c = Client("http://sluice.test", "unused")
            c._http = _AppTransport(harness, self._who)
            return c

        monkeypatch.setattr(common, "from_env", client)
        monkeypatch.setenv("COLUMNS", "200")

    def __call__(self, *args: str, who: str = "alice") -> Result:
        self._who = who
        return self.runner.invoke(app, list(args), env={"COLUMNS": "200"})
