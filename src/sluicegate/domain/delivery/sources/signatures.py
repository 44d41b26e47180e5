"""How each provider proves a webhook delivery is its own (issue 13 §5).

* GitHub signs the raw body: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>``;
* GitLab sends the configured secret token as it is: ``X-Gitlab-Token: <secret>``;
* Azure DevOps service hooks send HTTP basic authentication with the configured user name and
  password (the password is the secret; the user name is checked when one is configured).

Every comparison is constant-time (:func:`hmac.compare_digest`). The secret never leaves the
source's configuration: errors say *that* a check failed, never with what.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

from sluicegate.domain.delivery.sources import SourceKind, SourceRules

__all__ = ["WebhookSource", "signature_valid"]

#: the header each provider names its event in ("" for Azure DevOps: the body says)
EVENT_HEADERS = {
    SourceKind.GITHUB: "x-github-event",
    SourceKind.GITLAB: "x-gitlab-event",
    SourceKind.AZURE_DEVOPS: "",
}


@dataclass(frozen=True, slots=True)
class WebhookSource:
    """One configured source: its mapping rules and the secret its deliveries prove."""

    rules: SourceRules
    secret: str = field(repr=False)
    #: Azure DevOps only: the basic-authentication user name the subscription sends
    username: str | None = None

    def event_name(self, headers: Mapping[str, str]) -> str:
        header = EVENT_HEADERS[self.rules.kind]
        return headers.get(header, "") if header else ""


def _equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def _github(secret: bytes, headers: Mapping[str, str], body: bytes) -> bool:
    presented = headers.get("x-hub-signature-256", "")
    scheme, _, digest = presented.partition("=")
    if scheme != "sha256" or not digest:
        return False
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return _equal(expected.encode(), digest.strip().lower().encode("ascii", "replace"))


def _gitlab(secret: bytes, headers: Mapping[str, str]) -> bool:
    presented = headers.get("x-gitlab-token", "")
    return bool(presented) and _equal(secret, presented.encode("utf-8", "replace"))


def _azure(secret: bytes, username: str | None, headers: Mapping[str, str]) -> bool:
    scheme, _, encoded = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    user, sep, password = decoded.partition(b":")
    if not sep:
        return False
    user_ok = username is None or _equal(username.encode(), user)
    return _equal(secret, password) and user_ok


def signature_valid(source: WebhookSource, headers: Mapping[str, str], body: bytes) -> bool:
    """Whether the delivery proves ``source``'s secret (``headers`` keys lower-case)."""
    secret = source.secret.encode()
    match source.rules.kind:
        case SourceKind.GITHUB:
            return _github(secret, headers, body)
        case SourceKind.GITLAB:
            return _gitlab(secret, headers)
        case SourceKind.AZURE_DEVOPS:
            return _azure(secret, source.username, headers)
