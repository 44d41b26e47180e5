"""The HTTP client behind the CLI's client commands (``SLUICE_URL`` and ``SLUICE_TOKEN``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx

from sluicegate.cli.exits import ExitCode, exit_code_for
from sluicegate.cli.output import CliError

__all__ = ["Client", "from_env"]

DEFAULT_URL = "http://127.0.0.1:8080"


class Client:
    def __init__(self, url: str, token: str | None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        headers = {"user-agent": "sluice-cli"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise CliError(
                f"cannot reach Sluicegate at {self.url}: {exc}",
                ExitCode.UNEXPECTED,
                hint="Is the server running (`sluice serve`)? SLUICE_URL names it.",
            ) from exc
        if response.status_code >= 400:
            raise _problem(response)
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    def stream_lines(self, path: str) -> Iterator[str]:
        try:
            with self._http.stream("GET", path) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _problem(response)
                yield from response.iter_lines()
        except httpx.TransportError as exc:
            raise CliError(
                f"cannot reach Sluicegate at {self.url}: {exc}", ExitCode.UNEXPECTED
            ) from exc


def _problem(response: httpx.Response) -> CliError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("code", f"http-{response.status_code}"))
    details = [f"{e.get('field')}: {e.get('reason')}" for e in body.get("errors", []) or []]
    if body.get("allowed") is not None:
        details.append("allowed transitions: " + (", ".join(body["allowed"]) or "none"))
    exit_code = exit_code_for(code)
    if exit_code is ExitCode.UNEXPECTED and 400 <= response.status_code < 500:
        exit_code = {404: ExitCode.NOT_FOUND, 409: ExitCode.CONFLICT}.get(
            response.status_code, ExitCode.USAGE
        )
    return CliError(
        str(body.get("detail") or response.reason_phrase),
        exit_code,
        hint=str(body.get("hint", "")),
        code=code,
        details=details,
        body=body or None,
    )


def from_env() -> Client:
    token = os.environ.get("SLUICE_TOKEN")
    return Client(os.environ.get("SLUICE_URL", DEFAULT_URL), token)
