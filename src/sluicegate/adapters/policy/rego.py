"""Embedded Rego policy engine backed by Microsoft's rego-cpp Python bindings (regopy).

Each bundle revision is compiled once (``Interpreter.build``) into a regopy ``Bundle`` and kept in a
cache; warm evaluations only set the input document and run the compiled plan.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sluicegate.adapters.policy.bundle import (
    compile_error_from_engine,
    find_unknown_function,
    find_with_keyword,
    read_bundle,
    user_functions,
)
from sluicegate.adapters.policy.regoinput import InputError, set_input
from sluicegate.adapters.policy.verification import run_bundle_tests
from sluicegate.service.gates.policy import (
    Message,
    PackageDecision,
    PolicyBundle,
    PolicyCompileError,
    PolicyDecision,
    PolicyEvaluationError,
    PolicyTestReport,
)

__all__ = ["DEFAULT_NAMESPACE", "RegoPolicyEngine", "run_policy_tests"]

DEFAULT_NAMESPACE = "sluicegate"
_RESULT_VAR = "sluicegate_result"


@dataclass(slots=True)
class _Compiled:
    interpreter: Any
    plan: Any
    lock: threading.Lock


def _new_interpreter() -> Any:
    import regopy

    interpreter = regopy.Interpreter()
    # The default level (OUTPUT) prints compile errors to stdout; errors are raised instead.
    interpreter.log_level = regopy.LogLevel.NONE
    return interpreter


def _output_json(output: Any) -> Any:
    """Decode a regopy Output without its constructor's json.loads (which fails on errors)."""
    from regopy.rego_shared import rego_output_ok, rego_output_string

    impl = output._impl
    text: str = rego_output_string(impl)
    if not rego_output_ok(impl):
        raise _evaluation_error(text)
    if text == "undefined":
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _evaluation_error(text) from exc


def _evaluation_error(text: str) -> PolicyEvaluationError:
    error = PolicyEvaluationError(f"policy evaluation failed: {text.strip()}")
    error.raw = text
    return error


def _binding(decoded: Any) -> Any:
    if decoded is None:
        return None
    first = decoded[0] if isinstance(decoded, list) else decoded
    if not isinstance(first, dict):
        return None
    return first.get("bindings", {}).get(_RESULT_VAR)


def _to_message(raw: Any, package: str) -> Message:
    if isinstance(raw, str):
        return Message(msg=raw, package=package)
    if isinstance(raw, dict) and isinstance(raw.get("msg"), str):
        details = {k: v for k, v in raw.items() if k != "msg"}
        return Message(msg=raw["msg"], package=package, details=details)
    return Message(msg=json.dumps(raw, sort_keys=True), package=package)


def _messages(node: Mapping[str, Any], key: str, package: str) -> tuple[Message, ...]:
    raw = node.get(key)
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    return tuple(sorted((_to_message(i, package) for i in items), key=lambda m: m.msg))


class RegoPolicyEngine:
    """``PolicyEngine`` implementation on top of regopy.

    ``namespace`` selects the packages whose ``deny``/``warn`` rules are collected: the namespace
    package itself and every package below it.  ``None`` collects every package of the bundle.
    """

    def __init__(
        self, namespace: str | None = DEFAULT_NAMESPACE, *, max_cached_revisions: int = 16
    ) -> None:
        self._namespace = namespace or None
        self._max_cached = max(1, max_cached_revisions)
        self._cache: OrderedDict[str, _Compiled] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def namespace(self) -> str | None:
        return self._namespace

    def _selected(self, bundle: PolicyBundle) -> list[str]:
        ns = self._namespace
        if ns is None:
            return list(bundle.packages)
        return [p for p in bundle.packages if p == ns or p.startswith(ns + ".")]

    def load_bundle(self, path: str | Path) -> PolicyBundle:
        bundle = read_bundle(path)
        self._compiled(bundle)
        return bundle

    def _compile(self, bundle: PolicyBundle) -> _Compiled:
        import regopy

        interpreter = _new_interpreter()
        functions = user_functions(bundle.policy_modules)
        for module in bundle.policy_modules:
            error = find_with_keyword(module) or find_unknown_function(
                module, functions, interpreter.is_builtin
            )
            if error is not None:
                raise error
        sources = {m.path: m.source for m in bundle.policy_modules}
        try:
            if bundle.data:
                interpreter.add_data_json(json.dumps(dict(bundle.data)))
            for name, source in sources.items():
                interpreter.add_module(name, source)
            target = "data" if self._namespace is None else f"data.{self._namespace}"
            plan = interpreter.build(f"{_RESULT_VAR} = {target}")
        except regopy.RegoError as exc:
            raise compile_error_from_engine(str(exc), sources) from exc
        if not plan.ok():
            raise PolicyCompileError("rego-cpp could not build the bundle")
        runner = _new_interpreter()
        compiled = _Compiled(interpreter=runner, plan=plan, lock=threading.Lock())
        # Probe run: some errors (e.g. unknown functions) only surface when the plan executes.
        try:
            self._run(compiled, {})
        except PolicyEvaluationError as exc:
            raise compile_error_from_engine(exc.raw, sources) from exc
        return compiled

    def _compiled(self, bundle: PolicyBundle) -> _Compiled:
        with self._cache_lock:
            compiled = self._cache.get(bundle.revision)
            if compiled is not None:
                self._cache.move_to_end(bundle.revision)
                return compiled
        compiled = self._compile(bundle)
        with self._cache_lock:
            compiled = self._cache.setdefault(bundle.revision, compiled)
            while len(self._cache) > self._max_cached:
                self._cache.popitem(last=False)
        return compiled

    @staticmethod
    def _run(compiled: _Compiled, input_doc: Mapping[str, Any]) -> Any:
        import regopy

        with compiled.lock:
            try:
                set_input(compiled.interpreter, input_doc)
                output = compiled.interpreter.query_bundle(compiled.plan)
                decoded = _output_json(output)
            except InputError as exc:
                raise PolicyEvaluationError(f"input document is not JSON-encodable: {exc}") from exc
            except regopy.RegoError as exc:
                raise _evaluation_error(str(exc)) from exc
        return _binding(decoded)

    def evaluate(self, bundle: PolicyBundle, input_doc: Mapping[str, Any]) -> PolicyDecision:
        compiled = self._compiled(bundle)
        result = self._run(compiled, input_doc)
        prefix = [] if self._namespace is None else self._namespace.split(".")
        by_package: dict[str, PackageDecision] = {}
        deny: list[Message] = []
        warn: list[Message] = []
        for package in self._selected(bundle):
            node: Any = result
            for part in package.split(".")[len(prefix) :]:
                node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                node = {}
            decision = PackageDecision(
                package=package,
                deny=_messages(node, "deny", package),
                warn=_messages(node, "warn", package),
            )
            by_package[package] = decision
            deny.extend(decision.deny)
            warn.extend(decision.warn)
        return PolicyDecision(deny=deny, warn=warn, revision=bundle.revision, by_package=by_package)

    def run_tests(self, bundle: PolicyBundle) -> PolicyTestReport:
        """Compile the bundle as ``load_bundle`` does, then run its ``test_*`` rules.

        A bundle that does not compile raises :class:`PolicyCompileError` (file, line, column
        and the engine's message) rather than reporting zero tests run.
        """
        self._compiled(bundle)
        return run_bundle_tests(bundle)


def run_policy_tests(path: str | Path) -> PolicyTestReport:
    """Run the ``test_*`` rules of the bundle at ``path`` (OPA convention).

    The bundle is compiled first, as the server would load it; a bundle that does not compile,
    or a test file that does not, raises :class:`PolicyCompileError`.
    """
    engine = RegoPolicyEngine()
    return engine.run_tests(read_bundle(path))
