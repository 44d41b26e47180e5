"""The SLO model: one objective for one service, its indicator, its window and its alerts.

The two input formats (OpenSLO v1, Sloth ``prometheus/v1``) parse into these classes; the rule
generator (:mod:`sluicegate.domain.slo.rules`) reads only these. Every indicator is reduced to
an *error ratio* in PromQL for a given range (``5m``, ``1h``, ...), which is what the
multiwindow, multi-burn-rate alerts of the SRE Workbook compare with the error budget.

Queries carry the range as the placeholder ``{{.window}}`` (Sloth's spelling), rendered once
per window by :meth:`Query.render`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from sluicegate.errors import FieldError, InvalidInput

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "MAX_WINDOW_DAYS",
    "MIN_WINDOW_DAYS",
    "PAGE",
    "TICKET",
    "WINDOWS",
    "AlertSpec",
    "Alerting",
    "BurnCondition",
    "Query",
    "RatioSli",
    "RawSli",
    "Sli",
    "Slo",
    "SloSpecError",
    "ThresholdSli",
    "default_factors",
    "factor_problem",
    "number_text",
]

#: The ranges the error ratio is recorded over; the alerts use these and no others.
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
DEFAULT_WINDOW_DAYS = 30
MIN_WINDOW_DAYS = 1
MAX_WINDOW_DAYS = 90

#: ``{{.window}}``, with or without spaces inside the braces.
_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")
PLACEHOLDER = "{{.window}}"


class SloSpecError(InvalidInput):
    """An SLO document is invalid; ``errors`` names each field by its path."""

    code = "invalid-slo"
    default_hint = "Fix the named fields; docs/slo.md describes the formats accepted."

    def __init__(self, errors: Sequence[FieldError], *, hint: str | None = None) -> None:
        errors = tuple(errors) or (FieldError("", "invalid SLO definition"),)
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        where = f"{first.field}: " if first.field else ""
        super().__init__(
            f"invalid SLO definition: {where}{first.reason}{more}", hint=hint, errors=errors
        )


def number_text(value: float) -> str:
    """A number as PromQL and YAML read it back: ``14.4``, ``0.001``, ``6``."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".12g")


@dataclass(frozen=True, slots=True)
class Query:
    """A PromQL query with ``{{.window}}`` where its range goes."""

    template: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "template", _WINDOW.sub(PLACEHOLDER, self.template.strip()))

    def render(self, window: str) -> str:
        return self.template.replace(PLACEHOLDER, window)

    @staticmethod
    def has_window(text: str) -> bool:
        return _WINDOW.search(text) is not None

    @staticmethod
    def other_templates(text: str) -> bool:
        """Whether ``text`` holds a template other than ``{{.window}}``."""
        return "{{" in _WINDOW.sub("", text)


@dataclass(frozen=True, slots=True)
class RatioSli:
    """Events: the good (or bad) ones over all of them, both as rates over the window."""

    counts: Literal["good", "bad"]
    events: Query
    total: Query

    def error_ratio(self, window: str) -> str:
        ratio = f"({self.events.render(window)})\n/\n({self.total.render(window)})"
        return ratio if self.counts == "bad" else f"1 - (\n{ratio}\n)"


@dataclass(frozen=True, slots=True)
class RawSli:
    """A ratio computed elsewhere: of errors (Sloth's raw, OpenSLO ``rawType: failure``) or of
    successes (OpenSLO ``rawType: success``)."""

    ratio: Literal["error", "success"]
    query: Query

    def error_ratio(self, window: str) -> str:
        text = self.query.render(window)
        return f"({text})" if self.ratio == "error" else f"1 - ({text})"


@dataclass(frozen=True, slots=True)
class ThresholdSli:
    """OpenSLO's ``thresholdMetric`` on a Prometheus histogram: an event is good when its value
    (a latency) is ``op`` ``value``; ``lte`` counts the bucket ``le=value``, ``gt`` the rest.

    ``value`` must be one of the histogram's bucket bounds: the ratio is exact there and
    undefined between bounds.
    """

    histogram: str  # the metric name without _bucket/_count
    matchers: str  # the label matchers inside the selector's braces ("" for none)
    op: Literal["lte", "gt"]
    value: float

    def _le(self) -> str:
        text = number_text(self.value)
        if self.value == int(self.value):  # "1" from Go clients, "1.0" from Python's
            return f'le=~"{text}|{text}\\\\.0"'
        return f'le="{text}"'

    def error_ratio(self, window: str) -> str:
        inner = self.matchers + ("," if self.matchers else "")
        bucket = f"sum(rate({self.histogram}_bucket{{{inner}{self._le()}}}[{window}]))"
        count = f"sum(rate({self.histogram}_count{{{self.matchers}}}[{window}]))"
        ratio = f"{bucket}\n/\n{count}"
        return f"1 - (\n{ratio}\n)" if self.op == "lte" else ratio


Sli = RatioSli | RawSli | ThresholdSli


@dataclass(frozen=True, slots=True)
class BurnCondition:
    """One half of a two-window alert: the burn rate over ``long`` and ``short`` both exceed
    the factor. ``budget_share`` is the share of the period's budget the long window spends at
    that rate (the SRE Workbook's 2 % in 1 h, 5 % in 6 h, 10 % in 1 d and in 3 d)."""

    long: str
    short: str
    long_hours: int
    budget_share: Fraction


#: The SRE Workbook, ch. 5 "Alerting on SLOs", 6th iteration (multiwindow, multi-burn-rate).
PAGE = (
    BurnCondition("1h", "5m", 1, Fraction(2, 100)),
    BurnCondition("6h", "30m", 6, Fraction(5, 100)),
)
TICKET = (
    BurnCondition("1d", "2h", 24, Fraction(10, 100)),
    BurnCondition("3d", "6h", 72, Fraction(10, 100)),
)


def default_factors(
    window_days: int, conditions: tuple[BurnCondition, BurnCondition]
) -> tuple[float, float]:
    """The Workbook's burn-rate factors for a ``window_days`` period: 14.4, 6 / 3, 1 at 30 days.

    A factor is the budget share spent over the long window, scaled to the period: at 28 days
    the page factors are 13.44 and 5.6 (the same shares of a shorter budget).
    """
    fast, slow = (
        round(float(c.budget_share * window_days * 24 / c.long_hours), 6) for c in conditions
    )
    return fast, slow


@dataclass(frozen=True, slots=True)
class AlertSpec:
    """The page or the ticket alert: its name, factors (fast pair, slow pair) and extras."""

    name: str
    factors: tuple[float, float]
    enabled: bool = True
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Alerting:
    """The two alerts, with labels and annotations common to both."""

    page: AlertSpec
    ticket: AlertSpec
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Slo:
    """An objective for one service over a rolling window of whole days."""

    service: str
    name: str
    objective: float  # 0 < objective < 1, e.g. 0.999
    sli: Sli
    alerting: Alerting
    window_days: int = DEFAULT_WINDOW_DAYS
    labels: Mapping[str, str] = field(default_factory=dict)
    description: str = ""

    @property
    def error_budget(self) -> float:
        """1 - objective, computed in decimal so that 0.999 gives 0.001 and not 0.00099...9."""
        return float(1 - Decimal(repr(self.objective)))


def factor_problem(factor: float, budget: float, window: str) -> str | None:
    """Why a burn-rate factor cannot work with this budget, or None.

    A factor must be > 0; and factor x budget must stay below 1, else the alert waits for an
    error ratio above 100 % over ``window``, which cannot happen (the alert could never fire).
    """
    if factor <= 0:
        return "a burn-rate factor must be > 0"
    if factor * budget >= 1:
        return (
            f"{number_text(factor)}x an error budget of {number_text(budget)} is an error ratio "
            f"of {number_text(factor * budget)} over {window}, which can never be reached: "
            "lower the factor"
        )
    return None
