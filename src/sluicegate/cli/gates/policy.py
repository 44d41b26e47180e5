"""``sluice policy ...``: run a Rego bundle's own tests, or evaluate it on an input (local)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sluicegate.cli.common import JsonOpt, guard
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, out

app = typer.Typer(help="Work on policy bundles locally (no server needed).")


def _compile_error(exc: Exception) -> CliError:
    return CliError(
        f"the policy bundle does not compile: {exc}",
        ExitCode.USAGE,
        hint="Fix the Rego at the named file, line and column.",
        code="policy-compile-error",
    )


@app.command("test")
def run_tests(
    directory: Annotated[Path, typer.Argument(help="The policy bundle directory.")],
    as_json: JsonOpt = False,
) -> None:
    """Run the bundle's test_* rules (*_test.rego); exit 3 when any fails."""
    from sluicegate.adapters.policy import run_policy_tests
    from sluicegate.service.gates.policy import PolicyCompileError

    with guard(as_json):
        try:
            report = run_policy_tests(directory)
        except PolicyCompileError as exc:
            raise _compile_error(exc) from exc
        results = [
            {
                "file": r.file,
                "package": r.package,
                "name": r.name,
                "passed": r.passed,
                "error": r.error,
            }
            for r in report.results
        ]
        if as_json:
            emit_json({"revision": report.revision, "passed": report.passed, "results": results})
        else:
            for r in report.results:
                mark = "PASS" if r.passed else "FAIL"
                detail = f" ({r.error})" if r.error else ""
                out.print(f"{mark} {r.file}: {r.package}.{r.name}{detail}", markup=False)
            out.print(f"{len(report.results) - len(report.failures)}/{len(report.results)} passed")
    if not report.passed:
        raise typer.Exit(int(ExitCode.DENIED))


@app.command("eval")
def eval_(
    bundle: Annotated[Path, typer.Option(help="The policy bundle directory.")],
    input_file: Annotated[Path, typer.Option("--input", help="The input document (JSON).")],
    as_json: JsonOpt = False,
) -> None:
    """Evaluate deny/warn of every package on one input; exit 3 when anything denies."""
    from sluicegate.adapters.policy import RegoPolicyEngine
    from sluicegate.service.gates.policy import PolicyCompileError, PolicyError

    with guard(as_json):
        try:
            doc: Any = json.loads(input_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CliError(f"cannot read the input {input_file}: {exc}", ExitCode.USAGE) from exc
        engine = RegoPolicyEngine()
        try:
            loaded = engine.load_bundle(bundle)
            decision = engine.evaluate(loaded, doc)
        except PolicyCompileError as exc:
            raise _compile_error(exc) from exc
        except PolicyError as exc:
            raise CliError(f"policy evaluation failed: {exc}", ExitCode.UNEXPECTED) from exc
        if as_json:
            emit_json(decision.to_dict())
        else:
            for m in decision.deny:
                out.print(f"deny {m.package}: {m.msg}", markup=False)
            for m in decision.warn:
                out.print(f"warn {m.package}: {m.msg}", markup=False)
            out.print(
                f"revision {decision.revision}: {'allowed' if decision.allowed else 'denied'}"
            )
    if not decision.allowed:
        raise typer.Exit(int(ExitCode.DENIED))
