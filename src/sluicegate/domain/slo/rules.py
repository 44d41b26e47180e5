"""A Prometheus rule file for SLOs: recorded error ratios, metadata and burn-rate alerts.

For each SLO, three rule groups (docs/slo.md has the reasoning):

* ``sluicegate-slo/<service>/<slo>/sli``: ``slo:sli_error:ratio_rate<W>`` for each window W of
  :data:`~sluicegate.domain.slo.spec.WINDOWS` (5m ... 3d), then the period's error ratio
  ``slo:sli_error:ratio_rate<N>d``, the average of the 5m ratio over the N-day window;
* ``.../meta``: ``slo:objective:ratio``, ``slo:error_budget:ratio``, ``slo:time_period:days``,
  ``slo:current_burn_rate:ratio`` (5m), ``slo:period_burn_rate:ratio`` and
  ``slo:period_error_budget_remaining:ratio``;
* ``.../alerts``: the page and ticket alerts of the SRE Workbook (multiwindow, multi-burn-rate).

Every series carries ``sluicegate_service`` and ``sluicegate_slo`` (which select it), the SLO's
own labels, and on the ratios ``sluicegate_window``; the alerts carry ``sluicegate_severity``
(``page`` or ``ticket``). The alert expressions read the recorded ratios only, so their windows
are the recorded windows by construction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sluicegate.domain.slo.spec import (
    PAGE,
    TICKET,
    WINDOWS,
    AlertSpec,
    BurnCondition,
    Slo,
    SloSpecError,
    number_text,
)
from sluicegate.errors import FieldError

__all__ = [
    "ERROR_RATIO",
    "LABEL_SERVICE",
    "LABEL_SEVERITY",
    "LABEL_SLO",
    "LABEL_WINDOW",
    "burn_expression",
    "group_names",
    "rule_file",
    "slo_groups",
]

ERROR_RATIO = "slo:sli_error:ratio_rate{window}"
LABEL_SERVICE = "sluicegate_service"
LABEL_SLO = "sluicegate_slo"
LABEL_WINDOW = "sluicegate_window"
LABEL_SEVERITY = "sluicegate_severity"


def _quoted(value: str) -> str:
    """A PromQL string literal (JSON's escapes are PromQL's)."""
    return json.dumps(value, ensure_ascii=False)


def _selector(slo: Slo) -> str:
    return f"{{{LABEL_SERVICE}={_quoted(slo.service)},{LABEL_SLO}={_quoted(slo.name)}}}"


def _ids(slo: Slo) -> dict[str, str]:
    return {**slo.labels, LABEL_SERVICE: slo.service, LABEL_SLO: slo.name}


def _ratio(slo: Slo, window: str) -> str:
    return ERROR_RATIO.format(window=window) + _selector(slo)


def group_names(slo: Slo) -> tuple[str, str, str]:
    base = f"sluicegate-slo/{slo.service}/{slo.name}"
    return f"{base}/sli", f"{base}/meta", f"{base}/alerts"


def _period(slo: Slo) -> str:
    return f"{slo.window_days}d"


def _sli_rules(slo: Slo) -> list[dict[str, Any]]:
    rules = [
        {
            "record": ERROR_RATIO.format(window=w),
            "expr": slo.sli.error_ratio(w),
            "labels": {**_ids(slo), LABEL_WINDOW: w},
        }
        for w in WINDOWS
    ]
    period = _period(slo)
    if period not in WINDOWS:  # 1d and 3d periods are recorded above already
        rules.append(
            {
                "record": ERROR_RATIO.format(window=period),
                "expr": f"avg_over_time({_ratio(slo, '5m')}[{period}])",
                "labels": {**_ids(slo), LABEL_WINDOW: period},
            }
        )
    return rules


def _meta_rules(slo: Slo) -> list[dict[str, Any]]:
    budget = number_text(slo.error_budget)
    period_burn = f"slo:period_burn_rate:ratio{_selector(slo)}"
    rules = {
        "slo:objective:ratio": f"vector({number_text(slo.objective)})",
        "slo:error_budget:ratio": f"vector({budget})",
        "slo:time_period:days": f"vector({slo.window_days})",
        "slo:current_burn_rate:ratio": f"{_ratio(slo, '5m')} / {budget}",
        "slo:period_burn_rate:ratio": f"{_ratio(slo, _period(slo))} / {budget}",
        "slo:period_error_budget_remaining:ratio": f"1 - {period_burn}",
    }
    return [{"record": name, "expr": expr, "labels": _ids(slo)} for name, expr in rules.items()]


def _over(slo: Slo, window: str, factor: float) -> str:
    threshold = f"({number_text(factor)} * {number_text(slo.error_budget)})"
    return f"max({_ratio(slo, window)} > {threshold}) without ({LABEL_WINDOW})"


def burn_expression(
    slo: Slo, factors: tuple[float, float], conditions: tuple[BurnCondition, BurnCondition]
) -> str:
    """``(long AND short over factor 1) OR (long AND short over factor 2)``."""
    halves = [
        f"(\n  {_over(slo, c.long, f)}\nand\n  {_over(slo, c.short, f)}\n)"
        for f, c in zip(factors, conditions, strict=True)
    ]
    return "\nor\n".join(halves)


def _explained(factors: tuple[float, float], conditions: tuple[BurnCondition, ...]) -> str:
    return " or ".join(
        f"{number_text(f)}x over {c.long} and {c.short}"
        for f, c in zip(factors, conditions, strict=True)
    )


def _alert_rule(
    slo: Slo, spec: AlertSpec, severity: str, conditions: tuple[BurnCondition, BurnCondition]
) -> dict[str, Any]:
    who = f"{{{{ $labels.{LABEL_SERVICE} }}}} {{{{ $labels.{LABEL_SLO} }}}}"
    objective = number_text(slo.objective * 100)
    annotations = {
        "summary": f"{who}: the error budget burns too fast ({severity})",
        "description": (
            f"The error budget burns at more than {_explained(spec.factors, conditions)} "
            f"(objective {objective}% over {slo.window_days} days)."
        ),
        **slo.alerting.annotations,
        **spec.annotations,
    }
    return {
        "alert": spec.name,
        "expr": burn_expression(slo, spec.factors, conditions),
        "labels": {**slo.labels, **slo.alerting.labels, **spec.labels, LABEL_SEVERITY: severity},
        "annotations": annotations,
    }


def slo_groups(slo: Slo) -> list[dict[str, Any]]:
    """The three rule groups of one SLO (the alerts group is left out with both alerts off)."""
    sli, meta, alerts = group_names(slo)
    groups = [{"name": sli, "rules": _sli_rules(slo)}, {"name": meta, "rules": _meta_rules(slo)}]
    alert_rules = [
        _alert_rule(slo, spec, severity, conditions)
        for spec, severity, conditions in (
            (slo.alerting.page, "page", PAGE),
            (slo.alerting.ticket, "ticket", TICKET),
        )
        if spec.enabled
    ]
    if alert_rules:
        groups.append({"name": alerts, "rules": alert_rules})
    return groups


def rule_file(slos: Sequence[Slo]) -> dict[str, Any]:
    """The rule file (``{"groups": [...]}``) of ``slos``, whose (service, name) are unique."""
    seen: set[tuple[str, str]] = set()
    errors = []
    for index, slo in enumerate(slos):
        key = (slo.service, slo.name)
        if key in seen:
            errors.append(FieldError(f"[{index}]", f"a second SLO {slo.name!r} of {slo.service!r}"))
        seen.add(key)
    if errors:
        raise SloSpecError(errors)
    return {"groups": [group for slo in slos for group in slo_groups(slo)]}
