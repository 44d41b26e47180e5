"""Validating rollout plans: every bad field named at once, the default ramps filled in."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sluicegate.domain.errors import FieldError, InvalidInput
from sluicegate.domain.rollouts.plan import (
    DEFAULT_RAMP,
    AnalysisSpec,
    RolloutPlan,
    Step,
    StepKind,
    Target,
    TargetKind,
)

__all__ = ["parse_plan"]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_MAX_STEPS = 100
_MAX_PAUSE_SECONDS = 30 * 24 * 3600


# -- parsing -------------------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, path: str, reason: str) -> None:
        self.items.append(FieldError(path, reason))


def _mapping(value: object, path: str, errs: _Errors) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errs.add(path, "must be a mapping")
        return {}
    return value


def _unknown(data: Mapping[str, Any], allowed: set[str], path: str, errs: _Errors) -> None:
    for key in data:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            errs.add(where, f"unknown field; allowed: {', '.join(sorted(allowed))}")


def _slug(value: object, path: str, errs: _Errors, *, required: bool = True) -> str | None:
    if value is None:
        if required:
            errs.add(path, "is required")
        return None
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        errs.add(path, "must be a lower-case slug (a-z, 0-9, '-'; at most 63 characters)")
        return None
    return value


def _percent(value: object, path: str, errs: _Errors) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        errs.add(path, f"must be an integer percentage 0..100, got {value!r}")
        return None
    return value


def _target(value: object, errs: _Errors) -> Target | None:
    data = _mapping(value, "target", errs)
    if not data:
        errs.add("target", "is required: a flag, a deployment or a blue-green switch")
        return None
    try:
        kind = TargetKind(str(data.get("kind")))
    except ValueError:
        errs.add("target.kind", f"one of {', '.join(k.value for k in TargetKind)}")
        return None
    if kind is TargetKind.FLAG:
        allowed = {"kind", "flag_set", "environment", "flag", "on_variant", "off_variant"}
        _unknown(data, allowed | {"ring_attribute"}, "target", errs)
        flag = data.get("flag")
        if not isinstance(flag, str) or not flag.strip():
            errs.add("target.flag", "is required: the flag's key in the flag set")
        attribute = data.get("ring_attribute", "ring")
        if not isinstance(attribute, str) or not _ATTRIBUTE.fullmatch(attribute):
            errs.add("target.ring_attribute", "must be an evaluation-context attribute name")
        variants = [data.get("on_variant", "on"), data.get("off_variant", "off")]
        for name, v in zip(("on_variant", "off_variant"), variants, strict=True):
            if not isinstance(v, str) or not v:
                errs.add(f"target.{name}", "must be a variant name")
        if variants[0] == variants[1]:
            errs.add("target.off_variant", "must differ from on_variant")
        return Target(
            kind,
            flag_set=_slug(data.get("flag_set"), "target.flag_set", errs),
            environment=_slug(data.get("environment"), "target.environment", errs),
            flag=flag if isinstance(flag, str) else None,
            on_variant=str(variants[0]),
            off_variant=str(variants[1]),
            ring_attribute=str(attribute),
        )
    _unknown(data, {"kind", "service", "deployment", "environment"}, "target", errs)
    service = _slug(data.get("service"), "target.service", errs)
    deployment = _slug(data.get("deployment"), "target.deployment", errs, required=False)
    environment = _slug(data.get("environment"), "target.environment", errs, required=False)
    return Target(kind, environment=environment, service=service, deployment=deployment or service)


def _analysis(
    value: object, path: str, defaults: AnalysisSpec, errs: _Errors
) -> AnalysisSpec | None:
    data = _mapping(value, path, errs)
    _unknown(data, {"intervals", "judge", "monitor", "queries", "source"}, path, errs)
    intervals = data.get("intervals", defaults.intervals)
    valid = not (
        isinstance(intervals, bool) or not isinstance(intervals, int) or not 1 <= intervals <= 1000
    )
    if not valid:
        errs.add(f"{path}.intervals", "must be an integer 1..1000")
    parts: dict[str, Mapping[str, Any]] = {}
    for name in ("judge", "monitor", "queries", "source"):
        raw = data.get(name, getattr(defaults, name))
        parts[name] = dict(_mapping(raw, f"{path}.{name}", errs))
    return AnalysisSpec(intervals=intervals, **parts) if valid else None


_STEP_KEYS = {"ring", "weight", "switch", "pause", "analysis"}


def _ring(body: object, where: str, gate: str | None, errs: _Errors) -> Step:
    ring = _mapping(body, where, errs)
    _unknown(ring, {"name", "segments", "weight"}, where, errs)
    name = _slug(ring.get("name"), f"{where}.name", errs)
    segments = ring.get("segments")
    if not isinstance(segments, list) or not segments:
        errs.add(f"{where}.segments", "is required: a non-empty list of segment names")
        segments = []
    elif not all(isinstance(s, str) and s for s in segments):
        errs.add(f"{where}.segments", "must be strings")
        segments = []
    weight = _percent(ring["weight"], f"{where}.weight", errs) if "weight" in ring else None
    return Step(StepKind.RING, ring=name, segments=tuple(segments), weight=weight, gate=gate)


def _pause(body: object, where: str, gate: str | None, errs: _Errors) -> Step | None:
    pause = _mapping(body, where, errs)
    _unknown(pause, {"seconds", "until"}, where, errs)
    until = pause.get("until")
    seconds = pause.get("seconds")
    if until is not None and until != "approved":
        errs.add(f"{where}.until", "the only value is 'approved'")
    if (until is None) == (seconds is None):
        errs.add(where, "give either seconds or until: approved")
        return None
    if seconds is not None and (
        isinstance(seconds, bool)
        or not isinstance(seconds, int)
        or not 0 < seconds <= _MAX_PAUSE_SECONDS
    ):
        errs.add(f"{where}.seconds", f"must be an integer 1..{_MAX_PAUSE_SECONDS}")
        return None
    return Step(StepKind.PAUSE, seconds=seconds, until_approved=until == "approved", gate=gate)


def _step(raw: object, path: str, defaults: AnalysisSpec, errs: _Errors) -> Step | None:
    data = _mapping(raw, path, errs)
    kinds = [k for k in data if k in _STEP_KEYS]
    if len(kinds) != 1:
        errs.add(path, f"a step has exactly one of: {', '.join(sorted(_STEP_KEYS))}")
        return None
    kind = StepKind(kinds[0])
    _unknown(data, {kind.value, "gate"}, path, errs)
    gate = _slug(data.get("gate"), f"{path}.gate", errs, required=False)
    body = data[kind.value]
    where = f"{path}.{kind.value}"
    if kind is StepKind.WEIGHT:
        weight = _percent(body, where, errs)
        return None if weight is None else Step(kind, weight=weight, gate=gate)
    if kind is StepKind.SWITCH:
        if body not in (True, {}, None):
            errs.add(where, "write `switch: true`")
        return Step(kind, weight=100, gate=gate)
    if kind is StepKind.RING:
        return _ring(body, where, gate, errs)
    if kind is StepKind.PAUSE:
        return _pause(body, where, gate, errs)
    spec = _analysis(body, where, defaults, errs)
    return None if spec is None else Step(kind, analysis=spec, gate=gate)


def _default_steps(kind: TargetKind, analysis: AnalysisSpec) -> tuple[Step, ...]:
    if kind is TargetKind.BLUE_GREEN:
        return (
            Step(StepKind.ANALYSIS, analysis=analysis),
            Step(StepKind.SWITCH, weight=100),
            Step(StepKind.ANALYSIS, analysis=analysis),
        )
    steps: list[Step] = []
    for weight in DEFAULT_RAMP:
        steps.append(Step(StepKind.WEIGHT, weight=weight))
        if weight < 100:
            steps.append(Step(StepKind.ANALYSIS, analysis=analysis))
    steps.append(Step(StepKind.ANALYSIS, analysis=analysis))
    return tuple(steps)


def _check_shape(target: Target, indexed: Sequence[tuple[int, Step]], errs: _Errors) -> None:
    """Rules over the whole list; ``indexed`` pairs each parsed step with its index in the plan
    (a step that did not parse is missing, its own problems already reported)."""
    steps = [s for _, s in indexed]
    if not steps:
        errs.add("steps", "a plan needs at least one step")
        return
    if len(steps) > _MAX_STEPS:
        errs.add("steps", f"at most {_MAX_STEPS} steps")
    if not any(s.kind.applies for s in steps):
        errs.add("steps", "no step changes the target (add weight, ring or switch steps)")
    _check_steps(target, indexed, errs)
    if target.kind is TargetKind.BLUE_GREEN:
        _check_blue_green(steps, errs)


def _check_steps(target: Target, indexed: Sequence[tuple[int, Step]], errs: _Errors) -> None:
    previous = 0
    for i, step in indexed:
        if step.kind is StepKind.RING and target.kind is not TargetKind.FLAG:
            errs.add(f"steps[{i}].ring", "rings target flag evaluation; use weight steps here")
        if step.kind is StepKind.SWITCH and target.kind is not TargetKind.BLUE_GREEN:
            errs.add(f"steps[{i}].switch", "switch belongs to blue-green targets")
        if target.kind is TargetKind.BLUE_GREEN and step.kind is StepKind.WEIGHT:
            errs.add(f"steps[{i}].weight", "blue-green switches at once; use a switch step")
        if step.weight is not None and step.kind.applies:
            if step.weight < previous:
                errs.add(f"steps[{i}]", f"weights only go up ({step.weight} after {previous})")
            previous = step.weight


def _check_blue_green(steps: Sequence[Step], errs: _Errors) -> None:
    switches = [i for i, s in enumerate(steps) if s.kind is StepKind.SWITCH]
    if len(switches) != 1:
        errs.add("steps", "a blue-green plan has exactly one switch step")
        return
    at = switches[0]
    before = any(s.kind is StepKind.ANALYSIS for s in steps[:at])
    after = any(s.kind is StepKind.ANALYSIS for s in steps[at + 1 :])
    if not (before and after):
        errs.add("steps", "a blue-green switch needs an analysis before and after it")


def _services(raw: object, errs: _Errors) -> list[str]:
    services: list[str] = []
    if not isinstance(raw, list):
        errs.add("services", "must be a list of service names")
        return services
    for i, s in enumerate(raw):
        name = _slug(s, f"services[{i}]", errs)
        if name and name not in services:
            services.append(name)
    return services


_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
MAX_PLAN_REVISIONS = 100


def _revisions(raw: object, errs: _Errors) -> list[tuple[str, str]]:
    """``revisions: [{repo, sha}]``, what the rollout ships (optional)."""
    found: list[tuple[str, str]] = []
    if not isinstance(raw, list) or len(raw) > MAX_PLAN_REVISIONS:
        errs.add("revisions", f"must be a list of at most {MAX_PLAN_REVISIONS} {{repo, sha}}")
        return found
    for i, item in enumerate(raw):
        where = f"revisions[{i}]"
        if not isinstance(item, dict) or set(item) != {"repo", "sha"}:
            errs.add(where, "must be {repo, sha}")
            continue
        repo, sha = item["repo"], item["sha"]
        if not isinstance(repo, str) or not 1 <= len(repo) <= 200 or not repo.isprintable():
            errs.add(f"{where}.repo", "1-200 printable characters")
        elif not isinstance(sha, str) or not _SHA.match(sha):
            errs.add(f"{where}.sha", "7-64 hexadecimal digits")
        elif any(r == repo for r, _ in found):
            errs.add(f"{where}.repo", f"{repo!r} is listed twice")
        else:
            found.append((repo, sha.lower()))
    return found


def parse_plan(document: object) -> RolloutPlan:
    """Validate a plan; :class:`InvalidInput` names every bad field at once."""
    errs = _Errors()
    data = _mapping(document, "plan", errs)
    if errs.items:
        raise InvalidInput("the rollout plan is not a mapping", errors=errs.items)
    _unknown(data, {"target", "steps", "services", "analysis", "revisions"}, "", errs)
    revisions = _revisions(data.get("revisions", []), errs)
    target = _target(data.get("target"), errs)
    defaults = _analysis(data.get("analysis"), "analysis", AnalysisSpec(), errs) or AnalysisSpec()
    services = _services(data.get("services", []), errs)
    if target is not None and target.service and target.service not in services:
        services.append(target.service)
    raw_steps = data.get("steps")
    indexed: list[tuple[int, Step]] = []
    parsed_all = True
    if raw_steps is None:
        if target is not None:
            indexed = list(enumerate(_default_steps(target.kind, defaults)))
    elif not isinstance(raw_steps, list):
        errs.add("steps", "must be a list")
        parsed_all = False
    else:
        for i, raw in enumerate(raw_steps):
            step = _step(raw, f"steps[{i}]", defaults, errs)
            if step is not None:
                indexed.append((i, step))
            else:
                parsed_all = False
    # The whole-plan rules run even when other fields are bad, so that one answer names every
    # problem (docs/rollouts.md); only "no step" waits until every step parsed.
    if target is not None and (indexed or parsed_all):
        _check_shape(target, indexed, errs)
    steps = [s for _, s in indexed]
    if errs.items or target is None:
        raise InvalidInput(
            f"the rollout plan is invalid: {len(errs.items)} problem(s)", errors=errs.items
        )
    return RolloutPlan(target, tuple(steps), tuple(services), tuple(revisions))
