"""Safe decoding of artifacts: size limits, format sniffing, hardened XML and JSON parsing."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from sluicegate.domain.gates.evidence.errors import DEFAULT_MAX_BYTES, EvidenceError

__all__ = ["check_size", "local_name", "parse_json", "parse_xml", "sniff", "text_of"]

_BARE_DOCTYPE_RE = re.compile(rb"<!DOCTYPE\s+[^\[>]*>", re.I)
# XML declaration and leading comments, which may precede an <html> root.
_PROLOG_RE = re.compile(rb"^(?:<\?xml[^>]*\?>|<!--.*?-->|\s)+", re.S)


def check_size(kind: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    if not isinstance(data, bytes | bytearray):
        raise EvidenceError(kind, f"expected bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise EvidenceError(kind, f"artifact is {len(data)} bytes, above the {max_bytes} limit")
    if not data.strip():
        raise EvidenceError(kind, "artifact is empty")


def text_of(kind: str, data: bytes) -> str:
    try:
        return bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EvidenceError(kind, f"artifact is not UTF-8 text (byte {exc.start})") from exc


def sniff(data: bytes) -> str:
    """Best guess of an artifact's format: ``xml``, ``html``, ``json``, ``binary`` or ``text``."""
    head = bytes(data[:2048]).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"\x00" in head:
        return "binary"
    markup = _PROLOG_RE.sub(b"", head, count=1)
    if markup.startswith((b"<!doctype html", b"<html")):
        return "html"
    if head.startswith(b"<"):
        return "xml"
    if head.startswith((b"{", b"[")):
        return "json"
    return "text"


def local_name(element: Element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_xml(
    kind: str,
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_bare_doctype: bool = False,
) -> Element:
    """Parse XML with defusedxml: no entities, no external references, no DTD.

    ``allow_bare_doctype`` tolerates a ``<!DOCTYPE name SYSTEM "...">`` declaration without an
    internal subset (Cobertura emits one); it cannot declare entities and is never fetched.
    """
    check_size(kind, data, max_bytes)
    fmt = sniff(data)
    if fmt != "xml":
        raise EvidenceError(kind, f"artifact is {fmt.upper()}, not XML")
    raw = bytes(data)
    if allow_bare_doctype and _BARE_DOCTYPE_RE.search(raw) and b"<!ENTITY" not in raw.upper():
        raw = _BARE_DOCTYPE_RE.sub(b"", raw, count=1)
    try:
        root: Element = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise EvidenceError(kind, f"unsafe XML rejected: {type(exc).__name__}") from exc
    except ParseError as exc:
        raise EvidenceError(kind, f"malformed XML: {exc}") from exc
    return root


def parse_json(kind: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    check_size(kind, data, max_bytes)
    fmt = sniff(data)
    if fmt != "json":
        raise EvidenceError(kind, f"artifact is {fmt.upper()}, not JSON")
    try:
        return json.loads(text_of(kind, data))
    except json.JSONDecodeError as exc:
        raise EvidenceError(kind, f"malformed JSON: {exc.msg} at line {exc.lineno}") from exc
    except RecursionError as exc:
        raise EvidenceError(kind, "JSON nesting is too deep") from exc
