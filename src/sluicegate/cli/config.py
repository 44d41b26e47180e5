"""``sluice config show``: the effective settings, where each came from, secrets masked."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, guard
from sluicegate.cli.output import emit_json, table

__all__ = ["app", "effective_settings", "mask_url"]

app = new_app(help="The effective configuration (SLUICE_* variables).", no_args_is_help=True)

MASK = "****"

#: Settings whose whole value is a secret.
_SECRET_FIELDS = frozenset(
    {"prometheus_bearer_token", "prometheus_password", "audit_head_webhook_secret"}
)
#: Settings that hold a URL: a password in it (user info or a query parameter) is masked.
_URL_FIELDS = frozenset({"database_url", "prometheus_url", "audit_head_webhook"})
_SECRET_WORDS = ("password", "passwd", "pwd", "secret", "token", "key")

_CLIENT_DEFAULT_URL = "http://127.0.0.1:8080"


def mask_url(url: str) -> str:
    """``url`` with the password of its user info and secret-looking query values masked.

    Only the secret parts are replaced, so ``sqlite:////abs/path`` keeps its slashes.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    masked = url
    if parts.password is not None:
        userinfo = parts.netloc.rpartition("@")[0]
        user = userinfo.partition(":")[0]
        masked = masked.replace(f"{userinfo}@", f"{user}:{MASK}@", 1)
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = urlencode(
            [(k, MASK if any(w in k.lower() for w in _SECRET_WORDS) else v) for k, v in pairs],
            safe="*",
        )
        masked = masked.replace(f"?{parts.query}", f"?{query}", 1)
    return masked


def _shown(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _SECRET_FIELDS:
        return MASK
    if name in _URL_FIELDS and isinstance(value, str):
        return mask_url(value)
    if isinstance(value, Path):
        return str(value)
    return value


def effective_settings(environ: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """One row per setting: variable, value (masked), source (``env`` or ``default``)."""
    from sluicegate.bootstrap import Settings

    env = os.environ if environ is None else environ
    settings = Settings.from_env(env)
    effective = {
        "database_url": settings.url,
        "audit_key_file": settings.key_file,
        "audit_trusted_keys_file": settings.trusted_keys_file,
        "audit_head_file": settings.head_file,
    }
    rows = []
    for name in Settings.model_fields:
        if name == "extra":
            continue
        value = effective.get(name, getattr(settings, name))
        rows.append(
            {
                "variable": Settings.variable(name),
                "value": _shown(name, value),
                "source": settings.source(name),
            }
        )
    client_url = env.get("SLUICE_URL")
    rows.append(
        {
            "variable": "SLUICE_URL",
            "value": mask_url(client_url or _CLIENT_DEFAULT_URL),
            "source": "env" if client_url is not None else "default",
        }
    )
    rows.append(
        {
            "variable": "SLUICE_TOKEN",
            "value": MASK if env.get("SLUICE_TOKEN") else None,
            "source": "env" if "SLUICE_TOKEN" in env else "default",
        }
    )
    return rows


@app.command("show")
def show(as_json: JsonOpt = False) -> None:
    """Print every setting with its effective value and source (env or default), secrets
    masked."""
    with guard(as_json):
        rows = effective_settings()
    if as_json:
        emit_json(
            {row["variable"]: {"value": row["value"], "source": row["source"]} for row in rows}
        )
        return
    table(
        "settings",
        ["variable", "value", "source"],
        [[r["variable"], "" if r["value"] is None else r["value"], r["source"]] for r in rows],
        keep=["variable"],
        flex=["value"],
    )
