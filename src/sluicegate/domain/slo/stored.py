"""SLOs as stored: an input's text read into documents, and the normalised spec as JSON.

The server keeps each SLO's normalised spec (:func:`slo_to_dict`), which is what decides
whether an apply changes it, and rebuilds the SLO from it (:func:`slo_from_dict`) to generate
the rules of any stored revision, whatever the parsers read later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import yaml

from sluicegate.domain.slo.fields import Problems
from sluicegate.domain.slo.spec import (
    Alerting,
    AlertSpec,
    Query,
    RatioSli,
    RawSli,
    Sli,
    Slo,
    ThresholdSli,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "Format",
    "formats_of",
    "load_text",
    "rules_yaml",
    "slo_from_dict",
    "slo_to_dict",
]

Format = Literal["openslo", "sloth"]

#: The limits of an input read from text (as the API's bodies: api/documents.py).
MAX_DEPTH = 64
MAX_NODES = 1_000_000


def _bad_string(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone UTF-16 surrogate (not valid Unicode)"
    return None


def _check(doc: object, problems: Problems) -> None:
    """Refuse what cannot be stored: too deep, too many values (YAML aliases), bad strings."""
    stack: list[tuple[object, str, int]] = [(doc, "document", 0)]
    seen = 0
    while stack:
        value, path, depth = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            problems.add("document", f"the document expands to more than {MAX_NODES} values")
            return
        if depth > MAX_DEPTH:
            problems.add(path, f"nested more than {MAX_DEPTH} levels deep")
            return
        if isinstance(value, str):
            if reason := _bad_string(value):
                problems.add(path, reason)
                return
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(key, str) and (reason := _bad_string(key)):
                    problems.add(path, f"a key {reason}")
                    return
                stack.append((item, f"{path}.{key}", depth + 1))
        elif isinstance(value, list | tuple):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))


def load_text(text: str) -> list[object]:
    """The documents of a YAML (or JSON) input: ``---`` separates documents, and a top-level
    list is a list of documents. SloSpecError names what cannot be read."""
    problems = Problems()
    try:
        loaded = list(yaml.safe_load_all(text))
    except RecursionError:
        problems.add("document", f"nested more than {MAX_DEPTH} levels deep")
        problems.raise_now()
    except (yaml.YAMLError, ValueError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problems.add(
            "document", f"not valid YAML or JSON: {where}{getattr(exc, 'problem', None) or exc}"
        )
        problems.raise_now()
    documents: list[object] = []
    for doc in loaded:
        if doc is None:
            continue
        documents.extend(doc if isinstance(doc, list) else [doc])
    for doc in documents:
        _check(doc, problems)
    problems.raise_if_any()
    return documents


def formats_of(documents: Sequence[object]) -> dict[tuple[str, str], Format]:
    """The format of each (service, name) the Sloth documents define; the others are OpenSLO."""
    found: dict[tuple[str, str], Format] = {}
    for doc in documents:
        if isinstance(doc, Mapping) and "version" in doc and "apiVersion" not in doc:
            slos = doc.get("slos")
            for entry in slos if isinstance(slos, list) else []:
                if isinstance(entry, Mapping):
                    found[(str(doc.get("service")), str(entry.get("name")))] = "sloth"
    return found


def _sli(sli: Sli) -> dict[str, Any]:
    if isinstance(sli, RatioSli):
        return {
            "kind": "ratio",
            "counts": sli.counts,
            "events": sli.events.template,
            "total": sli.total.template,
        }
    if isinstance(sli, RawSli):
        return {"kind": "raw", "ratio": sli.ratio, "query": sli.query.template}
    return {
        "kind": "threshold",
        "histogram": sli.histogram,
        "matchers": sli.matchers,
        "op": sli.op,
        "value": sli.value,
    }


def _alert(alert: AlertSpec) -> dict[str, Any]:
    return {
        "name": alert.name,
        "factors": list(alert.factors),
        "enabled": alert.enabled,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
    }


def slo_to_dict(slo: Slo) -> dict[str, Any]:
    """The normalised spec: JSON-shaped, equal for equal SLOs whatever the format they came in."""
    return {
        "service": slo.service,
        "name": slo.name,
        "objective": slo.objective,
        "window_days": slo.window_days,
        "description": slo.description,
        "labels": dict(slo.labels),
        "sli": _sli(slo.sli),
        "alerting": {
            "page": _alert(slo.alerting.page),
            "ticket": _alert(slo.alerting.ticket),
            "labels": dict(slo.alerting.labels),
            "annotations": dict(slo.alerting.annotations),
        },
    }


def _sli_from(d: Mapping[str, Any]) -> Sli:
    if d["kind"] == "ratio":
        return RatioSli(d["counts"], Query(d["events"]), Query(d["total"]))
    if d["kind"] == "raw":
        return RawSli(d["ratio"], Query(d["query"]))
    return ThresholdSli(d["histogram"], d["matchers"], d["op"], float(d["value"]))


def _alert_from(d: Mapping[str, Any]) -> AlertSpec:
    fast, slow = d["factors"]
    return AlertSpec(
        d["name"],
        (float(fast), float(slow)),
        d["enabled"],
        dict(d["labels"]),
        dict(d["annotations"]),
    )


def slo_from_dict(d: Mapping[str, Any]) -> Slo:
    """The SLO of a normalised spec (:func:`slo_to_dict`)."""
    alerting = d["alerting"]
    return Slo(
        service=d["service"],
        name=d["name"],
        objective=float(d["objective"]),
        sli=_sli_from(d["sli"]),
        alerting=Alerting(
            _alert_from(alerting["page"]),
            _alert_from(alerting["ticket"]),
            dict(alerting["labels"]),
            dict(alerting["annotations"]),
        ),
        window_days=int(d["window_days"]),
        labels=dict(d["labels"]),
        description=d["description"],
    )


def rules_yaml(document: Mapping[str, Any]) -> str:
    """A rule file as YAML for people: multi-line expressions as literal blocks, keys in the
    order made (what ``sluice slo rules`` writes)."""

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        literal = "\n" in value and all(line == line.rstrip() for line in value.splitlines())
        return dumper.represent_scalar(
            "tag:yaml.org,2002:str", value, style="|" if literal else None
        )

    Dumper.add_representer(str, text)
    return yaml.dump(dict(document), Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
