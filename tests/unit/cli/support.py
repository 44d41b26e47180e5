"""An in-process stand-in for the Sluicegate API, behind the CLI's real Client (unit tests only).

``FakeApi`` answers (method, path) with canned JSON bodies or problem documents, and records
every request, so that a command's output and exit code can be checked without a server. The
e2e tests (tests/e2e/) run the same commands against a real ``sluice serve``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from typer.testing import CliRunner, Result

from sluicegate.cli.client import Response
from sluicegate.cli.main import app

__all__ = ["Cli", "FakeApi", "problem"]


def problem(status: int, code: str, detail: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    return status, {"type": "about:blank", "title": code, "code": code, "detail": detail, **extra}


@dataclass
class FakeApi:
    routes: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def on(self, method: str, path: str, body: Any, status: int = 200) -> None:
        self.routes[(method, path)] = (status, body)

    def fail(
        self, method: str, path: str, status: int, code: str, detail: str, **extra: Any
    ) -> None:
        self.routes[(method, path)] = problem(status, code, detail, **extra)

    def request(self, method: str, path: str, **kwargs: Any) -> Response:
        self.calls.append((method, path, kwargs))
        status, body = self.routes.get((method, path), (404, {"code": "not-found", "detail": path}))
        ctype = "application/problem+json" if status >= 400 else "application/json"
        if isinstance(body, str):
            return Response(status, "", {"content-type": "text/plain"}, body=body.encode())
        return Response(status, "", {"content-type": ctype}, body=json.dumps(body).encode())

    @contextlib.contextmanager
    def stream(self, method: str, path: str) -> Iterator[Response]:
        yield self.request(method, path)

    def close(self) -> None:
        pass


class Cli:
    def __init__(self, api: FakeApi) -> None:
        self.api = api
        self.runner = CliRunner()

    def __call__(self, *args: str, env: Mapping[str, str] | None = None) -> Result:
        return self.runner.invoke(app, list(args), env=dict(env or {}))
