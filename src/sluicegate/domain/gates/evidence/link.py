"""Documentation and runbook links: a bare URL or ``{"url": ..., "title": ..., "type": ...}``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sluicegate.domain.gates.evidence.document import check_size, sniff, text_of
from sluicegate.domain.gates.evidence.errors import EvidenceError

__all__ = ["LINK_TYPES", "LinkFacts", "parse_link", "validate_url"]

_KIND = "link"
LINK_TYPES = ("documentation", "runbook", "dashboard", "other")
_MAX_LINK_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class LinkFacts:
    url: str
    scheme: str
    host: str
    link_type: str
    title: str | None

    kind = _KIND
    namespace = "link"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "scheme": self.scheme,
            "host": self.host,
            "type": self.link_type,
            "title": self.title,
        }


def validate_url(url: str) -> tuple[str, str]:
    """Return (scheme, host) of an absolute http(s) URL or raise EvidenceError."""
    if any(c.isspace() for c in url) or any(ord(c) < 32 for c in url):
        raise EvidenceError(_KIND, "URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise EvidenceError(_KIND, f"invalid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise EvidenceError(_KIND, f"URL scheme {parts.scheme or '(none)'!r} is not http(s)")
    if parts.username is not None or parts.password is not None:
        raise EvidenceError(_KIND, "URL must not embed credentials")
    host = parts.hostname or ""
    if not host:
        raise EvidenceError(_KIND, "URL has no host")
    del port  # only parsed to validate it
    return scheme, host


def parse_link(data: bytes, *, default_type: str = "documentation") -> LinkFacts:
    check_size(_KIND, data, _MAX_LINK_BYTES)
    text = text_of(_KIND, data).strip()
    title: str | None = None
    link_type = default_type
    if sniff(data) == "json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EvidenceError(_KIND, f"malformed JSON: {exc.msg}") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("url"), str):
            raise EvidenceError(_KIND, "JSON link must be an object with a string 'url'")
        url = doc["url"].strip()
        title = doc.get("title") if isinstance(doc.get("title"), str) else None
        link_type = str(doc.get("type", default_type))
    else:
        url = text
    if link_type not in LINK_TYPES:
        raise EvidenceError(_KIND, f"link type {link_type!r} is not one of {', '.join(LINK_TYPES)}")
    scheme, host = validate_url(url)
    return LinkFacts(url=url, scheme=scheme, host=host, link_type=link_type, title=title)
