"""Run every benchmark module (``make bench``), or the ones named on the command line.

Each module exposes ``main(argv: list[str]) -> None``, prints a comparison table against its named
peers and writes ``benchmarks/results/<name>.json``.
"""

from __future__ import annotations

import importlib
import sys

MODULES = [
    "audit",
    "flags",
    "gates",
    "judge",
    "detection",
    "false_rollbacks",
    "cli_startup",
    "server",
    "delivery",
]


def main(argv: list[str]) -> int:
    # the module names lead; the rest are options (``server --only gates`` runs server alone)
    lead = next((i for i, a in enumerate(argv) if a not in MODULES), len(argv))
    wanted = argv[:lead] or MODULES
    rest = argv[lead:]
    missing = []
    for name in wanted:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"benchmarks.{name}":
                missing.append(name)
                continue
            raise
        module.main(rest)
    if missing:
        sys.stderr.write(f"benchmarks not present yet: {', '.join(missing)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
