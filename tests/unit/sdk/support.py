"""SDK test support: a real sync-protocol HTTP server on 127.0.0.1 and provider event recording."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from openfeature.event import EventDetails, ProviderEvent

if TYPE_CHECKING:
    from sluicegate.sdk import SluicegateProvider

TOKEN = "s3cr3t-token-value"
FLAG_SET = "checkout"
SYNC_PREFIX = "/api/v1/sync/flag-sets/"
ProviderFactory = Callable[..., "SluicegateProvider"]
WAIT = 10.0  # generous upper bound for anything asynchronous; tests never sleep blindly


def flag(variants: dict[str, Any], default: str | None, **extra: Any) -> dict[str, Any]:
    return {"state": "ENABLED", "variants": variants, "defaultVariant": default, **extra}


def base_flags() -> dict[str, Any]:
    """One flagd document exercising all five value types, targeting and fractional rollout."""
    return {
        "flags": {
            "new-checkout": flag({"on": True, "off": False}, "on"),
            "banner": flag({"blue": "blue", "red": "red"}, "blue"),
            "max-items": flag({"small": 5, "large": 50}, "small"),
            "discount": flag({"none": 0.0, "some": 0.15}, "some"),
            "layout": flag({"grid": {"columns": 3}, "list": {"columns": 1}}, "grid"),
            "beta": flag(
                {"on": True, "off": False},
                "off",
                targeting={"if": [{"==": [{"var": "plan"}, "enterprise"]}, "on", "off"]},
            ),
            "rollout": flag(
                {"a": "a", "b": "b"},
                "a",
                targeting={"fractional": [{"var": "targetingKey"}, ["a", 50], ["b", 50]]},
            ),
        }
    }


@dataclass
class Revision:
    number: int
    document: bytes

    @property
    def name(self) -> str:
        return f"r{self.number}"

    @property
    def etag(self) -> str:
        return f'"{self.name}"'


@dataclass
class FlagServer:
    """A sync-protocol server: flag documents with ETag/304 and an SSE revision stream."""

    flag_set: str = FLAG_SET
    token: str = TOKEN
    stream: bool = True
    revision: Revision | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    subscribers: list[queue.Queue[bytes]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    connections: set[socket.socket] = field(default_factory=set)
    httpd: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def publish(self, document: dict[str, Any] | bytes) -> str:
        raw = document if isinstance(document, bytes) else json.dumps(document).encode()
        with self.changed:
            number = self.revision.number + 1 if self.revision else 1
            self.revision = Revision(number, raw)
            notice = json.dumps({"revision": f"r{number}", "flag_set": self.flag_set})
            for subscriber in self.subscribers:
                subscriber.put(f"event: revision\ndata: {notice}\n\n".encode())
            self.changed.notify_all()
        return f"r{number}"

    def record(self, entry: dict[str, Any]) -> None:
        with self.changed:
            self.requests.append(entry)
            self.changed.notify_all()

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool]) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: predicate(self.requests), WAIT), self.requests

    def wait_for_subscribers(self, count: int = 1) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.subscribers) >= count, WAIT)

    def start(self, port: int = 0) -> None:
        self.stopping.clear()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = WAIT  # backstop: an idle keep-alive connection cannot pin a handler

            def setup(self) -> None:
                super().setup()
                with server.changed:
                    server.connections.add(self.connection)

            def finish(self) -> None:
                with server.changed:
                    server.connections.discard(self.connection)
                super().finish()

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                entry = {
                    "path": path,
                    "query": query,
                    "authorization": self.headers.get("Authorization"),
                    "if_none_match": self.headers.get("If-None-Match"),
                    "status": 0,
                }
                if self.headers.get("Authorization") != f"Bearer {server.token}":
                    self._plain(401, entry)
                elif path == f"{SYNC_PREFIX}{server.flag_set}":
                    self._document(entry)
                elif path == f"{SYNC_PREFIX}{server.flag_set}/events" and server.stream:
                    self._events(entry)
                else:
                    self._plain(404, entry)

            def _plain(self, status: int, entry: dict[str, Any]) -> None:
                entry["status"] = status
                server.record(entry)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _document(self, entry: dict[str, Any]) -> None:
                revision = server.revision
                if revision is None:
                    self._plain(404, entry)
                    return
                if self.headers.get("If-None-Match") == revision.etag:
                    entry["status"] = 304
                    self.send_response(304)
                    self.send_header("ETag", revision.etag)
                    self.end_headers()
                else:
                    entry["status"] = 200
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("ETag", revision.etag)
                    self.send_header("X-Sluicegate-Revision", revision.name)
                    self.send_header("Content-Length", str(len(revision.document)))
                    self.end_headers()
                    self.wfile.write(revision.document)
                entry["revision"] = revision.name
                server.record(entry)

            def _events(self, entry: dict[str, Any]) -> None:
                inbox: queue.Queue[bytes] = queue.Queue()
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                entry["status"] = 200
                with server.changed:
                    server.subscribers.append(inbox)
                    server.requests.append(entry)
                    server.changed.notify_all()
                try:
                    while not server.stopping.is_set():
                        try:
                            chunk = inbox.get(timeout=0.05)
                        except queue.Empty:
                            chunk = b": keepalive\n\n"
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except OSError:
                    pass
                finally:
                    with server.changed:
                        server.subscribers.remove(inbox)
                        server.changed.notify_all()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = False
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        if self.httpd is None:
            return
        self.stopping.set()
        self.httpd.shutdown()
        with self.changed:  # like a dying server: drop keep-alive connections too
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        self.httpd.server_close()  # joins the handler threads (block_on_close)
        assert self.thread is not None
        self.thread.join(WAIT)
        self.httpd = None


class EventLog:
    """Provider events as the application sees them through ``api.add_handler``."""

    def __init__(self) -> None:
        self.events: list[tuple[ProviderEvent, EventDetails]] = []
        self._changed = threading.Condition()

    def handler(self, event: ProviderEvent) -> Callable[[EventDetails], None]:
        def record(details: EventDetails) -> None:
            if details.provider_name != "Sluicegate":
                return  # the immediate READY of the no-op provider registered before ours
            with self._changed:
                self.events.append((event, details))
                self._changed.notify_all()

        return record

    def kinds(self) -> list[ProviderEvent]:
        with self._changed:
            return [kind for kind, _ in self.events]

    def wait_for(self, kind: ProviderEvent, count: int = 1) -> list[EventDetails]:
        def matching() -> list[EventDetails]:
            return [d for k, d in self.events if k is kind]

        with self._changed:
            ok = self._changed.wait_for(lambda: len(matching()) >= count, WAIT)
            assert ok, f"no {kind} after {WAIT}s; saw {self.events}"
            return matching()


def wait_until(predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Poll a condition that has no event to wait on (e.g. a value served by the provider)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()
