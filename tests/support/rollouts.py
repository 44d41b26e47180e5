"""Builders shared by the rollout tests: an experiment in canary, a flag set and a rollout."""

from __future__ import annotations

from typing import Any

from tests.support.app import EXAMPLE_PROPOSAL, Harness

__all__ = ["FLAGS", "canary_experiment", "create_rollout", "flag_set"]

BOOL = {"on": True, "off": False}
FLAGS: dict[str, Any] = {
    "flags": {
        "new-checkout": {"state": "ENABLED", "variants": BOOL, "defaultVariant": "off"},
        "other": {"state": "ENABLED", "variants": BOOL, "defaultVariant": "on"},
    }
}


def canary_experiment(h: Harness, key: str = "checkout-redesign") -> None:
    """Propose the example experiment (as ``key``) as alice, sign it off and move it to canary."""
    r = h.call(
        "alice",
        "POST",
        "/api/v1/experiments",
        content=EXAMPLE_PROPOSAL.replace("key: checkout-redesign", f"key: {key}"),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    path = f"/api/v1/experiments/{key}"
    for domain in r.json()["missing_signoffs"]:
        who = "carol" if domain in ("product", "operations") else "bob"
        assert h.call(who, "POST", f"{path}/approvals", json={"domain": domain}).status_code == 201
    for state in ("approved", "sandbox", "staging", "canary"):
        r = h.call("alice", "POST", f"{path}/transitions", json={"to": state})
        assert r.status_code == 200, r.text


def flag_set(h: Harness) -> None:
    """The payments team's ``shop``/``staging`` flag set holding ``FLAGS``."""
    r = h.call(
        "alice",
        "POST",
        "/api/v1/flag-sets",
        json={"name": "shop", "environment": "staging", "owner_team": "payments"},
    )
    assert r.status_code == 201, r.text
    r = h.call("alice", "PUT", "/api/v1/flag-sets/shop/staging/document", json=FLAGS)
    assert r.status_code < 300, r.text


def create_rollout(
    h: Harness, plan: dict[str, Any], who: str = "alice", experiment: str = "checkout-redesign"
) -> Any:
    """POST a rollout of ``plan`` for ``experiment`` (the response, unchecked)."""
    return h.call(who, "POST", "/api/v1/rollouts", json={"experiment": experiment, "plan": plan})
