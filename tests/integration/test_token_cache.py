"""The per-process token cache (SLUICE_AUTH_CACHE_SECONDS): what it changes and what it does not.

A write through this process applies to the next request; a write through another process (a
second worker or replica, here a second container on the same database) applies within the
cache's time. Both are promised in docs/security.md.
"""

from __future__ import annotations

import time

from tests.support.app import Harness

from sluicegate.bootstrap import build
from sluicegate.service.access import identity
from sluicegate.service.context import RequestContext


def _issue(h: Harness, name: str) -> dict[str, str]:
    r = h.call("alice", "POST", "/api/v1/tokens", json={"name": name, "expires_in_days": 1})
    assert r.status_code == 201, r.text
    body: dict[str, str] = r.json()
    return body


def _me(h: Harness, secret: str) -> int:
    status: int = h.client.get(
        "/api/v1/me", headers={"authorization": f"Bearer {secret}"}
    ).status_code
    return status


def test_a_revocation_through_this_process_applies_to_the_next_request(harness: Harness) -> None:
    h = harness
    issued = _issue(h, "ci")
    assert _me(h, issued["token"]) == 200  # looked up, now cached
    r = h.call("alice", "POST", f"/api/v1/tokens/{issued['id']}/revoke", json={"reason": "leak"})
    assert r.status_code == 200, r.text
    assert _me(h, issued["token"]) == 401


def test_a_revocation_through_another_process_applies_within_the_cache_time(
    harness: Harness,
) -> None:
    h = harness
    ttl = h.container.settings.auth_cache_seconds
    assert ttl == 1.0
    issued = _issue(h, "ci")
    assert _me(h, issued["token"]) == 200
    other = build(h.container.settings)
    try:
        admin = identity.authenticate(other.deps, h.tokens["admin"])
        identity.revoke_token(other.deps, RequestContext(admin), issued["id"], "leak")
    finally:
        other.close()
    revoked_at = time.monotonic()
    still = _me(h, issued["token"])
    if time.monotonic() - revoked_at < ttl:
        assert still == 200  # the documented window: this process has not heard yet
    time.sleep(ttl + 0.1)
    assert _me(h, issued["token"]) == 401


def test_an_expiry_is_checked_on_every_hit(harness: Harness) -> None:
    h = harness
    issued = _issue(h, "short")
    assert _me(h, issued["token"]) == 200
    h.clock.advance(days=2)  # past its one-day lifetime, with the entry still cached
    assert _me(h, issued["token"]) == 401
