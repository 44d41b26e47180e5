"""Publishing signed tree heads outside the database: a file, a signed webhook, a witness command.

Each published head is the checkpoint's own JSON (``tree_size``, ``root``, ``last_hash``, ``ts``,
``key_id``, ``signature``), self-verifying with the pinned public key. An auditor keeps any of
them and later runs ``sluice audit verify --against head.json``: the log must still extend it.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from sluicegate import __version__
from sluicegate.domain.audit.chain import Checkpoint
from sluicegate.domain.notifications import signed_headers

__all__ = ["CommandPublisher", "FilePublisher", "WebhookPublisher", "head_document"]

HEAD_TYPE = "sluicegate.audit.signed-tree-head/v1"


def head_document(head: Checkpoint) -> bytes:
    return json.dumps(head.to_dict(), sort_keys=True, separators=(",", ":")).encode() + b"\n"


class FilePublisher:
    """Replaces ``path`` atomically with the newest head (mode 0600, fsynced before the rename)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"file:{path}"

    def publish(self, head: Checkpoint) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".sth-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(head_document(head))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class WebhookPublisher:
    """POSTs ``{"type", "head"}``; with a secret, signed as the other webhooks are (HMAC-SHA256
    over ``timestamp.body`` in ``X-Sluicegate-Signature``). A non-2xx answer is a failure."""

    def __init__(self, url: str, secret: str | None, timeout: float = 10.0) -> None:
        self._url = url
        self._secret = secret
        self._timeout = timeout
        self.name = "webhook"  # the URL may carry a secret: never in logs

    def publish(self, head: Checkpoint) -> None:
        body = json.dumps(
            {"type": HEAD_TYPE, "head": head.to_dict()}, sort_keys=True, separators=(",", ":")
        ).encode()
        headers = {"Content-Type": "application/json", "User-Agent": f"Sluicegate/{__version__}"}
        if self._secret:
            headers.update(
                signed_headers(
                    self._secret, int(time.time()), body, HEAD_TYPE, f"sth-{head.tree_size}"
                )
            )
        try:
            response = httpx.post(self._url, content=body, headers=headers, timeout=self._timeout)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise OSError(f"tree head webhook: {type(exc).__name__}: {exc}") from None
        if not 200 <= response.status_code < 300:
            raise OSError(f"tree head webhook answered HTTP {response.status_code}")


class CommandPublisher:
    """Runs the operator's witness command with the head's JSON on standard input; a non-zero
    exit or a timeout is a failure."""

    def __init__(self, command: str, timeout: float = 30.0) -> None:
        self._argv = shlex.split(command)
        if not self._argv:
            raise ValueError("the witness command is empty")
        self._timeout = timeout
        self.name = f"command:{self._argv[0]}"

    def publish(self, head: Checkpoint) -> None:
        result = subprocess.run(  # noqa: S603 - the operator's configured command, no shell
            self._argv,
            input=head_document(head),
            capture_output=True,
            timeout=self._timeout,
            check=False,
        )
        if result.returncode != 0:
            tail = result.stderr.decode(errors="replace").strip()[-300:]
            raise OSError(f"witness command exited {result.returncode}: {tail}")
