"""OpenSLO v1 (``apiVersion: openslo/v1``): ``kind: SLO`` documents, with their SLIs inline or
as ``kind: SLI`` documents of the same input, read into :class:`~sluicegate.domain.slo.spec.Slo`.

What is accepted, and what is refused with a reason (docs/slo.md):

* ``budgetingMethod: Occurrences`` only: the burn-rate alerts are defined over event ratios;
  ``Timeslices`` and ``RatioTimeslices`` count good minutes, not events.
* one objective per SLO; a rolling ``timeWindow`` of whole days, 1 to 90 (default 30d).
* ``ratioMetric`` with ``good`` or ``bad`` over ``total``, or ``raw`` with ``rawType``, each a
  ``metricSource`` of type Prometheus (given, or from a ``kind: DataSource`` of the input) with
  ``spec.query``. A query holds ``{{.window}}`` where its range goes; a bare counter selector
  (``counter: true``) is wrapped as ``sum(rate(SELECTOR[{{.window}}]))``.
* ``thresholdMetric`` only on a Prometheus histogram (the ``_bucket`` series selector) with
  ``op: lte`` or ``op: gt``: that is the one threshold with an exact good/total form.
* Sluicegate's own settings are ``metadata.annotations`` (the ones starting ``sluicegate.dev/``):
  ``page-alert``/``ticket-alert`` (alert names), ``page-burn-rates``/``ticket-burn-rates``
  (two factors, ``"14.4,6"``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sluicegate.domain.slo.fields import (
    ALERT_NAME,
    ALERT_RULE,
    NAME,
    NAME_RULE,
    SELECTOR,
    Problems,
    at,
    kind_of,
)
from sluicegate.domain.slo.spec import (
    DEFAULT_WINDOW_DAYS,
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    PAGE,
    TICKET,
    Alerting,
    AlertSpec,
    BurnCondition,
    Query,
    RatioSli,
    RawSli,
    Sli,
    Slo,
    ThresholdSli,
    default_factors,
    factor_problem,
)

__all__ = [
    "ANNOTATIONS",
    "API_VERSION",
    "DEFAULT_ALERT_NAME",
    "parse_openslo",
    "parse_openslo_entries",
    "paths_for",
]

API_VERSION = "openslo/v1"
DEFAULT_ALERT_NAME = "ErrorBudgetBurn"
_PREFIX = "sluicegate.dev/"
#: Sluicegate's annotations on an SLO's metadata, and what each holds.
ANNOTATIONS = {
    f"{_PREFIX}page-alert": "the page alert's name",
    f"{_PREFIX}ticket-alert": "the ticket alert's name",
    f"{_PREFIX}page-burn-rates": "the page factors, fast and slow: '14.4,6'",
    f"{_PREFIX}ticket-burn-rates": "the ticket factors, fast and slow: '3,1'",
}
#: Kinds of the spec that say nothing the rules need; accepted and skipped.
_SKIPPED = ("Service", "AlertPolicy", "AlertCondition", "AlertNotificationTarget")
_KINDS = ("SLO", "SLI", "DataSource", *_SKIPPED)
_DURATION = re.compile(r"([0-9]{1,6})([a-zA-Z])")


@dataclass(frozen=True, slots=True)
class _Histogram:
    """A threshold SLI before the objective's ``op`` and ``value`` complete it."""

    name: str
    matchers: str


_Indicator = RatioSli | RawSli | _Histogram


def paths_for(count: int) -> list[str]:
    """The path prefix of each of ``count`` documents: none for one, ``[i]`` for several."""
    return [""] if count == 1 else [f"[{i}]" for i in range(count)]


def parse_openslo(documents: Sequence[object]) -> tuple[Slo, ...]:
    """The SLOs of a list of OpenSLO v1 documents (one file's); SloSpecError lists all errors."""
    problems = Problems()
    slos = parse_openslo_entries(
        list(zip(paths_for(len(documents)), documents, strict=True)), problems
    )
    problems.raise_if_any()
    return slos


def parse_openslo_entries(
    entries: Sequence[tuple[str, object]], problems: Problems
) -> tuple[Slo, ...]:
    """The SLOs of (path prefix, document) pairs; problems are recorded, not raised."""
    slo_docs: list[tuple[str, Mapping[str, object]]] = []
    sli_docs: list[tuple[str, Mapping[str, object]]] = []
    sources: dict[str, str | None] = {}
    for path, doc in entries:
        m = problems.mapping(doc, path or "document")
        if m is None:
            continue
        version = m.get("apiVersion")
        if version != API_VERSION:
            problems.add(at(path, "apiVersion"), f"expected {API_VERSION}, not {_shown(version)}")
            continue
        kind = m.get("kind")
        if kind not in _KINDS:
            problems.add(
                at(path, "kind"), f"expected one of {', '.join(_KINDS)}, not {_shown(kind)}"
            )
        elif kind == "SLO":
            slo_docs.append((path, m))
        elif kind == "SLI":
            sli_docs.append((path, m))
        elif kind == "DataSource":
            name, kind_ = _data_source(path, m, problems)
            if name is not None:
                sources[name] = kind_
    indicators: dict[str, _Indicator | None] = {}
    for path, m in sli_docs:
        meta = problems.mapping(m.get("metadata"), at(path, "metadata"))
        name = problems.string(
            (meta or {}).get("name"), at(path, "metadata.name"), pattern=NAME, rule=NAME_RULE
        )
        parsed = _sli_spec(m.get("spec"), at(path, "spec"), sources, problems)
        if name is not None:
            if name in indicators:
                problems.add(at(path, "metadata.name"), f"a second kind: SLI named {name!r}")
            indicators[name] = parsed
    if not slo_docs and not problems:
        problems.add("kind", "the input holds no kind: SLO document")
    slos = [_slo(path, m, indicators, sources, problems) for path, m in slo_docs]
    return tuple(s for s in slos if s is not None)


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else kind_of(value)


def _data_source(
    path: str, m: Mapping[str, object], problems: Problems
) -> tuple[str | None, str | None]:
    meta = problems.mapping(m.get("metadata"), at(path, "metadata"))
    name = problems.string((meta or {}).get("name"), at(path, "metadata.name"))
    spec = problems.mapping(m.get("spec"), at(path, "spec"))
    kind = problems.string((spec or {}).get("type"), at(path, "spec.type"))
    return name, kind


def _slo(
    path: str,
    m: Mapping[str, object],
    indicators: Mapping[str, _Indicator | None],
    sources: Mapping[str, str | None],
    problems: Problems,
) -> Slo | None:
    before = len(problems.errors)
    meta = problems.mapping(m.get("metadata"), at(path, "metadata")) or {}
    name = problems.string(
        meta.get("name"), at(path, "metadata.name"), pattern=NAME, rule=NAME_RULE
    )
    problems.string(meta.get("displayName"), at(path, "metadata.displayName"), required=False)
    labels = problems.labels(meta.get("labels"), at(path, "metadata.labels"), lists=True)
    annotations = problems.strings(meta.get("annotations"), at(path, "metadata.annotations"))

    spec_path = at(path, "spec")
    spec = problems.mapping(m.get("spec"), spec_path)
    if spec is None:
        return None
    problems.unknown(
        spec,
        (
            "description",
            "service",
            "indicator",
            "indicatorRef",
            "timeWindow",
            "budgetingMethod",
            "objectives",
            "alertPolicies",
        ),
        spec_path,
    )
    description = problems.string(
        spec.get("description"), at(spec_path, "description"), required=False, max_length=1050
    )
    service = problems.string(
        spec.get("service"), at(spec_path, "service"), pattern=NAME, rule=NAME_RULE
    )
    indicator = _indicator(spec, spec_path, indicators, sources, problems)
    window_days = _time_window(spec.get("timeWindow"), at(spec_path, "timeWindow"), problems)
    _budgeting(spec.get("budgetingMethod"), at(spec_path, "budgetingMethod"), problems)
    if spec.get("alertPolicies"):
        problems.add(
            at(spec_path, "alertPolicies"),
            "alert policies are not translated: remove them; the generated rules carry the "
            "SRE Workbook burn-rate alerts, tuned with the sluicegate.dev/ annotations",
        )
    objective, sli = _objective(spec, spec_path, indicator, problems)
    alerting = _alerting(
        annotations, at(path, "metadata.annotations"), window_days, objective, problems
    )
    if len(problems.errors) > before or None in (name, service, sli, objective, alerting):
        return None
    assert name is not None
    assert service is not None
    assert sli is not None
    assert objective is not None
    assert alerting is not None
    return Slo(
        service=service,
        name=name,
        objective=objective,
        sli=sli,
        alerting=alerting,
        window_days=window_days,
        labels=labels,
        description=description or "",
    )


def _indicator(
    spec: Mapping[str, object],
    spec_path: str,
    indicators: Mapping[str, _Indicator | None],
    sources: Mapping[str, str | None],
    problems: Problems,
) -> _Indicator | None:
    inline, ref = spec.get("indicator"), spec.get("indicatorRef")
    if inline is not None and ref is not None:
        problems.add(spec_path, "give indicator or indicatorRef, not both")
        return None
    if ref is not None:
        ref_path = at(spec_path, "indicatorRef")
        name = problems.string(ref, ref_path)
        if name is None:
            return None
        if name not in indicators:
            problems.add(
                ref_path,
                f"no kind: SLI named {name!r} in this input (an SLI in another file is not "
                "resolved: put it in the same file, or inline it as spec.indicator)",
            )
        return indicators.get(name)
    where = at(spec_path, "indicator")
    m = problems.mapping(inline, where)
    if m is None:
        return None
    problems.unknown(m, ("apiVersion", "kind", "metadata", "spec"), where)
    problems.mapping(m.get("metadata"), at(where, "metadata"), required=False)
    return _sli_spec(m.get("spec"), at(where, "spec"), sources, problems)


def _sli_spec(
    value: object, path: str, sources: Mapping[str, str | None], problems: Problems
) -> _Indicator | None:
    spec = problems.mapping(value, path)
    if spec is None:
        return None
    problems.unknown(spec, ("description", "ratioMetric", "thresholdMetric"), path)
    problems.string(spec.get("description"), at(path, "description"), required=False)
    ratio, threshold = spec.get("ratioMetric"), spec.get("thresholdMetric")
    if (ratio is None) == (threshold is None):
        problems.add(path, "give ratioMetric or thresholdMetric (one of them)")
        return None
    if ratio is not None:
        return _ratio_metric(ratio, at(path, "ratioMetric"), sources, problems)
    return _threshold_metric(threshold, at(path, "thresholdMetric"), sources, problems)


def _metric_query(  # noqa: PLR0911 - one early return per refused shape
    value: object, path: str, sources: Mapping[str, str | None], problems: Problems
) -> str | None:
    """The Prometheus query of a ``{metricSource: ...}`` mapping at ``path``."""
    holder = problems.mapping(value, path)
    if holder is None:
        return None
    problems.unknown(holder, ("metricSource",), path)
    where = at(path, "metricSource")
    source = problems.mapping(holder.get("metricSource"), where)
    if source is None:
        return None
    problems.unknown(source, ("metricSourceRef", "type", "spec"), where)
    ref = problems.string(
        source.get("metricSourceRef"), at(where, "metricSourceRef"), required=False
    )
    kind = source.get("type")
    if kind is None and ref is not None:
        if ref not in sources:
            problems.add(
                at(where, "metricSourceRef"),
                f"no kind: DataSource named {ref!r} in this input: give type",
            )
            return None
        kind = sources[ref]
    if kind is None:
        problems.add(at(where, "type"), "required (or a metricSourceRef to a DataSource)")
        return None
    if not isinstance(kind, str) or kind.lower() != "prometheus":
        problems.add(at(where, "type"), f"only Prometheus is supported, not {_shown(kind)}")
        return None
    spec = problems.mapping(source.get("spec"), at(where, "spec"))
    if spec is None:
        return None
    return problems.string(spec.get("query"), at(where, "spec.query"))


def _windowed(text: str, counter: bool | None, path: str, problems: Problems) -> Query | None:
    if Query.other_templates(text):
        problems.add(path, "{{.window}} is the only template a query may hold")
        return None
    if Query.has_window(text):
        return Query(text)
    if SELECTOR.fullmatch(text) and counter is True:
        return Query(f"sum(rate({text.strip()}[{{{{.window}}}}]))")
    if SELECTOR.fullmatch(text):
        problems.add(
            path,
            "a bare series selector is read as a counter (sum(rate(SELECTOR[window]))) only "
            "with ratioMetric.counter: true; for anything else write the range as {{.window}}",
        )
        return None
    problems.add(
        path,
        "the query needs {{.window}} where its range goes, e.g. "
        'sum(rate(http_requests_total{code=~"5.."}[{{.window}}])), or a bare counter selector',
    )
    return None


def _ratio_metric(  # noqa: PLR0911, PLR0912 - one early return per refused shape
    value: object, path: str, sources: Mapping[str, str | None], problems: Problems
) -> _Indicator | None:
    ratio = problems.mapping(value, path)
    if ratio is None:
        return None
    problems.unknown(ratio, ("counter", "good", "bad", "total", "raw", "rawType"), path)
    counter = problems.boolean(ratio.get("counter"), at(path, "counter"))
    if ratio.get("raw") is not None:
        for name in ("good", "bad", "total"):
            if ratio.get(name) is not None:
                problems.add(at(path, name), "raw is used: good, bad and total are not")
        raw_type = ratio.get("rawType")
        if raw_type not in ("success", "failure"):
            problems.add(
                at(path, "rawType"), f"expected success or failure, not {_shown(raw_type)}"
            )
        text = _metric_query(ratio.get("raw"), at(path, "raw"), sources, problems)
        query_path = at(path, "raw.metricSource.spec.query")
        if text is None or raw_type not in ("success", "failure"):
            return None
        if not Query.has_window(text):
            problems.add(query_path, "a raw ratio needs {{.window}} where its range goes")
            return None
        query = _windowed(text, None, query_path, problems)
        if query is None:
            return None
        return RawSli("error" if raw_type == "failure" else "success", query)
    if ratio.get("rawType") is not None:
        problems.add(at(path, "rawType"), "applies to raw only")
    good, bad = ratio.get("good"), ratio.get("bad")
    if (good is None) == (bad is None):
        problems.add(path, "give good or bad over total (one of good and bad)")
        return None
    counts: Literal["good", "bad"] = "good" if good is not None else "bad"
    events_text = _metric_query(
        good if good is not None else bad, at(path, counts), sources, problems
    )
    total_text = _metric_query(ratio.get("total"), at(path, "total"), sources, problems)
    events = total = None
    if events_text is not None:
        events = _windowed(
            events_text, counter, at(path, f"{counts}.metricSource.spec.query"), problems
        )
    if total_text is not None:
        total = _windowed(total_text, counter, at(path, "total.metricSource.spec.query"), problems)
    if events is None or total is None:
        return None
    return RatioSli(counts, events, total)


def _threshold_metric(
    value: object, path: str, sources: Mapping[str, str | None], problems: Problems
) -> _Indicator | None:
    text = _metric_query(value, path, sources, problems)
    if text is None:
        return None
    where = at(path, "metricSource.spec.query")
    match = SELECTOR.fullmatch(text)
    if match is None or not match.group(1).endswith("_bucket"):
        problems.add(
            where,
            "a threshold SLI has a good/total form only on a Prometheus histogram: give its "
            '_bucket series, e.g. http_request_duration_seconds_bucket{job="api"}; a '
            "threshold on another query (a quantile, a gauge) compares samples, not events",
        )
        return None
    matchers = (match.group(2) or "").strip().rstrip(",").strip()
    if re.search(r"(^|,)\s*le\s*(=|!=|=~|!~)", matchers):
        problems.add(where, "leave le out: the objective's value picks the bucket")
        return None
    return _Histogram(match.group(1).removesuffix("_bucket"), matchers)


def _time_window(value: object, path: str, problems: Problems) -> int:
    """The rolling window in days (30 when there is none)."""
    items = problems.sequence(value, path, required=False)
    if items is None:
        return DEFAULT_WINDOW_DAYS
    if len(items) != 1:
        problems.add(path, f"exactly one time window, not {len(items)}")
        return DEFAULT_WINDOW_DAYS
    where = at(path, 0)
    window = problems.mapping(items[0], where)
    if window is None:
        return DEFAULT_WINDOW_DAYS
    problems.unknown(window, ("duration", "isRolling", "calendar"), where)
    rolling = problems.boolean(window.get("isRolling"), at(where, "isRolling"))
    if window.get("calendar") is not None or rolling is False:
        problems.add(
            at(where, "isRolling"),
            "calendar-aligned windows are not supported: the burn-rate alerts need a rolling "
            "window (isRolling: true)",
        )
    text = problems.string(window.get("duration"), at(where, "duration"))
    if text is None:
        return DEFAULT_WINDOW_DAYS
    days = window_days(text)
    if isinstance(days, str):
        problems.add(at(where, "duration"), days)
        return DEFAULT_WINDOW_DAYS
    return days


def window_days(text: str) -> int | str:
    """``30d``, ``4w``, ``720h`` as days; or why ``text`` is not a window of whole days."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        return f"{text[:40]!r} is not a duration such as 30d or 4w"
    count, unit = int(match.group(1)), match.group(2)
    if unit in ("M", "Q", "Y"):
        return "months, quarters and years differ in length: write days (e.g. 30d or 28d)"
    days = {"d": count, "w": 7 * count}.get(unit)
    if unit == "h" and count % 24 == 0:
        days = count // 24
    if days is None:
        return f"{text!r} is not a whole number of days (use d or w)"
    if not MIN_WINDOW_DAYS <= days <= MAX_WINDOW_DAYS:
        return f"a window of {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS} days, not {days}"
    return days


def _budgeting(value: object, path: str, problems: Problems) -> None:
    if value == "Occurrences":
        return
    if value in ("Timeslices", "RatioTimeslices"):
        problems.add(
            path,
            f"{value} is not supported: it budgets good time slices, and the burn-rate alerts "
            "generated here compare event ratios; use Occurrences",
        )
    elif value is None:
        problems.add(path, "required (Occurrences)")
    else:
        problems.add(path, f"expected Occurrences, not {_shown(value)}")


def _objective(
    spec: Mapping[str, object],
    spec_path: str,
    indicator: _Indicator | None,
    problems: Problems,
) -> tuple[float | None, Sli | None]:
    path = at(spec_path, "objectives")
    items = problems.sequence(spec.get("objectives"), path)
    if items is None:
        return None, None
    if len(items) != 1:
        problems.add(
            path,
            f"one objective per SLO, not {len(items)}: give each objective an SLO document "
            "of its own (an SLI document can serve several through indicatorRef)",
        )
        return None, None
    where = at(path, 0)
    item = problems.mapping(items[0], where)
    if item is None:
        return None, None
    problems.unknown(
        item,
        (
            "displayName",
            "op",
            "value",
            "target",
            "targetPercent",
            "timeSliceTarget",
            "timeSliceWindow",
        ),
        where,
    )
    for name in ("timeSliceTarget", "timeSliceWindow"):
        if item.get(name) is not None:
            problems.add(at(where, name), "applies to Timeslices budgeting only")
    objective = _target(item, where, problems)
    op, value = item.get("op"), item.get("value")
    if not isinstance(indicator, _Histogram):
        for name in ("op", "value"):
            if item.get(name) is not None:
                problems.add(at(where, name), "applies to a thresholdMetric SLI only")
        return objective, indicator
    sli: Sli | None = None
    if op in ("lt", "gte"):
        problems.add(
            at(where, "op"),
            f"{op} has no exact form on a histogram, whose buckets count values <= their "
            "bound: use lte (good when <= value) or gt (good when > value)",
        )
    elif op not in ("lte", "gt"):
        problems.add(at(where, "op"), f"expected lte or gt, not {_shown(op)}")
    bound = problems.number(value, at(where, "value"))
    if bound is not None and bound <= 0:
        problems.add(at(where, "value"), "a histogram bucket bound > 0")
        bound = None
    if bound is not None and op in ("lte", "gt"):
        sli = ThresholdSli(
            indicator.name, indicator.matchers, "lte" if op == "lte" else "gt", bound
        )
    return objective, sli


def _target(item: Mapping[str, object], where: str, problems: Problems) -> float | None:
    target, percent = item.get("target"), item.get("targetPercent")
    if (target is None) == (percent is None):
        problems.add(where, "give target or targetPercent (one of them)")
        return None
    name, scale = ("target", 1) if target is not None else ("targetPercent", 100)
    number = problems.number(target if target is not None else percent, at(where, name))
    if number is None:
        return None
    if not 0 < number < scale:
        problems.add(at(where, name), f"between 0 and {scale} (exclusive), not {number:g}")
        return None
    return float(Decimal(repr(number)) / scale)


def _alerting(
    annotations: Mapping[str, str],
    path: str,
    window: int,
    objective: float | None,
    problems: Problems,
) -> Alerting | None:
    for key in annotations:
        if key.startswith(_PREFIX) and key not in ANNOTATIONS:
            problems.add(at(path, key), f"unknown: expected one of {', '.join(ANNOTATIONS)}")
    specs: list[AlertSpec | None] = []
    for kind, conditions in (("page", PAGE), ("ticket", TICKET)):
        name_key, rates_key = f"{_PREFIX}{kind}-alert", f"{_PREFIX}{kind}-burn-rates"
        name = annotations.get(name_key, DEFAULT_ALERT_NAME)
        if not ALERT_NAME.fullmatch(name):
            problems.add(at(path, name_key), f"{name[:80]!r} is not {ALERT_RULE}")
        factors = _factors(
            annotations.get(rates_key), at(path, rates_key), window, conditions, objective, problems
        )
        specs.append(AlertSpec(name, factors) if factors is not None else None)
    page, ticket = specs
    if page is None or ticket is None:
        return None
    return Alerting(page=page, ticket=ticket)


def _factors(
    text: str | None,
    path: str,
    window: int,
    conditions: tuple[BurnCondition, BurnCondition],
    objective: float | None,
    problems: Problems,
) -> tuple[float, float] | None:
    if text is None:
        factors = default_factors(window, conditions)
    else:
        parts = [p.strip() for p in text.split(",")]
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            numbers = []
        if len(numbers) != 2:
            problems.add(path, f"two numbers, fast and slow (e.g. '14.4,6'), not {text[:40]!r}")
            return None
        factors = (numbers[0], numbers[1])
    if objective is None:
        return factors
    budget = float(1 - Decimal(repr(objective)))
    reasons = [
        factor_problem(factor, budget, c.long)
        if math.isfinite(factor)
        else "a burn-rate factor must be a finite number"
        for factor, c in zip(factors, conditions, strict=True)
    ]
    for reason in filter(None, reasons):
        default = f" (the default factors for {window} days; set this annotation)"
        problems.add(path, reason if text is not None else reason + default)
    return None if any(reasons) else factors
