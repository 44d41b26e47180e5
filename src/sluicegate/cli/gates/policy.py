"""``sluice policy ...``: run a Rego bundle's own tests, or evaluate it on an input (local)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sluicegate.cli.apps import new_app
from sluicegate.cli.common import JsonOpt, guard
from sluicegate.cli.exits import ExitCode
from sluicegate.cli.output import CliError, emit_json, out

if TYPE_CHECKING:
    from sluicegate.service.gates.policy import PolicyCompileError

app = new_app(help="Work on policy bundles locally (no server needed).")


def _compile_error(exc: PolicyCompileError) -> CliError:
    where = exc.file or ""
    if exc.file is not None and exc.line is not None:
        where += f":{exc.line}" + (f":{exc.column}" if exc.column is not None else "")
    errors = [{"field": where, "reason": exc.reason}] if where else []
    return CliError(
        f"the policy bundle does not compile: {exc}",
        ExitCode.USAGE,
        hint="Fix the Rego at the named file, line and column.",
        code="policy-compile-error",
        body={"code": "policy-compile-error", "detail": str(exc), "errors": errors},
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
            if not report.results:
                out.print("no test_* rules found in *_test.rego files: nothing to run")
            else:
                passed = len(report.results) - len(report.failures)
                out.print(f"{passed}/{len(report.results)} passed")
    if not report.passed:
        raise typer.Exit(int(ExitCode.DENIED))


@app.command("eval")
def eval_(
    bundle: Annotated[Path, typer.Option(help="The policy bundle directory.")],
    input_file: Annotated[Path, typer.Option("--input", help="The input document (JSON).")],
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="Accept an input that leaves fields out (the fields it has are still checked).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Evaluate deny/warn of every package on one input; exit 3 when anything denies.

    The input must be shaped like the document the gate engine builds (docs/policy-input.md):
    a field with the wrong name or type, or a missing one without --partial, exits 2 naming it.
    """
    from sluicegate.adapters.policy import RegoPolicyEngine
    from sluicegate.domain.gates.policy_input import validate_policy_input
    from sluicegate.service.gates.policy import PolicyCompileError, PolicyError

    with guard(as_json):
        try:
            doc: Any = json.loads(input_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CliError(f"cannot read the input {input_file}: {exc}", ExitCode.USAGE) from exc
        engine = RegoPolicyEngine()
        try:
            loaded = engine.load_bundle(bundle)
        except PolicyCompileError as exc:
            raise _compile_error(exc) from exc
        problems = validate_policy_input(doc, partial=partial)
        if problems:
            raise CliError(
                f"the input {input_file} is not a policy input document "
                f"(schema_version 1, docs/policy-input.md): {len(problems)} problem(s)",
                ExitCode.USAGE,
                hint="Fix the named fields; --partial accepts an input that leaves fields out.",
                code="invalid-policy-input",
                details=[f"{p.field}: {p.reason}" for p in problems],
                body={
                    "code": "invalid-policy-input",
                    "detail": "the input is not a policy input document (docs/policy-input.md)",
                    "errors": [p.to_dict() for p in problems],
                },
            )
        try:
            decision = engine.evaluate(loaded, doc)
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
