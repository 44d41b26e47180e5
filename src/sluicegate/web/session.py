"""The dashboard's sign-in session and CSRF tokens, with no table of their own.

The session cookie holds the API token itself, encrypted and authenticated with Fernet under a
per-install key (``$SLUICE_HOME/ui-session.key``, mode 0600, created on first use). Each request
decrypts it (refusing one older than ``SLUICE_UI_SESSION_HOURS``) and authenticates the token
against the database again, so revoking the token ends the session.

CSRF: a random nonce lives in its own cookie (SameSite=Strict, HttpOnly); every form carries
HMAC(key, nonce), and a POST is refused unless the two agree. A cross-site form sends neither
the cookie (SameSite) nor a token it could compute (the key never leaves the server).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

__all__ = [
    "CSRF_COOKIE",
    "KEY_FILE",
    "SESSION_COOKIE",
    "SessionKeys",
    "load_keys",
]

SESSION_COOKIE = "sluice_ui_session"
CSRF_COOKIE = "sluice_ui_csrf"
KEY_FILE = "ui-session.key"


def _read_or_create(path: Path) -> bytes:
    """The key in ``path``; a new one, written with mode 0600, when the file does not exist."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as out:
        out.write(key + b"\n")
    return key


@dataclass(frozen=True)
class SessionKeys:
    """The install's session key: seals sessions and derives CSRF tokens."""

    fernet: Fernet
    mac_key: bytes
    max_age_seconds: int

    def seal(self, token: str) -> str:
        body = json.dumps({"t": token}).encode()
        return self.fernet.encrypt(body).decode("ascii")

    def open(self, cookie: str | None) -> str | None:
        """The token in a session cookie, or None if absent, forged or expired."""
        if not cookie:
            return None
        try:
            body = self.fernet.decrypt(cookie.encode("ascii"), ttl=self.max_age_seconds)
            token = json.loads(body)["t"]
        except (InvalidToken, UnicodeError, ValueError, KeyError, TypeError):
            return None
        return token if isinstance(token, str) else None

    def csrf_for(self, nonce: str) -> str:
        digest = hmac.new(self.mac_key, nonce.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def csrf_valid(self, nonce: str | None, presented: str | None) -> bool:
        if not nonce or not presented:
            return False
        return hmac.compare_digest(self.csrf_for(nonce), presented)

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(32)


def load_keys(home: Path, session_hours: float) -> SessionKeys:
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = _read_or_create(home / KEY_FILE)
    mac_key = hashlib.sha256(b"sluicegate-ui-csrf\x00" + key).digest()
    return SessionKeys(Fernet(key), mac_key, max(1, round(session_hours * 3600)))
