"""ASGI middleware: request ids, request size limits (checked before the body is read) and header
checks in one layer; and
the access log's redaction of query strings."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "EdgeMiddleware",
    "QueryRedactingFilter",
    "Refusal",
    "install_access_log_redaction",
    "redact_query",
]

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


# A request id needs to be unique, not secret: a random prefix per process (made again in a
# forked child) and a counter; one uuid4 per request read the OS's random source on the hot path.
class _RequestIds:
    def __init__(self) -> None:
        self.pid = 0
        self.prefix = ""
        self.counter = itertools.count(1)

    def new(self) -> str:
        if self.pid != os.getpid():
            self.pid, self.prefix = os.getpid(), uuid.uuid4().hex[:16]
            self.counter = itertools.count(1)
        return f"{self.prefix}{next(self.counter):016x}"


_new_request_id = _RequestIds().new


Refusal = Callable[[Scope, dict[bytes, bytes]], Awaitable["ASGIApp | None"]]


class EdgeMiddleware:
    """Everything a request meets first, in one layer (each ASGI layer costs every request a
    call and a ``send`` wrapper; benchmarks/server.py):

    * the request id: a well-formed ``X-Request-Id`` from the client or a new one, kept in
      ``scope["state"]["request_id"]`` and echoed on the response;
    * the body limit: bodies over ``max_bytes`` get 413 problem+json, whether declared by
      ``Content-Length`` (refused before the body is read) or streamed;
    * ``refusals``: checks on the headers that answer before the app does (the flag-scoped token
      guard), each returning the response to send, or None to let the request through.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, refusals: Sequence[Refusal] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refusals = tuple(refusals)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SAFE_ID.fullmatch(given) else _new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        id_header = (b"x-request-id", request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append(id_header)
            await send(message)

        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._reject(request_id, send_with_id)
            return
        for refusal in self.refusals:
            answer = await refusal(scope, headers)
            if answer is not None:
                await answer(scope, receive, send_with_id)
                return
        seen = 0
        too_large = started = False

        async def limited() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_large = True
                    raise _TooLarge
            return message

        async def send_unless_too_large(message: Message) -> None:
            # An app may catch the error (FastAPI answers "error parsing the body"); its
            # answer to a body it was not allowed to read is replaced by the 413.
            nonlocal started
            if not too_large:
                started = True
                await send_with_id(message)

        with contextlib.suppress(_TooLarge):  # answered below, in place
            await self.app(scope, limited, send_unless_too_large)
        if too_large and not started:
            await self._reject(request_id, send_with_id)

    async def _reject(self, request_id: str, send: Send) -> None:
        body: dict[str, Any] = {
            "type": "urn:sluicegate:problem:payload-too-large",
            "title": "PayloadTooLarge",
            "status": 413,
            "detail": f"the request body exceeds the limit of {self.max_bytes} bytes",
            "code": "payload-too-large",
            "hint": "Send a smaller document; SLUICE_MAX_BODY_BYTES sets the limit.",
            "request_id": request_id,
        }
        data = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(data)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})


class _TooLarge(Exception):
    pass


def redact_query(target: str) -> str:
    """``/path?a=1&b=2`` -> ``/path?a=[redacted]&b=[redacted]``: names stay, values go."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    names = [part.split("=", 1)[0][:64] for part in query.split("&") if part]
    return path + "?" + "&".join(f"{name}=[redacted]" for name in names)


class QueryRedactingFilter(logging.Filter):
    """Redact the query string of uvicorn's access log lines (``'%s - "%s %s HTTP/%s" %d'``,
    the target third): a token, a targeting key or an e-mail address sent as a query
    parameter never reaches the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def install_access_log_redaction() -> None:
    """Attach :class:`QueryRedactingFilter` to the ``uvicorn.access`` logger (once)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QueryRedactingFilter) for f in access.filters):
        access.addFilter(QueryRedactingFilter())
