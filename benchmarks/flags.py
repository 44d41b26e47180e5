"""Flag evaluation: sluicegate.flags vs openfeature-flagd-core vs yggdrasil-engine (Unleash).

Four flag kinds are built equivalently for every engine - static, attribute targeting
(``ends_with`` / ``STR_ENDS_WITH``), a 50/50 split (``fractional`` / ``flexibleRollout``) and a
semantic-version rule (``sem_ver`` / ``SEMVER_GTE``) - and each is evaluated over the same pool
of contexts. Reported: microseconds per evaluation and how many times faster the engine is.

Hooks: ``provider_section()`` adds the rows of ``benchmarks._flags_provider.measure()`` (the
OpenFeature provider) and ``ofrep_section()`` those of ``benchmarks._flags_ofrep.measure()``
(OFREP), when those modules exist.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from typing import Any

from benchmarks._common import print_table, time_per_call, write_results

KINDS = ("static", "attribute", "fractional", "semver")
CONTEXT_POOL = 64

FLAGD_DEFINITION: dict[str, Any] = {
    "flags": {
        "static": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "on",
        },
        "attribute": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {"if": [{"ends_with": [{"var": "email"}, "@acme.io"]}, "on", "off"]},
        },
        "fractional": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {"fractional": [["on", 50], ["off", 50]]},
        },
        "semver": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {"if": [{"sem_ver": [{"var": "version"}, ">=", "1.2.0"]}, "on", "off"]},
        },
    }
}


def _constraint(context: str, operator: str, **value: Any) -> dict[str, Any]:
    return {
        "contextName": context,
        "operator": operator,
        "values": value.get("values", []),
        "value": value.get("value"),
        "inverted": False,
        "caseInsensitive": False,
    }


UNLEASH_STATE: dict[str, Any] = {
    "version": 2,
    "features": [
        {"name": "static", "enabled": True, "strategies": [{"name": "default", "parameters": {}}]},
        {
            "name": "attribute",
            "enabled": True,
            "strategies": [
                {
                    "name": "default",
                    "parameters": {},
                    "constraints": [_constraint("email", "STR_ENDS_WITH", values=["@acme.io"])],
                }
            ],
        },
        {
            "name": "fractional",
            "enabled": True,
            "strategies": [
                {
                    "name": "flexibleRollout",
                    "parameters": {
                        "rollout": "50",
                        "stickiness": "userId",
                        "groupId": "fractional",
                    },
                }
            ],
        },
        {
            "name": "semver",
            "enabled": True,
            "strategies": [
                {
                    "name": "default",
                    "parameters": {},
                    "constraints": [_constraint("version", "SEMVER_GTE", value="1.2.0")],
                }
            ],
        },
    ],
}


def contexts() -> list[dict[str, Any]]:
    """The shared pool: a targeting key, an email and a version per simulated user."""
    domains = ("acme.io", "example.com")
    versions = ("1.0.0", "1.2.0", "1.10.3", "2.0.0-rc.1", "0.9.9")
    return [
        {
            "targetingKey": f"user-{i}",
            "email": f"user{i}@{domains[i % 2]}",
            "version": versions[i % len(versions)],
        }
        for i in range(CONTEXT_POOL)
    ]


def _sweep(
    fn: Callable[..., object], kind: str, pool: list[Any], *extra: Any
) -> Callable[[], object]:
    """One call evaluates ``kind`` for every context of the pool (timed per evaluation later)."""
    if extra:
        (third,) = extra

        def sweep3() -> object:
            for ctx in pool:
                fn(kind, ctx, third)
            return None

        return sweep3

    def sweep2() -> object:
        for ctx in pool:
            fn(kind, ctx)
        return None

    return sweep2


def engine_callers() -> dict[str, Callable[[], object]]:
    from sluicegate.flags import compile_flag_set

    flag_set = compile_flag_set(FLAGD_DEFINITION)
    pool = contexts()
    return {kind: _sweep(flag_set.evaluate, kind, pool, bool) for kind in KINDS}


def flagd_core_callers() -> dict[str, Callable[[], object]] | None:
    try:
        from openfeature.contrib.tools.flagd.core import FlagdCore
        from openfeature.evaluation_context import EvaluationContext
    except ImportError:
        return None
    core = FlagdCore()
    core.set_flags(json.dumps(FLAGD_DEFINITION))
    pool = [
        EvaluationContext(c["targetingKey"], {k: v for k, v in c.items() if k != "targetingKey"})
        for c in contexts()
    ]
    resolve = core.resolve_boolean_value

    def sweep(kind: str) -> Callable[[], object]:
        def run() -> object:
            for ctx in pool:
                resolve(kind, False, ctx)
            return None

        return run

    return {kind: sweep(kind) for kind in KINDS}


def yggdrasil_callers() -> dict[str, Callable[[], object]] | None:
    try:
        from yggdrasil_engine.engine import UnleashEngine
    except ImportError:
        return None
    engine = UnleashEngine()
    engine.take_state(json.dumps(UNLEASH_STATE))
    pool = [
        {"userId": c["targetingKey"], "properties": {"email": c["email"], "version": c["version"]}}
        for c in contexts()
    ]
    return {kind: _sweep(engine.check_enabled, kind, pool) for kind in KINDS}


def _optional_section(module: str) -> dict[str, Any] | None:
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise
    result: dict[str, Any] = loaded.measure()
    return result


def provider_section() -> dict[str, Any] | None:
    """Rows from ``benchmarks._flags_provider.measure()`` (the OpenFeature provider), if present."""
    return _optional_section("benchmarks._flags_provider")


def ofrep_section() -> dict[str, Any] | None:
    """Rows from ``benchmarks._flags_ofrep.measure()`` (OFREP over HTTP), if present."""
    return _optional_section("benchmarks._flags_ofrep")


def _print_section(title: str, section: dict[str, Any]) -> None:
    """A section is ``{"headers": [...], "rows": [[...], ...]}`` or a flat ``{label: value}``."""
    if "rows" in section:
        headers = section.get("headers") or [f"col{i}" for i in range(len(section["rows"][0]))]
        print_table(title, headers, section["rows"])
    else:
        print_table(title, ["measure", "value"], [[k, v] for k, v in section.items()])


def _check_agreement() -> None:
    """The engine and flagd-core must resolve the benchmark contexts identically."""
    from openfeature.contrib.tools.flagd.core import FlagdCore
    from openfeature.evaluation_context import EvaluationContext

    from sluicegate.flags import compile_flag_set

    flag_set = compile_flag_set(FLAGD_DEFINITION)
    core = FlagdCore()
    core.set_flags(json.dumps(FLAGD_DEFINITION))
    for ctx in contexts():
        attrs = {k: v for k, v in ctx.items() if k != "targetingKey"}
        reference_ctx = EvaluationContext(ctx["targetingKey"], attrs)
        for kind in KINDS:
            ours = flag_set.evaluate(kind, ctx, bool)
            theirs = core.resolve_boolean_value(kind, False, reference_ctx)
            assert (ours.value, ours.variant) == (theirs.value, theirs.variant), (kind, ctx)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    min_seconds = 0.05 if quick else 0.2
    rounds = 2 if quick else 5
    logging.getLogger("openfeature").setLevel(logging.CRITICAL)
    _check_agreement()

    peers = {
        "sluicegate": engine_callers(),
        "flagd-core": flagd_core_callers(),
        "yggdrasil": yggdrasil_callers(),
    }
    # Interleaved rounds, best of each: load from other processes hits every engine alike.
    timings: dict[str, dict[str, float]] = {}
    for _ in range(rounds):
        for kind in KINDS:
            for name, callers in peers.items():
                if callers is None:
                    continue
                seconds = time_per_call(callers[kind], min_seconds=min_seconds, repeat=2)
                micros = seconds * 1e6 / CONTEXT_POOL
                best = timings.setdefault(name, {})
                best[kind] = min(best.get(kind, micros), micros)

    rows = []
    for kind in KINDS:
        ours = timings["sluicegate"][kind]
        row: list[object] = [kind, ours]
        for peer in ("flagd-core", "yggdrasil"):
            theirs = timings.get(peer, {}).get(kind)
            row += [theirs, theirs / ours] if theirs else ["n/a", "n/a"]
        rows.append(row)
    headers = [
        "flag kind",
        "sluicegate µs",
        "flagd-core µs",
        "x faster",
        "yggdrasil µs",
        "x faster",
    ]
    print_table("Flag evaluation, µs per evaluation (lower is better)", headers, rows)

    payload: dict[str, Any] = {
        "unit": "microseconds per evaluation",
        "contexts": CONTEXT_POOL,
        "timings": timings,
        "speedup": {
            peer: {kind: timings[peer][kind] / timings["sluicegate"][kind] for kind in KINDS}
            for peer in timings
            if peer != "sluicegate"
        },
    }
    for key, title, section in (
        ("provider", "OpenFeature provider", provider_section()),
        ("ofrep", "OFREP", ofrep_section()),
    ):
        if section is not None:
            _print_section(title, section)
            payload[key] = section
    write_results("flags", payload)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
