"""``sluice delivery sources``: check the webhook sources file and list what it configures.

It runs where the server runs (it reads ``SLUICE_DELIVERY_SOURCES`` and the variables its
``secret_env`` entries name) and never prints a secret.
"""

from __future__ import annotations

from typing import Any

from sluicegate.cli.common import JsonOpt, guard
from sluicegate.cli.output import emit_json, err, table

__all__ = ["list_sources"]


def list_sources(as_json: JsonOpt = False) -> None:
    """Check the webhook sources file (SLUICE_DELIVERY_SOURCES) and list its sources."""
    from sluicegate.adapters.delivery_sources import load_sources
    from sluicegate.bootstrap import Settings

    with guard(as_json):
        settings = Settings.from_env()
        path = settings.sources_file
        found = load_sources(path)
    rows: list[dict[str, Any]] = [
        {
            "name": name,
            "kind": s.rules.kind.value,
            "path": f"/api/v1/delivery/webhooks/{name}",
            "services": dict(s.rules.services),
            "environments": dict(s.rules.environments),
            "deploy_workflows": sorted(s.rules.deploy_workflows),
            "deploy_environment": s.rules.deploy_environment,
            "default_branch": s.rules.default_branch,
        }
        for name, s in sorted(found.items())
    ]
    if as_json:
        emit_json({"file": str(path), "exists": path.exists(), "sources": rows})
        return
    if not rows:
        err.print(
            f"no webhook sources: {path} "
            + ("holds none" if path.exists() else "does not exist")
            + " (docs/delivery.md, 'Webhooks')"
        )
        return
    table(
        f"webhook sources in {path}",
        ["name", "kind", "webhook path", "deploy workflows"],
        [[r["name"], r["kind"], r["path"], ", ".join(r["deploy_workflows"]) or "-"] for r in rows],
        keep=["name", "webhook path"],
    )
