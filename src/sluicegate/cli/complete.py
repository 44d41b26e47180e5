"""Shell completion from the server: experiment keys, flag sets, rollout ids and stages.

Typer calls these while the shell completes a word (``sluice --install-completion`` installs the
hook). They ask the server named by ``SLUICE_URL`` with ``SLUICE_TOKEN`` and a short timeout;
without ``SLUICE_URL``, or when the server cannot be reached or refuses, they offer nothing, so
that a slow or absent server never hangs the shell. This is the one place where the CLI drops an
error on purpose: a completion has no stderr to report it on.
"""

from __future__ import annotations

import os
from typing import Any

import typer

__all__ = ["experiments", "flag_sets", "rollouts", "stages"]

#: Seconds a completion waits for the server.
TIMEOUT = 1.5


def _get(path: str, params: dict[str, str] | None = None) -> Any:
    """The JSON body of GET ``path``, or None when there is no server to ask or it fails."""
    url = os.environ.get("SLUICE_URL")
    if not url:
        return None
    from sluicegate.cli.client import Client
    from sluicegate.cli.output import CliError

    try:
        client = Client(url, os.environ.get("SLUICE_TOKEN"), timeout=TIMEOUT)
    except CliError:
        return None
    try:
        return client.request("GET", path, params=params or {})
    except CliError:
        return None  # unreachable, refused or not found: complete nothing rather than hang
    finally:
        client.close()


def _items(path: str, field: str, incomplete: str) -> list[str]:
    body = _get(path)
    if not isinstance(body, dict):
        return []
    values = [str(item.get(field)) for item in body.get("items", []) if isinstance(item, dict)]
    return sorted({v for v in values if v.startswith(incomplete)})


def experiments(incomplete: str) -> list[str]:
    """Experiment keys."""
    return _items("/api/v1/experiments", "key", incomplete)


def flag_sets(incomplete: str) -> list[str]:
    """Flag-set names (each once, whatever its environments)."""
    return _items("/api/v1/flag-sets", "name", incomplete)


def rollouts(incomplete: str) -> list[str]:
    """Rollout ids, newest first as the server lists them."""
    return _items("/api/v1/rollouts", "id", incomplete)


def _experiment_word(ctx: typer.Context) -> str | None:
    """The experiment the command line names: the parsed argument, or, while an option's value is
    being completed (``gate check KEY --stage <TAB>``: the parser stops at the option that lacks
    its value, so KEY is not bound), the first word after the command's name that is not an
    option, read from the line the shell hook passes (bash: COMP_WORDS, zsh/fish/PowerShell:
    _TYPER_COMPLETE_ARGS)."""
    key = ctx.params.get("key") or ctx.params.get("experiment")
    if isinstance(key, str) and key:
        return key
    line = os.environ.get("COMP_WORDS") or os.environ.get("_TYPER_COMPLETE_ARGS") or ""
    words = line.split()
    if ctx.info_name in words:
        for word in words[words.index(ctx.info_name) + 1 :]:
            if not word.startswith("-"):
                return word
    return None


def stages(ctx: typer.Context, incomplete: str) -> list[str]:
    """Stages: the ones the named experiment may move to next, else every lifecycle state."""
    key = _experiment_word(ctx)
    found: list[str] = []
    if key:
        exp = _get(f"/api/v1/experiments/{key}")
        if isinstance(exp, dict):
            found = [str(s) for s in exp.get("allowed_transitions", [])]
    if not found:
        from sluicegate.domain.experiments.lifecycle import State

        found = [s.value for s in State]
    return [s for s in found if s.startswith(incomplete)]
