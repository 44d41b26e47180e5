"""The HTTP client behind the CLI's client commands (``SLUICE_URL`` and ``SLUICE_TOKEN``).

It speaks HTTP with the standard library (``urllib.request``, which honours the usual proxy
variables), not httpx: importing httpx also imports its own command line (click, pygments,
rich.progress), about a tenth of a second that every ``sluice`` command would pay before it
sends anything (``benchmarks/cli_startup.py``). :class:`Client` needs of its transport only
``request(method, path, params=, json=, content=, headers=)`` and ``stream(method, path)``
returning responses with ``status_code``, ``reason_phrase``, ``headers``, ``json()``, ``text``,
``read()`` and ``iter_lines()``, which an ``httpx.Client`` (e.g. FastAPI's TestClient) offers too.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import math
import os
import time
from collections.abc import Iterator, Mapping
from typing import IO, Any

from sluicegate.cli.exits import ExitCode, exit_code_for
from sluicegate.cli.output import CliError

#: how often ``send`` waits out a 429 before it reports it
RATE_LIMIT_RETRIES = 20


def _retry_after(header: str | None) -> float:
    try:
        seconds = float(header) if header else 1.0
    except ValueError:
        seconds = 1.0
    if not math.isfinite(seconds):
        seconds = 1.0
    return min(max(seconds, 0.1), 30.0)


__all__ = ["Client", "TransportError", "from_env"]

DEFAULT_URL = "http://127.0.0.1:8080"


class TransportError(Exception):
    """The server could not be reached or broke the connection (no HTTP response)."""


class Response:
    """One HTTP response: status, headers (lower-case names) and the body or a line stream."""

    def __init__(
        self,
        status_code: int,
        reason_phrase: str,
        headers: Mapping[str, str],
        body: bytes | None = None,
        stream: IO[bytes] | None = None,
    ) -> None:
        self.status_code = status_code
        self.reason_phrase = reason_phrase
        self.headers = {k.lower(): v for k, v in headers.items()}
        self._body = body
        self._stream = stream

    def read(self) -> bytes:
        if self._body is None:
            assert self._stream is not None
            try:
                self._body = self._stream.read()
            except (OSError, ValueError) as exc:
                raise TransportError(str(exc)) from exc
        return self._body

    @property
    def text(self) -> str:
        return self.read().decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.read())

    def iter_lines(self) -> Iterator[str]:
        if self._stream is None:
            yield from self.text.splitlines()
            return
        try:
            for raw in self._stream:
                yield raw.decode("utf-8").rstrip("\r\n")
        except (OSError, ValueError) as exc:
            raise TransportError(str(exc)) from exc


def _query(params: Mapping[str, Any] | None) -> str:
    from urllib.parse import urlencode

    if not params:
        return ""
    shown = {
        k: ("true" if v else "false") if isinstance(v, bool) else v
        for k, v in params.items()
        if v is not None
    }
    return "?" + urlencode(shown) if shown else ""


class StdlibTransport:
    """HTTP/1.1 with ``urllib.request``: one request per call, errors as :class:`TransportError`."""

    def __init__(self, base_url: str, headers: Mapping[str, str], timeout: float) -> None:
        import urllib.request

        self.base_url = base_url
        self.headers = dict(headers)
        self.timeout = timeout
        self._opener = urllib.request.build_opener()

    def close(self) -> None:
        self._opener.close()

    def _open(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        content: bytes | None,
        headers: Mapping[str, str] | None,
    ) -> Any:
        import http.client
        import urllib.error
        import urllib.request

        merged = {**self.headers, **(headers or {})}
        data = content
        if json is not None:
            data = jsonlib.dumps(json).encode("utf-8")
            merged.setdefault("content-type", "application/json")
        if data is None and method in {"POST", "PUT", "PATCH"}:
            data = b""
        # The scheme is http or https: Client checks SLUICE_URL before any request is made.
        req = urllib.request.Request(  # noqa: S310
            self.base_url + path + _query(params), data=data, headers=merged, method=method
        )
        try:
            return self._opener.open(req, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            return exc  # a response with a 4xx/5xx status: the caller reads its problem
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransportError(str(reason)) from exc

    @staticmethod
    def _response(raw: Any, stream: bool) -> Response:
        status = int(getattr(raw, "status", None) or raw.code)
        reason = str(getattr(raw, "reason", "") or "")
        headers = dict(raw.headers.items()) if raw.headers is not None else {}
        if stream:
            return Response(status, reason, headers, stream=raw)
        try:
            body = raw.read()
        except (OSError, ValueError) as exc:
            raise TransportError(str(exc)) from exc
        finally:
            raw.close()
        return Response(status, reason, headers, body=body)

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
        raw = self._open(method, path, params, json, content, headers)
        return self._response(raw, stream=False)

    @contextlib.contextmanager
    def stream(self, method: str, path: str) -> Iterator[Response]:
        raw = self._open(method, path, None, None, None, None)
        try:
            yield self._response(raw, stream=True)
        finally:
            raw.close()


class Client:
    def __init__(self, url: str, token: str | None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        if not self.url.lower().startswith(("http://", "https://")):
            raise CliError(
                f"SLUICE_URL must be an http:// or https:// URL, not {url!r}",
                ExitCode.USAGE,
                hint="e.g. SLUICE_URL=http://127.0.0.1:8080",
            )
        headers = {"user-agent": "sluice-cli"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        self._http: Any = StdlibTransport(self.url, headers, timeout)

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.send(method, path, **kwargs)[1]

    def send(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        """``request``, with the status code (201 stored, 200 already stored, ...).

        A 429 is waited out (its Retry-After, at most 30 s a time) and sent again, up to
        :data:`RATE_LIMIT_RETRIES` times: a backfill slows to the server's ingest rate.
        """
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                response = self._http.request(method, path, **kwargs)
            except TransportError as exc:
                raise CliError(
                    f"cannot reach Sluicegate at {self.url}: {exc}",
                    ExitCode.UNEXPECTED,
                    hint="Is the server running (`sluice serve`)? SLUICE_URL names it.",
                ) from exc
            if response.status_code != 429 or attempt == RATE_LIMIT_RETRIES:
                break
            time.sleep(_retry_after(response.headers.get("retry-after")))
        if response.status_code >= 400:
            raise _problem(response)
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.status_code, response.json()
        return response.status_code, response.text

    def stream_lines(self, path: str) -> Iterator[str]:
        try:
            with self._http.stream("GET", path) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _problem(response)
                yield from response.iter_lines()
        except TransportError as exc:
            raise CliError(
                f"cannot reach Sluicegate at {self.url}: {exc}", ExitCode.UNEXPECTED
            ) from exc


def _problem(response: Any) -> CliError:
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
