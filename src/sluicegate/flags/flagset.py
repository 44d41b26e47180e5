"""Compile a flagd flag set once; evaluate its flags many times without re-parsing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from . import control, fractional, operators  # noqa: F401 - registers the operator compilers
from .bucketing import Bucketing, parse_bucketing
from .compiler import Compiler
from .errors import Finding, FlagDefinitionError, InvalidRule, pointer
from .resolution import ErrorCode, Reason, Resolution
from .schema import FlagSpec, load_definition, validate_definition
from .type_table import COMMON_TYPES, TypeTable

__all__ = [
    "BUCKETING_METADATA_KEY",
    "DEFAULT_BUCKETING",
    "CompiledFlagSet",
    "check_flag_set",
    "compile_flag_set",
]

BUCKETING_METADATA_KEY = "sluicegate.bucketing"
DEFAULT_BUCKETING = Bucketing.CBOR

Resolver = Callable[[dict[str, Any], Any], Resolution]


def _error(code: ErrorCode, message: str, metadata: Mapping[str, Any]) -> Resolution:
    return Resolution(None, None, Reason.ERROR, code, message, metadata)


def _variant_key(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _result_literals(
    node: Any, path: tuple[str | int, ...], evaluators: Mapping[str, Any], seen: frozenset[str]
) -> Iterable[tuple[Any, tuple[str | int, ...]]]:
    """Literal values a rule can return as a variant name, with their locations."""
    if isinstance(node, str | bool):
        yield node, path
        return
    if not isinstance(node, dict) or len(node) != 1:
        return
    op, args = next(iter(node.items()))
    if op == "$ref" and isinstance(args, str) and args in evaluators and args not in seen:
        yield from _result_literals(
            evaluators[args], ("$evaluators", args), evaluators, seen | {args}
        )
    elif op in ("if", "?:") and not isinstance(args, list):
        yield from _result_literals(args, (*path, op), evaluators, seen)
    elif op in ("if", "?:"):
        items = args
        picks = list(range(1, len(items), 2))
        if len(items) % 2:
            picks.append(len(items) - 1)
        for i in picks:
            yield from _result_literals(items[i], (*path, op, i), evaluators, seen)
    elif op == "fractional" and isinstance(args, list) and args:
        start = 0 if isinstance(args[0], list) else 1
        for i, bucket in enumerate(args[start:], start):
            if isinstance(bucket, list) and bucket and isinstance(bucket[0], str | bool):
                yield bucket[0], (*path, op, i, 0)


def _compile_flag(
    spec: FlagSpec,
    set_spec_evaluators: Mapping[str, Any],
    set_metadata: Mapping[str, Any],
    bucketing: Bucketing,
    require_targeting_key: bool,
    findings: list[Finding],
) -> tuple[Resolver, dict[Any, Resolution] | None]:
    """The flag's resolver, plus its precomputed results when they ignore the context."""
    metadata = MappingProxyType({**set_metadata, **spec.metadata})
    if not spec.enabled:
        disabled = Resolution(None, None, Reason.DISABLED, flag_metadata=metadata)
        return (lambda _ctx, _expected: disabled), dict.fromkeys(COMMON_TYPES, disabled)
    types = TypeTable(spec.variants, spec.default_variant, metadata, spec.targeting is not None)
    if spec.targeting is None:
        static = types.default
        return (lambda _ctx, expected: static(expected)), types.defaults
    if not isinstance(spec.targeting, dict):
        unparsable = _error(ErrorCode.PARSE_ERROR, "targeting must be an object", metadata)
        return (lambda _ctx, _expected: unparsable), dict.fromkeys(COMMON_TYPES, unparsable)
    compiler = Compiler(
        spec.key,
        set_spec_evaluators,
        bucketing,
        require_targeting_key=require_targeting_key,
        findings=findings,
    )
    compiled = compiler.compile(spec.targeting, ("flags", spec.key, "targeting"))
    rule = compiled.fn
    for literal, at in _result_literals(
        spec.targeting, ("flags", spec.key, "targeting"), set_spec_evaluators, frozenset()
    ):
        if _variant_key(literal) not in spec.variants:
            compiler.problem(at, f"unknown variant {literal!r}", "GENERAL when this is returned")
    tables, defaults, matches, default = types.tables, types.defaults, types.matches, types.default

    def resolve_rule(ctx: dict[str, Any], expected: Any) -> Resolution:
        try:
            variant = rule(ctx)
        except InvalidRule as exc:  # flagd cannot parse the rule it reached
            return _error(ErrorCode.PARSE_ERROR, f"invalid targeting: {exc}", metadata)
        except Exception as exc:  # any failure of a rule is a GENERAL error result
            return _error(ErrorCode.GENERAL, f"targeting failed: {exc!r}", metadata)
        if variant is None:
            return defaults.get(expected) or default(expected)
        table = tables.get(expected)
        if table is None:
            table = matches(expected)
        if type(variant) is not str:
            variant = _variant_key(variant)
        found = table.get(variant)
        if found is None:
            return _error(
                ErrorCode.GENERAL, f"resolved variant {variant!r} not in variants", metadata
            )
        return found

    resolve: Resolver = resolve_rule
    if compiled.branches is not None:
        resolve = _branch_resolver(compiled.branches, types, resolve_rule, metadata)
    if require_targeting_key and compiler.uses_shorthand_fractional:
        key_missing = _error(
            ErrorCode.TARGETING_KEY_MISSING, "a targetingKey is required by this flag", metadata
        )

        def resolve_with_key(ctx: dict[str, Any], expected: Any) -> Resolution:
            return resolve(ctx, expected) if ctx.get("targetingKey") else key_missing

        return resolve_with_key, None
    return resolve, None


def _branch_resolver(
    branches: tuple[Callable[[Any], Any], Any, Any],
    types: TypeTable,
    generic: Resolver,
    metadata: Mapping[str, Any],
) -> Resolver:
    """``if`` with constant variant results: the condition picks a precomputed resolution."""
    cond, yes, no = branches
    if not all(value is None or isinstance(value, str | bool) for value in (yes, no)):
        return generic

    def outcome(value: Any, expected: Any) -> Resolution:
        if value is None:
            return types.default(expected)
        found = types.matches(expected).get(_variant_key(value))
        if found is None:
            message = f"resolved variant {_variant_key(value)!r} not in variants"
            return _error(ErrorCode.GENERAL, message, metadata)
        return found

    pairs = {t: (outcome(yes, t), outcome(no, t)) for t in types.tables}

    def resolve_branch(ctx: dict[str, Any], expected: Any) -> Resolution:
        pair = pairs.get(expected)
        if pair is None:
            return generic(ctx, expected)
        try:
            return pair[0] if cond(ctx) else pair[1]
        except InvalidRule as exc:  # flagd cannot parse the rule it reached
            return _error(ErrorCode.PARSE_ERROR, f"invalid targeting: {exc}", metadata)
        except Exception as exc:  # any failure of a rule is a GENERAL error result
            return _error(ErrorCode.GENERAL, f"targeting failed: {exc!r}", metadata)

    return resolve_branch


class CompiledFlagSet:
    """An immutable, compiled flag set. Thread-safe: evaluation mutates nothing shared."""

    __slots__ = (
        "_fixed",
        "_flags",
        "bucketing",
        "findings",
        "flag_keys",
        "metadata",
        "revision",
    )

    def __init__(
        self,
        flags: dict[str, Resolver],
        fixed: dict[str, dict[Any, Resolution]],
        metadata: Mapping[str, Any],
        revision: str,
        bucketing: Bucketing,
        findings: tuple[Finding, ...] = (),
    ) -> None:
        self._flags = flags
        self._fixed = fixed
        self.flag_keys: tuple[str, ...] = tuple(flags)
        self.metadata: Mapping[str, Any] = MappingProxyType(dict(metadata))
        self.revision = revision
        self.bucketing = bucketing
        self.findings = findings

    def evaluate(
        self, flag_key: str, context: Mapping[str, Any], expected_type: type | None = None
    ) -> Resolution:
        """Resolve one flag; never raises for bad input (errors come back as a Resolution)."""
        # Fast path: a dict context whose targetingKey is absent or a string. A present-but-null
        # targetingKey has type NoneType here and takes the checked path, which accepts it.
        if type(context) is dict and type(context.get("targetingKey", "")) is str:
            fixed = self._fixed.get(flag_key)
            if fixed is not None:
                found = fixed.get(expected_type)
                if found is not None:
                    return found
            resolver = self._flags.get(flag_key)
            if resolver is not None:
                return resolver(context, expected_type)
        return self._evaluate_checked(flag_key, context, expected_type)

    def _evaluate_checked(self, flag_key: str, context: Any, expected_type: Any) -> Resolution:
        resolver = self._flags.get(flag_key)
        if resolver is None:
            return _error(ErrorCode.FLAG_NOT_FOUND, f"flag {flag_key!r} not found", self.metadata)
        ctx: Any = context
        if type(ctx) is not dict:
            if not isinstance(ctx, Mapping):
                return _error(
                    ErrorCode.INVALID_CONTEXT, "the evaluation context must be a mapping", {}
                )
            ctx = dict(ctx)
            if not all(type(key) is str for key in ctx):
                return _error(ErrorCode.INVALID_CONTEXT, "context keys must be strings", {})
        # A targetingKey that is not a string is passed to the rules as it is, as flagd does:
        # the fractional shorthand then has no bucketing value and returns null.
        return resolver(ctx, expected_type)

    def evaluate_all(self, context: Mapping[str, Any]) -> dict[str, Resolution]:
        """Resolve every flag of the set for one context (bulk evaluation)."""
        evaluate = self.evaluate
        return {key: evaluate(key, context) for key in self.flag_keys}

    def __contains__(self, flag_key: object) -> bool:
        return flag_key in self._flags

    def __len__(self) -> int:
        return len(self._flags)

    def __repr__(self) -> str:
        return f"CompiledFlagSet({len(self._flags)} flags, revision={self.revision[:12]})"


def _select_bucketing(option: str | None, metadata: Mapping[str, Any]) -> Bucketing:
    declared = metadata.get(BUCKETING_METADATA_KEY)
    chosen: Bucketing | None = None
    if declared is not None:
        chosen = parse_bucketing(declared) if isinstance(declared, str) else None
        if chosen is None:
            raise FlagDefinitionError(
                pointer("metadata", BUCKETING_METADATA_KEY),
                f"unknown bucketing {declared!r} (use cbor, high-precision or legacy)",
            )
    if option is not None:
        requested = parse_bucketing(option)
        if requested is None:
            raise FlagDefinitionError("", f"unknown bucketing option {option!r}")
        if chosen is not None and chosen is not requested:
            raise FlagDefinitionError(
                pointer("metadata", BUCKETING_METADATA_KEY),
                f"flag set declares {chosen.value!r} bucketing but {option!r} was requested",
            )
        chosen = requested
    return chosen or DEFAULT_BUCKETING


def compile_flag_set(
    definition: str | Mapping[str, Any],
    *,
    bucketing: str | None = None,
    require_targeting_key: bool = False,
) -> CompiledFlagSet:
    """Compile a flagd flag set definition (JSON text or a parsed mapping).

    As flagd does, a set whose rules have problems still loads, and each problem becomes the
    evaluation-time error or default flagd gives it; the problems are listed, with their JSON
    pointers, in ``CompiledFlagSet.findings``. Only a document that cannot be loaded at all (not
    JSON, a flag without a valid ``state`` or ``variants``, invalid metadata, an unknown
    bucketing) raises :class:`FlagDefinitionError`, whose ``findings`` list every such problem.

    ``bucketing`` selects the ``fractional`` algorithm (``cbor``, ``high-precision`` or
    ``legacy``); a flag set may declare it in its metadata under ``sluicegate.bucketing``.
    With ``require_targeting_key``, flags that split traffic by targeting key return a
    ``TARGETING_KEY_MISSING`` error instead of their default when the context lacks one.
    """
    findings: list[Finding] = []
    document = load_definition(definition)
    spec = validate_definition(document, findings)
    algorithm = _select_bucketing(bucketing, spec.metadata)
    flags: dict[str, Resolver] = {}
    fixed: dict[str, dict[Any, Resolution]] = {}
    for key, flag in spec.flags.items():
        resolver, table = _compile_flag(
            flag, spec.evaluators, spec.metadata, algorithm, require_targeting_key, findings
        )
        flags[key] = resolver
        if table is not None:
            fixed[key] = table
    canonical = json.dumps(
        {"definition": document, "bucketing": algorithm.value},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    revision = hashlib.sha256(canonical.encode()).hexdigest()
    return CompiledFlagSet(flags, fixed, spec.metadata, revision, algorithm, tuple(findings))


def check_flag_set(
    definition: str | Mapping[str, Any], *, bucketing: str | None = None
) -> tuple[Finding, ...]:
    """Every problem of a definition, each with its JSON pointer; never raises.

    Fatal findings mean the set cannot be loaded; the others load and evaluate as flagd does.
    """
    try:
        return compile_flag_set(definition, bucketing=bucketing).findings
    except FlagDefinitionError as exc:
        return exc.findings
