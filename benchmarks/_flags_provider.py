"""SluicegateProvider vs the SDK's InMemoryProvider, both timed through the OpenFeature client.

``measure()`` returns ``{"rows": [[kind, inmemory_us, sluicegate_us, overhead_us], ...], ...}``
(microseconds per evaluation) for three equivalent flags: a static boolean, an attribute-targeting
rule and a 50/50 fractional split. ``python -m benchmarks._flags_provider`` prints the table.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mmh3
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.flag_evaluation import FlagResolutionDetails, Reason
from openfeature.provider.in_memory_provider import InMemoryFlag, InMemoryProvider
from openfeature.provider.no_op_provider import NoOpProvider

from benchmarks._common import machine, print_table, time_per_call
from sluicegate.sdk import SluicegateProvider

__all__ = ["HEADERS", "main", "measure"]

HEADERS = ["flag", "InMemoryProvider µs", "SluicegateProvider µs", "overhead µs"]
INMEMORY_DOMAIN = "bench-inmemory"
SLUICEGATE_DOMAIN = "bench-sluicegate"

FLAGD_DOCUMENT: dict[str, Any] = {
    "flags": {
        "static-bool": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "on",
        },
        "targeted": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {"if": [{"==": [{"var": "plan"}, "enterprise"]}, "on", "off"]},
        },
        "fractional": {
            "state": "ENABLED",
            "variants": {"a": "a", "b": "b"},
            "defaultVariant": "a",
            "targeting": {"fractional": [{"var": "targetingKey"}, ["a", 50], ["b", 50]]},
        },
    }
}


def _targeted(flag: InMemoryFlag[bool], ctx: EvaluationContext) -> FlagResolutionDetails[bool]:
    variant = "on" if ctx.attributes.get("plan") == "enterprise" else "off"
    return FlagResolutionDetails(
        value=flag.variants[variant], variant=variant, reason=Reason.TARGETING_MATCH
    )


def _fractional(flag: InMemoryFlag[str], ctx: EvaluationContext) -> FlagResolutionDetails[str]:
    bucket = (mmh3.hash(f"fractional{ctx.targeting_key or ''}", signed=False) * 100) >> 32
    variant = "a" if bucket < 50 else "b"
    return FlagResolutionDetails(
        value=flag.variants[variant], variant=variant, reason=Reason.TARGETING_MATCH
    )


def _in_memory() -> InMemoryProvider:
    return InMemoryProvider(
        {
            "static-bool": InMemoryFlag("on", {"on": True, "off": False}),
            "targeted": InMemoryFlag(
                "off", {"on": True, "off": False}, context_evaluator=_targeted
            ),
            "fractional": InMemoryFlag("a", {"a": "a", "b": "b"}, context_evaluator=_fractional),
        }
    )


def _cases(domain: str) -> list[tuple[str, Callable[[], object]]]:
    client = api.get_client(domain)
    enterprise = EvaluationContext("user-1", {"plan": "enterprise"})
    user = EvaluationContext("user-42")
    return [
        ("static boolean", lambda: client.get_boolean_value("static-bool", False)),
        ("attribute targeting", lambda: client.get_boolean_value("targeted", False, enterprise)),
        ("fractional", lambda: client.get_string_value("fractional", "z", user)),
    ]


def measure(*, min_seconds: float = 0.3, repeat: int = 5) -> dict[str, Any]:
    """Time both providers through ``api.get_client`` on equivalent flags (µs per evaluation)."""
    with tempfile.TemporaryDirectory(prefix="sluicegate-bench-") as tmp:
        path = Path(tmp) / "flags.json"
        path.write_text(json.dumps(FLAGD_DOCUMENT), encoding="utf-8")
        sluicegate = SluicegateProvider.from_file(path)
        api.set_provider_and_wait(_in_memory(), INMEMORY_DOMAIN)
        api.set_provider_and_wait(sluicegate, SLUICEGATE_DOMAIN)
        try:
            baseline = _cases(INMEMORY_DOMAIN)
            candidate = _cases(SLUICEGATE_DOMAIN)
            rows: list[list[Any]] = []
            for (kind, base_fn), (_, ours_fn) in zip(baseline, candidate, strict=True):
                # Bucketing algorithms differ, so only the deterministic flags must agree.
                if kind != "fractional" and base_fn() != ours_fn():
                    raise AssertionError(f"{kind}: providers disagree ({base_fn()} vs {ours_fn()})")
                base_us = time_per_call(base_fn, min_seconds=min_seconds, repeat=repeat) * 1e6
                ours_us = time_per_call(ours_fn, min_seconds=min_seconds, repeat=repeat) * 1e6
                rows.append([kind, base_us, ours_us, ours_us - base_us])
        finally:
            for domain in (INMEMORY_DOMAIN, SLUICEGATE_DOMAIN):
                api.set_provider(NoOpProvider(), domain)
            sluicegate.shutdown()
    return {
        "headers": HEADERS,
        "rows": rows,
        "unit": "µs/eval",
        "max_overhead_us": max(row[3] for row in rows),
        "machine": machine(),
    }


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    result = measure(min_seconds=0.05 if quick else 0.3, repeat=3 if quick else 5)
    print_table(
        "OpenFeature client: SluicegateProvider vs InMemoryProvider (µs/eval)",
        HEADERS,
        result["rows"],
    )


if __name__ == "__main__":
    main(sys.argv[1:])
