"""Sloth's ``version: "prometheus/v1"`` spec: a service, its labels and its SLOs, read into
:class:`~sluicegate.domain.slo.spec.Slo`.

Every field of the format is read (``slos[].sli.events``/``raw``, ``alerting`` with its
``page_alert`` and ``ticket_alert``); ``sli.plugin`` (Sloth's Go plugins) is refused. Sloth's
format has no window and no burn-rate factors: the window is Sloth's default, 30 days, and the
factors are the SRE Workbook's, which are Sloth's own defaults too. Unknown fields are errors
(a misspelt ``objetive`` would otherwise be dropped in silence).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sluicegate.domain.slo.fields import (
    ALERT_NAME,
    ALERT_RULE,
    NAME,
    NAME_RULE,
    Problems,
    at,
)
from sluicegate.domain.slo.spec import (
    DEFAULT_WINDOW_DAYS,
    PAGE,
    TICKET,
    Alerting,
    AlertSpec,
    Query,
    RatioSli,
    RawSli,
    Sli,
    Slo,
    default_factors,
    factor_problem,
)

__all__ = ["VERSION", "parse_sloth", "parse_sloth_entry"]

VERSION = "prometheus/v1"


def parse_sloth(document: object) -> tuple[Slo, ...]:
    """The SLOs of one Sloth ``prometheus/v1`` document; SloSpecError lists every error."""
    problems = Problems()
    slos = parse_sloth_entry("", document, problems)
    problems.raise_if_any()
    return slos


def parse_sloth_entry(path: str, document: object, problems: Problems) -> tuple[Slo, ...]:
    """The SLOs of the document at ``path``; problems are recorded, not raised."""
    doc = problems.mapping(document, path or "document")
    if doc is None:
        return ()
    problems.unknown(doc, ("version", "service", "labels", "slos"), path)
    version = doc.get("version")
    if version != VERSION:
        shown = repr(version) if isinstance(version, str) else "missing"
        problems.add(at(path, "version"), f"expected {VERSION!r}, not {shown}")
    service = problems.string(doc.get("service"), at(path, "service"), pattern=NAME, rule=NAME_RULE)
    labels = problems.labels(doc.get("labels"), at(path, "labels"))
    items = problems.sequence(doc.get("slos"), at(path, "slos"))
    if items is not None and not items:
        problems.add(at(path, "slos"), "at least one SLO")
    slos: list[Slo] = []
    seen: set[str] = set()
    for index, item in enumerate(items or []):
        where = at(at(path, "slos"), index)
        slo = _slo(where, item, service, labels, problems)
        if slo is None:
            continue
        if slo.name in seen:
            problems.add(at(where, "name"), f"a second SLO named {slo.name!r}")
            continue
        seen.add(slo.name)
        slos.append(slo)
    return tuple(slos)


def _slo(
    path: str,
    value: object,
    service: str | None,
    service_labels: Mapping[str, str],
    problems: Problems,
) -> Slo | None:
    before = len(problems.errors)
    m = problems.mapping(value, path)
    if m is None:
        return None
    problems.unknown(m, ("name", "objective", "description", "labels", "sli", "alerting"), path)
    name = problems.string(m.get("name"), at(path, "name"), pattern=NAME, rule=NAME_RULE)
    percent = problems.number(m.get("objective"), at(path, "objective"))
    objective = None
    if percent is not None:
        if 0 < percent < 100:
            objective = float(Decimal(repr(percent)) / 100)
        else:
            problems.add(
                at(path, "objective"),
                f"a percentage between 0 and 100 (exclusive), e.g. 99.9, not {percent:g}",
            )
    description = problems.string(m.get("description"), at(path, "description"), required=False)
    labels = {**service_labels, **problems.labels(m.get("labels"), at(path, "labels"))}
    sli = _sli(m.get("sli"), at(path, "sli"), problems)
    alerting = _alerting(m.get("alerting"), at(path, "alerting"), objective, problems)
    if len(problems.errors) > before or service is None:
        return None
    assert name is not None
    assert service is not None
    assert objective is not None
    assert sli is not None
    assert alerting is not None
    return Slo(
        service=service,
        name=name,
        objective=objective,
        sli=sli,
        alerting=alerting,
        window_days=DEFAULT_WINDOW_DAYS,
        labels=labels,
        description=description or "",
    )


def _query(value: object, path: str, problems: Problems) -> Query | None:
    text = problems.string(value, path)
    if text is None:
        return None
    if not Query.has_window(text):
        problems.add(path, "the query needs {{.window}} where its range goes")
        return None
    if Query.other_templates(text):
        problems.add(path, "{{.window}} is the only template a query may hold")
        return None
    return Query(text)


def _sli(value: object, path: str, problems: Problems) -> Sli | None:  # noqa: PLR0911 - one early return per refused shape
    sli = problems.mapping(value, path)
    if sli is None:
        return None
    problems.unknown(sli, ("events", "raw", "plugin"), path)
    given = [k for k in ("events", "raw", "plugin") if sli.get(k) is not None]
    if len(given) != 1:
        problems.add(path, "give exactly one of events and raw")
        return None
    if given == ["plugin"]:
        problems.add(
            at(path, "plugin"),
            "SLI plugins (Sloth's Go code) are not supported: write the queries as events or raw",
        )
        return None
    if given == ["raw"]:
        where = at(path, "raw")
        raw = problems.mapping(sli["raw"], where)
        if raw is None:
            return None
        problems.unknown(raw, ("error_ratio_query",), where)
        query = _query(raw.get("error_ratio_query"), at(where, "error_ratio_query"), problems)
        return None if query is None else RawSli("error", query)
    where = at(path, "events")
    events = problems.mapping(sli["events"], where)
    if events is None:
        return None
    problems.unknown(events, ("error_query", "total_query"), where)
    error = _query(events.get("error_query"), at(where, "error_query"), problems)
    total = _query(events.get("total_query"), at(where, "total_query"), problems)
    if error is None or total is None:
        return None
    return RatioSli("bad", error, total)


def _alert(
    value: object, path: str, problems: Problems
) -> tuple[bool, dict[str, str], dict[str, str]]:
    m = problems.mapping(value, path, required=False) or {}
    problems.unknown(m, ("disable", "labels", "annotations"), path)
    disable = problems.boolean(m.get("disable"), at(path, "disable"))
    labels = problems.labels(m.get("labels"), at(path, "labels"))
    annotations = problems.strings(m.get("annotations"), at(path, "annotations"))
    return not disable, labels, annotations


def _alerting(
    value: object, path: str, objective: float | None, problems: Problems
) -> Alerting | None:
    m = problems.mapping(value, path)
    if m is None:
        return None
    problems.unknown(m, ("name", "labels", "annotations", "page_alert", "ticket_alert"), path)
    labels = problems.labels(m.get("labels"), at(path, "labels"))
    annotations = problems.strings(m.get("annotations"), at(path, "annotations"))
    page_on, page_labels, page_notes = _alert(m.get("page_alert"), at(path, "page_alert"), problems)
    ticket_on, ticket_labels, ticket_notes = _alert(
        m.get("ticket_alert"), at(path, "ticket_alert"), problems
    )
    name = problems.string(
        m.get("name"),
        at(path, "name"),
        required=page_on or ticket_on,
        pattern=ALERT_NAME,
        rule=ALERT_RULE,
    )
    page_factors = default_factors(DEFAULT_WINDOW_DAYS, PAGE)
    ticket_factors = default_factors(DEFAULT_WINDOW_DAYS, TICKET)
    if objective is not None:
        budget = float(1 - Decimal(repr(objective)))
        for on, factors, conditions, kind in (
            (page_on, page_factors, PAGE, "page_alert"),
            (ticket_on, ticket_factors, TICKET, "ticket_alert"),
        ):
            for factor, condition in zip(factors, conditions, strict=True):
                reason = factor_problem(factor, budget, condition.long)
                if on and reason is not None:
                    problems.add(
                        at(path, kind),
                        f"{reason}; Sloth's format cannot set factors: set disable: true",
                    )
    return Alerting(
        page=AlertSpec(name or "", page_factors, page_on, page_labels, page_notes),
        ticket=AlertSpec(name or "", ticket_factors, ticket_on, ticket_labels, ticket_notes),
        labels=labels,
        annotations=annotations,
    )
